"""Vietnamese class-list order: a stored, indexed sort key (collation "C") on students, staff and guardians,
filled for the rows that exist (schoolbook/name_order.py)."""

from django.db import migrations, models

from schoolbook.name_order import vietnamese_sort_key

MODELS = ("Student", "StaffMember", "Guardian")


def fill(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("students", name)
        rows = list(model.objects.only("pk", "full_name"))
        for row in rows:
            row.sort_key = vietnamese_sort_key(row.full_name)
        model.objects.bulk_update(rows, ["sort_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0002_roster"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name=name.lower(),
                name="sort_key",
                field=models.CharField(
                    db_collation="C", db_index=True, default="", editable=False, max_length=320
                ),
                preserve_default=False,
            )
            for name in MODELS
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterModelOptions(name="student", options={"ordering": ["sort_key", "student_code"]}),
        migrations.AlterModelOptions(name="staffmember", options={"ordering": ["sort_key", "pk"]}),
        migrations.AlterModelOptions(name="guardian", options={"ordering": ["sort_key", "pk"]}),
    ]
