"""Schemas with one migration history are brought up to date by migrating the first and replaying what it
ran in the others: the replayed schema is the migrated one in every respect the catalogs show, the
post-migrate work (content types) included; a replay that fails falls back to migrating, and a school that
cannot be migrated is reported without stopping the others. Real schemas of the test database, rolled back
with each test."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, migrations, models

from tenants.migration_replay import sql_only
from tenants.migration_state import schemas_behind, schemas_by_history, schemas_migrate
from tenants.models import School
from tenants.schema_template import replay
from tests.tenants.test_schema_template import _current_template, assert_same_schema

FIRST, SECOND, BROKEN = "replay_first", "replay_second", "replay_broken"


def _behind_by_two_apps(schema: str) -> None:
    """A schema made from the template, then with payments unmigrated and grades one migration back (14
    models, indexes, constraints and fields to bring back), and payments' content types gone."""
    replay(schema, _current_template())
    for app, target in (("payments", "zero"), ("grades", "0005_unlock_homeroom")):
        call_command("migrate_schemas", app, target, schema_name=schema, interactive=False, verbosity=0)
    connection.set_schema(schema)
    ContentType.objects.filter(app_label="payments").delete()
    connection.set_schema_to_public()


def test_one_history_is_migrated_once_and_replayed_to_the_same_schema(db):
    for schema in (FIRST, SECOND, BROKEN):
        _behind_by_two_apps(schema)
    with connection.cursor() as cursor:  # in the way of the first table payments creates
        cursor.execute(f'CREATE TABLE "{BROKEN}".payments_feeitem (id text)')
    school = School.objects.get(code="test-a").schema_name
    assert schemas_by_history([FIRST, school, SECOND, BROKEN]) == [[FIRST, SECOND, BROKEN], [school]]

    lines = []
    report = schemas_migrate([school, FIRST, SECOND, BROKEN], jobs=1, progress=lines.append)

    assert report.skipped == 1
    assert [(outcome.schema, outcome.replayed) for outcome in report.done] == [
        (FIRST, False),
        (SECOND, True),
    ]
    assert [outcome.schema for outcome in report.failed] == [BROKEN]
    # Its replay failed and was rolled back; migrating it then failed on the same table.
    assert "payments_feeitem" in report.failed[0].error
    assert lines[1].startswith(f"[2/3] {SECOND} ok, replayed")
    assert schemas_behind([FIRST, SECOND, BROKEN]) == [BROKEN]
    assert_same_schema(SECOND, FIRST)  # tables … indexes, the migrations' rows and the content types
    connection.set_schema(SECOND)
    payments = {model._meta.model_name for model in apps.get_app_config("payments").get_models()}
    assert set(ContentType.objects.filter(app_label="payments").values_list("model", flat=True)) == payments
    connection.set_schema_to_public()


def _migration(app: str, *operations, **attributes) -> migrations.Migration:
    migration = migrations.Migration("0099_probe", app)
    migration.operations = list(operations)
    for name, value in attributes.items():
        setattr(migration, name, value)
    return migration


def test_only_plans_that_are_all_sql_in_a_school_schema_are_replayed(db):
    connection.set_schema(School.objects.get(code="test-a").schema_name)
    try:
        field = migrations.AddField("feeitem", "note", models.CharField(max_length=10, default=""))
        python = migrations.RunPython(migrations.RunPython.noop)
        assert sql_only(_migration("payments", field, migrations.RunSQL("SELECT 1")))
        assert not sql_only(_migration("payments", field, python))
        assert not sql_only(_migration("payments", migrations.RenameModel("feeitem", "fee")))
        assert not sql_only(_migration("payments", field, atomic=False))
        assert not sql_only(_migration("payments", field, replaces=[("payments", "0001_initial")]))
        # An app migrated in the public schema alone: its Python does not run in a school's.
        assert sql_only(_migration("tenants", python))
    finally:
        connection.set_schema_to_public()
