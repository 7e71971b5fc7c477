"""A school schema made from the captured template is the schema the migrations make: compared through the
catalogs (tables, columns, constraints, indexes, sequences, triggers, the migrations' rows). Onboarding
without a spare replays the template of the code's migrations, never another state's, and captures one
when there is none. Real schemas of the test database, rolled back with each test."""

import os
import re
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from schoolbook.onboarding import school_onboard
from tenants.migration_state import schemas_behind
from tenants.models import SchemaTemplate, SpareSchema
from tenants.schema_template import PLACEHOLDER, UnsupportedSchema, capture, migration_state, replay
from tenants.schemas import TEMPLATE_PREFIX, migrate_new_schema, spare_create, template_refresh
from tests.conftest import ROOT, _test_database_url

MIGRATED, REPLAYED = "cmp_migrated", "cmp_replayed"


def _query(sql: str, schema: str) -> list[tuple]:
    """Rows of `sql` (with %(s)s for the schema), every mention of the schema's name made neutral."""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"s": schema})
        rows = cursor.fetchall()
    pattern = re.compile(rf'"?\b{re.escape(schema)}\b"?\.')
    return [
        tuple("<schema>" if value == schema
              else pattern.sub("<schema>.", value) if isinstance(value, str) else value
              for value in row)
        for row in rows
    ]  # fmt: skip


def describe(schema: str, *, django: bool = True) -> dict[str, list[tuple]]:
    """Everything a schema is made of, as the catalogs tell it, independent of its name and of object ids.
    Column positions are compared as an order (a migrated table may have gaps where columns were dropped)."""
    quoted = connection.ops.quote_name(schema)
    parts = {
        "tables": _query("SELECT table_name, table_type FROM information_schema.tables "
                         "WHERE table_schema = %(s)s ORDER BY 1", schema),
        "columns": _query("""
            SELECT table_name, column_name,
                   row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position),
                   data_type, character_maximum_length, numeric_precision, numeric_scale, datetime_precision,
                   udt_schema, udt_name, is_nullable, column_default, collation_name, is_identity,
                   identity_generation, identity_start, identity_increment, identity_maximum,
                   identity_minimum,
                   identity_cycle, is_generated, generation_expression
            FROM information_schema.columns WHERE table_schema = %(s)s ORDER BY 1, 3""", schema),
        "constraints": _query("""
            SELECT c.relname, k.conname, k.contype, k.condeferrable, k.condeferred, k.convalidated,
                   pg_get_constraintdef(k.oid), fn.nspname, f.relname, k.confupdtype, k.confdeltype,
                   k.confmatchtype,
                   (SELECT array_agg(a.attname ORDER BY u.n) FROM unnest(k.conkey) WITH ORDINALITY u(k, n)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.k),
                   (SELECT array_agg(a.attname ORDER BY u.n) FROM unnest(k.confkey) WITH ORDINALITY u(k, n)
                    JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.k),
                   ix.relname
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            LEFT JOIN pg_class f ON f.oid = k.confrelid LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace
            LEFT JOIN pg_class ix ON ix.oid = k.conindid
            WHERE c.relnamespace = %(s)s::regnamespace ORDER BY 1, 2""", schema),
        "indexes": _query("SELECT tablename, indexname, indexdef FROM pg_indexes "
                          "WHERE schemaname = %(s)s ORDER BY 1, 2", schema),
        "index flags": _query("""
            SELECT c.relname, i.indisunique, i.indisprimary, i.indimmediate, i.indnullsnotdistinct,
                   i.indisvalid, i.indisready, i.indislive, am.amname
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
            WHERE c.relnamespace = %(s)s::regnamespace ORDER BY 1""", schema),
        "sequences": _query("""
            SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle,
                   cache_size, last_value
            FROM pg_sequences WHERE schemaname = %(s)s ORDER BY 1""", schema),
        "sequence owners": _query("""
            SELECT s.relname, t.relname, a.attname, d.deptype
            FROM pg_class s JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
                 AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
            JOIN pg_class t ON t.oid = d.refobjid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
            WHERE s.relnamespace = %(s)s::regnamespace AND s.relkind = 'S' ORDER BY 1""", schema),
        "triggers": _query("""
            SELECT c.relname, g.tgfoid::regproc::text, g.tgtype, g.tgenabled, g.tgdeferrable,
                   g.tginitdeferred,
                   k.conname, count(*)
            FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
            LEFT JOIN pg_constraint k ON k.oid = g.tgconstraint
            WHERE c.relnamespace = %(s)s::regnamespace
            GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 7""", schema),
        "relations": _query("""
            SELECT relname, relkind, relpersistence, relhasindex, relchecks, relnatts - (
                       SELECT count(*) FROM pg_attribute WHERE attrelid = c.oid AND attisdropped),
                   reltoastrelid <> 0, relreplident, reloptions
            FROM pg_class c WHERE relnamespace = %(s)s::regnamespace ORDER BY 1""", schema),
    }  # fmt: skip
    if django:  # the rows the migrations write
        parts["migrations"] = _query(f"SELECT app, name FROM {quoted}.django_migrations ORDER BY id", schema)
        parts["content types"] = _query(
            f"SELECT id, app_label, model FROM {quoted}.django_content_type ORDER BY id", schema
        )
    return parts


