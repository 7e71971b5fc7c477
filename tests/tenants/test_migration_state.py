"""Deploys migrate only the schemas that are behind: found with one query, migrated several at a time, a
failing school reported without stopping the others, and a second run finding nothing to do. Real schemas of
the test database, created and dropped here (committed: the deploy command runs in its own process)."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from tenants.migration_state import migration_leaves, schemas_behind, schemas_migrate
from tenants.models import School, SpareSchema
from tests.conftest import ROOT, _test_database_url

BARE, OTHER, BROKEN = "mstate_bare", "mstate_other", "mstate_broken"


@pytest.fixture
def bare_schemas(django_db_blocker):
    """Three empty schemas; the third holds a table in the way of the first migration that creates it."""
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            for name in (BARE, OTHER, BROKEN):
                cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE; CREATE SCHEMA "{name}"')
            cursor.execute(f'CREATE TABLE "{BROKEN}".students_gradelevel (id text)')
        yield django_db_blocker
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            for name in (BARE, OTHER, BROKEN):
                cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def test_the_test_databases_schools_and_spares_are_up_to_date(db):
    schemas = [
        *School.objects.values_list("schema_name", flat=True),
        *SpareSchema.objects.values_list("schema_name", flat=True),
    ]
    assert len(schemas) >= 3
    assert ("payments", "0001_initial") in migration_leaves()
    assert schemas_behind(["public", *schemas]) == []


def test_only_the_schemas_behind_are_migrated_and_a_failure_stops_no_one(bare_schemas):
    with bare_schemas.unblock():
        school = School.objects.get(code="test-a").schema_name
        assert schemas_behind([school, BARE, OTHER, BROKEN]) == [BARE, OTHER, BROKEN]
        lines = []
        report = schemas_migrate([school, BARE, OTHER, BROKEN], jobs=1, progress=lines.append)
        assert report.skipped == 1
        assert [outcome.schema for outcome in report.done] == [BARE, OTHER]
        assert [outcome.schema for outcome in report.failed] == [BROKEN]
        assert "students_gradelevel" in report.failed[0].error
        assert len(lines) == 3 and lines[2].startswith("[3/3] mstate_broken FAILED")
        assert schemas_behind([BARE, OTHER, BROKEN]) == [BROKEN]

        # An app rolled back in one schema: that schema alone is behind, and migrating brings it back.
        call_command("migrate_schemas", "payments", "zero", schema_name=BARE, interactive=False, verbosity=0)
        connection.set_schema_to_public()
        assert schemas_behind([school, BARE, OTHER]) == [BARE]
        again = schemas_migrate([school, BARE, OTHER], jobs=1, progress=lines.append)
        assert [outcome.schema for outcome in again.done] == [BARE] and again.skipped == 2
        assert schemas_behind([school, BARE, OTHER]) == []


def test_the_deploy_command_migrates_spares_two_at_a_time_and_exits_non_zero_on_a_failure(bare_schemas):
    """`manage.py prepare_database --jobs 2` in its own process (as a deploy runs it: its pool forks, which a
    test process with threads must not), on the test database, with the three schemas as spares."""
    with bare_schemas.unblock():
        spares = [SpareSchema.objects.create(schema_name=name) for name in (BARE, OTHER, BROKEN)]
        try:
            done = subprocess.run(
                [sys.executable, "manage.py", "prepare_database", "--jobs", "2"], cwd=ROOT,
                env=dict(os.environ, DATABASE_URL=_test_database_url()), capture_output=True, text=True,
                timeout=300,
            )  # fmt: skip
            assert done.returncode != 0, done.stdout + done.stderr
            assert "2 schemas migrated, 1 failed" in done.stderr and "mstate_broken:" in done.stderr
            assert "resumes" in done.stderr
            assert sum(line.startswith("[") for line in done.stdout.splitlines()) == 3, done.stdout
            assert schemas_behind([BARE, OTHER, BROKEN]) == [BROKEN]
        finally:
            SpareSchema.objects.filter(pk__in=[spare.pk for spare in spares]).delete()


def test_prepare_database_with_nothing_to_do_says_so(db, capsys):
    call_command("prepare_database", verbosity=1)
    out = capsys.readouterr().out
    assert "0 schemas migrated, 0 failed" in out and "up to date" in out
