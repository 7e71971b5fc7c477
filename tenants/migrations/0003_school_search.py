"""The console's school search ignores accents and hyphens: a folded column, filled for the schools that exist."""

from django.db import migrations, models

from schoolbook.text import search_fold


def fill(apps, schema_editor):
    School = apps.get_model("tenants", "School")
    schools = list(School.objects.only("pk", "name", "code", "province"))
    for school in schools:
        school.search_folded = search_fold(f"{school.name} {school.code} {school.province}")
    School.objects.bulk_update(schools, ["search_folded"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0002_spare_schemas"),
    ]

    operations = [
        migrations.AddField(
            model_name="school",
            name="search_folded",
            field=models.CharField(default="", editable=False, max_length=400),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