def _as_read_back(constraints: list[tuple], schema: str) -> list[tuple]:
    """Check constraints as PostgreSQL reads back its own rendering of them (what a replay, like a
    `pg_dump` restore, makes): `rating IN ('Tốt', …)` on a varchar column was stored with one cast on the
    array and comes back with a cast on each element; the same test on every row."""
    read_back = []
    with connection.cursor() as cursor:
        for row in constraints:
            table, name, kind, definition = row[0], row[1], row[2], row[6]
            if kind == "c":
                cursor.execute(
                    f"CREATE TEMP TABLE read_back (LIKE {connection.ops.quote_name(schema)}.{table}); "
                    f"ALTER TABLE read_back ADD CONSTRAINT {name} {definition}"
                )
                cursor.execute(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'read_back'::regclass AND contype = 'c'"
                )
                row = (*row[:6], cursor.fetchone()[0], *row[7:])
                cursor.execute("DROP TABLE read_back")
            read_back.append(row)
    return read_back


def assert_same_schema(made: str, migrated: str) -> None:
    expected, actual = describe(migrated), describe(made)
    expected["constraints"] = _as_read_back(expected["constraints"], migrated)
    for part, rows in expected.items():
        assert rows, f"{migrated} has no {part}: the comparison would prove nothing"
        assert actual[part] == rows, part


def _current_template() -> str:
    return SchemaTemplate.objects.get(migration_state=migration_state()).script


def test_a_school_schema_made_from_the_template_is_the_migrated_schema(db):
    """The template prepare_database captured (from a schema it migrated) replayed, against a schema the
    migrations make now: the same in every respect the catalogs show."""
    migrate_new_schema(MIGRATED)
    replay(REPLAYED, _current_template())
    assert_same_schema(REPLAYED, MIGRATED)
    # A spare is made the same way. (Not one of the test database's: a sequence is not rolled back, so the
    # spares that earlier tests used and gave back count from further on.)
    assert_same_schema(spare_create().schema_name, MIGRATED)


