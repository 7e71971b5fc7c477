"""Schools through PgBouncer in transaction pooling, with ONE server connection for every client, so that
each transaction of one client runs where the other's ran before it.

With django-tenants' own backend a school's connection reads with the search_path another school left on
the server connection (the test shows it: the reason tenants/postgresql_backend exists). With ours, every
transaction, autocommit statements included, runs in its own school, a school changed inside a transaction
or undone by a savepoint's rollback is set again, and nothing is left on the server connection."""

import psycopg
import pytest
from django.db import connections
from django.utils.module_loading import import_string

from tests.conftest import ARTIFACTS
from tests.servers import pgbouncer_start

STOCK = "django_tenants.postgresql_backend.base.DatabaseWrapper"
OURS = "tenants.postgresql_backend.base.DatabaseWrapper"


@pytest.fixture(scope="module")
def pooler(django_db_setup):
    process, pooler = pgbouncer_start(ARTIFACTS / "pgbouncer-isolation", pool_size=1)
    yield pooler
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def connect(pooler, django_db_blocker):
    """Django connections of the given backend through the pooler; closed afterwards."""
    opened = []

    def make(backend: str, alias: str):
        pooled = {"HOST": "127.0.0.1", "PORT": str(pooler.port), "OPTIONS": {}}
        settings = connections["default"].settings_dict | pooled
        wrapper = import_string(backend)(settings, alias)
        opened.append(wrapper)
        return wrapper

    with django_db_blocker.unblock():
        yield make
        for wrapper in opened:
            wrapper.close()


def _path(wrapper) -> str:
    """The schema the connection's unqualified tables are read from."""
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT (current_schemas(false))[1]")
        return cursor.fetchone()[0]


def _schools(world) -> tuple[str, str]:
    return world.school_a.schema_name, world.school_b.schema_name


def test_the_stock_backend_reads_in_the_school_another_client_left_behind(world, connect):
    a_schema, b_schema = _schools(world)
    a, b = connect(STOCK, "a"), connect(STOCK, "b")
    a.set_schema(a_schema)
    b.set_schema(b_schema)
    assert _path(a) == a_schema
    assert _path(b) == b_schema
    assert _path(a) == b_schema, "school A's connection now reads school B"


def _server_path(pooler) -> str:
    """The search_path on the (one) server connection, as a plain client through the pooler finds it."""
    with psycopg.connect(pooler.url(), autocommit=True) as plain:
        return plain.execute("SHOW search_path").fetchone()[0]


def test_ours_keeps_every_statement_and_transaction_in_its_own_school(world, connect, pooler):
    a_schema, b_schema = _schools(world)
    with psycopg.connect(pooler.url(), autocommit=True) as plain:
        plain.execute("RESET search_path")  # what a stock client may have left there
    default = _server_path(pooler)
    a, b = connect(OURS, "a"), connect(OURS, "b")
    a.set_schema(a_schema)
    b.set_schema(b_schema)
    for _ in range(3):  # autocommit statements, interleaved on the one server connection
        assert _path(a) == a_schema
        assert _path(b) == b_schema

    a.set_autocommit(False)  # a transaction, the school changing inside it
    assert _path(a) == a_schema
    a.set_schema(b_schema)
    assert _path(a) == b_schema
    a.commit()
    a.set_schema(a_schema)
    assert _path(b) == b_schema

    sid = a.savepoint()  # a school set after a savepoint, undone by rolling back to it
    a.set_schema(b_schema)
    assert _path(a) == b_schema
    a.savepoint_rollback(sid)
    assert _path(a) == b_schema
    a.set_schema(a_schema)
    assert _path(a) == a_schema
    a.rollback()
    a.set_autocommit(True)

    assert _server_path(pooler) == default, "a school was left on the server connection"


def test_ours_reads_the_schools_own_rows(world, connect):
    from students.models import Student

    a, b = connect(OURS, "a"), connect(OURS, "b")
    expected = {}
    for wrapper, school in ((a, world.school_a), (b, world.school_b)):
        wrapper.set_schema(school.schema_name)
        connections["default"].set_schema(school.schema_name)
        expected[wrapper.alias] = sorted(Student.objects.values_list("student_code", flat=True))
    connections["default"].set_schema_to_public()
    assert expected["a"] != expected["b"]
    for _ in range(2):
        for wrapper in (a, b):
            with wrapper.cursor() as cursor:
                cursor.execute(f"SELECT student_code FROM {Student._meta.db_table}")
                assert sorted(row[0] for row in cursor.fetchall()) == expected[wrapper.alias]


def test_ours_answers_as_a_plain_cursor_would(world, connect):
    """Row counts, a '%' in a statement without parameters, a failing statement, executemany."""
    from django.db import DataError

    from students.models import Student

    a = connect(OURS, "a")
    a.set_schema(world.school_a.schema_name)
    table = Student._meta.db_table
    with a.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET full_name = full_name WHERE student_code = %s", ["W-PH-A"])
        assert cursor.rowcount == 1
        cursor.execute("SELECT '100%'")
        assert cursor.fetchone() == ("100%",)
        cursor.execute("SELECT %(code)s || '%%'", {"code": "W"})
        assert cursor.fetchone() == ("W%",)
        with pytest.raises(DataError):
            cursor.execute("SELECT 1 / 0")
        cursor.executemany(f"UPDATE {table} SET full_name = full_name WHERE student_code = %s", [["W-PH-A"]])
    assert _path(a) == world.school_a.schema_name


def test_ours_introspects_the_school_alone_and_leaves_nothing_behind(world, connect, pooler):
    """Migrations ask which tables exist: the school's own, not public's, as django-tenants' introspection
    answers, but without its session-level SET (which would stay on the server connection)."""
    with psycopg.connect(pooler.url(), autocommit=True) as plain:
        plain.execute("RESET search_path")
    default = _server_path(pooler)
    a = connect(OURS, "a")
    a.set_schema(world.school_a.schema_name)
    tables = a.introspection.table_names()
    assert "students_student" in tables and "tenants_school" not in tables
    with a.cursor() as cursor:
        assert {c.name for c in a.introspection.get_table_description(cursor, "students_student")} >= {
            "student_code"
        }
    assert _path(a) == world.school_a.schema_name
    assert _server_path(pooler) == default
