from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_delivery_delivered_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="provider_key",
            field=models.CharField(blank=True, db_index=True, max_length=32),
        ),
    ]