def test_capture_and_replay_carry_every_kind_of_object_django_can_make(db):
    """A hand-made schema with what today's migrations do not (yet) use: a foreign key cycle, a generated
    column, identity ALWAYS, defaults, a collation, partial and expression indexes, a deferrable unique
    constraint, a check on two columns, a dropped column, rows and an advanced sequence."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE SCHEMA cmp_kinds;
            CREATE TABLE cmp_kinds.a (
                id bigint GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 5) PRIMARY KEY,
                b_id bigint, name varchar(20) COLLATE "C" NOT NULL DEFAULT 'x',
                made timestamptz DEFAULT now(),
                twice numeric(8, 2) GENERATED ALWAYS AS (id * 2) STORED,
                user_id bigint REFERENCES public.accounts_user (id) DEFERRABLE INITIALLY DEFERRED,
                parent_id bigint REFERENCES cmp_kinds.a (id) ON DELETE CASCADE,
                CONSTRAINT a_name_made UNIQUE (name, made) DEFERRABLE INITIALLY DEFERRED,
                CONSTRAINT a_sane CHECK (b_id IS NULL OR b_id <> id));
            CREATE TABLE cmp_kinds.b (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                a_id bigint NOT NULL REFERENCES cmp_kinds.a (id), tags varchar(5)[] NOT NULL DEFAULT '{}');
            ALTER TABLE cmp_kinds.a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES cmp_kinds.b (id);
            CREATE INDEX a_lower_name ON cmp_kinds.a (lower(name::text)) WHERE b_id IS NOT NULL;
            CREATE INDEX b_tags ON cmp_kinds.b USING gin (tags);
            CREATE UNIQUE INDEX b_one ON cmp_kinds.b (a_id) NULLS NOT DISTINCT;
            ALTER TABLE cmp_kinds.a DROP COLUMN made;
            ALTER TABLE cmp_kinds.a ADD COLUMN made date;
            INSERT INTO cmp_kinds.a (name) VALUES ('first'), ('it''s');
        """)
    script = capture("cmp_kinds")
    assert "cmp_kinds" not in script and PLACEHOLDER in script
    replay("cmp_kinds_copy", script)
    copy, original = describe("cmp_kinds_copy", django=False), describe("cmp_kinds", django=False)
    for part, rows in original.items():
        assert copy[part] == rows, part
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, twice FROM cmp_kinds_copy.a ORDER BY id")
        assert cursor.fetchall() == [(10, "first", 20), (15, "it's", 30)]
        cursor.execute("INSERT INTO cmp_kinds_copy.a (name) VALUES ('next') RETURNING id")
        assert cursor.fetchone()[0] == 20  # the sequence carried on where the captured one stood


