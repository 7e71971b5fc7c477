from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grades", "0005_unlock_homeroom"),
    ]

    operations = [
        migrations.AddField(
            model_name="conduct",
            name="published_rating",
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name="conduct",
            name="published_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
