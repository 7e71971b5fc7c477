import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("students", "0002_roster")]

    operations = [
        migrations.AddField(
            model_name="schoolclass",
            name="archived_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="schoolclass",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("name"), "year", name="class_name_per_year_any_case"
            ),
        ),
    ]