@pytest.mark.parametrize(
    ("ddl", "problem"),
    [
        ("CREATE VIEW cmp_odd.v AS SELECT 1 AS one", "a relation other than"),
        ("COMMENT ON TABLE cmp_odd.t IS 'note'", "a comment"),
        ("CREATE FUNCTION cmp_odd.f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "a function"),
        ("CREATE SEQUENCE cmp_odd.s", "a sequence not owned"),
        ("ALTER TABLE cmp_odd.t SET (fillfactor = 50)", "storage options"),
    ],
)
def test_capture_refuses_what_it_would_not_make(db, ddl, problem):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA cmp_odd; CREATE TABLE cmp_odd.t (id int PRIMARY KEY); {ddl}")
    with pytest.raises(UnsupportedSchema, match=problem):
        capture("cmp_odd")


def _applied(schema: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT applied FROM {connection.ops.quote_name(schema)}.django_migrations ORDER BY id"
        )
        return [row[0] for row in cursor.fetchall()]


def _onboard(world, code: str):
    return school_onboard(actor=world.platform_admin, data={
        "code": code, "name": f"Trường {code}", "levels": ["primary"], "admin_name": "Quản Trị",
        "admin_phone": "0977 555 111",
    })  # fmt: skip


def test_without_a_spare_onboarding_replays_the_template(world):
    SpareSchema.objects.all().delete()  # rolled back with the test
    replay(REPLAYED, _current_template())
    school = _onboard(world, "no-spare-replay")
    # A replayed schema carries the template's rows as they were captured, migrations' dates included:
    # migrating would have recorded today's.
    assert _applied(school.schema_name) == _applied(REPLAYED)
    assert SchemaTemplate.objects.count() == 1


def test_another_states_template_is_never_used_and_onboarding_captures_its_own(world):
    stale = _current_template().replace(
        f"CREATE SCHEMA {PLACEHOLDER};", f"CREATE SCHEMA {PLACEHOLDER}; CREATE TABLE {PLACEHOLDER}.stale ();"
    )
    SchemaTemplate.objects.all().delete()
    SchemaTemplate.objects.create(migration_state="0" * 32, script=stale)
    SpareSchema.objects.all().delete()

    school = _onboard(world, "after-deploy")
    assert "stale" not in {row[0] for row in describe(school.schema_name)["tables"]}  # migrated instead
    # …and captured, before the school's first rows went in, as the template of the code's migrations.
    replay(REPLAYED, _current_template())
    assert _applied(REPLAYED) == _applied(school.schema_name)
    migrate_new_schema(MIGRATED)
    assert_same_schema(REPLAYED, MIGRATED)

    # The next deploy forgets the other state's template and keeps the one captured.
    assert template_refresh() is False
    assert list(SchemaTemplate.objects.values_list("migration_state", flat=True)) == [migration_state()]


def test_a_spare_behind_the_code_is_migrated_before_it_becomes_a_school(world):
    """A spare made from an older template (an old process refilling during a deploy) is never renamed
    into a school as it is."""
    SpareSchema.objects.all().delete()
    spare = spare_create().schema_name
    call_command("migrate_schemas", "payments", "zero", schema_name=spare, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    assert schemas_behind([spare]) == [spare]
    school = _onboard(world, "from-old-spare")
    assert schemas_behind([school.schema_name]) == []
    migrate_new_schema(MIGRATED)
    school_shape, migrated_shape = describe(school.schema_name), describe(MIGRATED)
    # Part replayed, part migrated: check constraints compared as PostgreSQL reads them back, on both sides.
    school_shape["constraints"] = _as_read_back(school_shape["constraints"], school.schema_name)
    migrated_shape["constraints"] = _as_read_back(migrated_shape["constraints"], MIGRATED)
    for part in ("tables", "columns", "constraints", "indexes"):
        assert school_shape[part] == migrated_shape[part], part
    # The payments migrations were recorded again, after the others.
    assert sorted(school_shape["migrations"]) == sorted(migrated_shape["migrations"])


def test_prepare_database_captures_a_missing_template_from_a_schema_it_drops(db, capsys):
    SchemaTemplate.objects.all().delete()
    call_command("prepare_database", verbosity=1)
    assert "schema template captured" in capsys.readouterr().out
    replay(REPLAYED, _current_template())
    migrate_new_schema(MIGRATED)
    assert_same_schema(REPLAYED, MIGRATED)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE %s", [TEMPLATE_PREFIX + "%"])
        assert cursor.fetchone()[0] == 0


def test_the_deploy_command_makes_spares_two_at_a_time(django_db_setup, django_db_blocker):
    """`prepare_database --jobs 2` in its own process (its pool forks, which a test process must not), on
    the test database: the spares it adds, two threads with a connection each, are committed, so they are
    dropped here."""
    with django_db_blocker.unblock():
        before = set(SpareSchema.objects.values_list("schema_name", flat=True))
        env = dict(os.environ, DATABASE_URL=_test_database_url(), SPARE_SCHEMAS=str(len(before) + 3))
        try:
            done = subprocess.run(
                [sys.executable, "manage.py", "prepare_database", "--jobs", "2"], cwd=ROOT, env=env,
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
            assert "3 spare schemas made" in done.stdout
            made = set(SpareSchema.objects.values_list("schema_name", flat=True)) - before
            assert len(made) == 3
            with transaction.atomic():
                migrate_new_schema(MIGRATED)
                for spare in made:
                    assert_same_schema(spare, MIGRATED)
                transaction.set_rollback(True)
        finally:
            connection.set_schema_to_public()
            for spare in SpareSchema.objects.exclude(schema_name__in=before):
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{spare.schema_name}" CASCADE')
                spare.delete()
