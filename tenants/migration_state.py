"""Which schools' schemas are behind the code's migrations, found with one query, and bringing only those up
to date, several at a time.

A schema is up to date when its `django_migrations` table lists every leaf of the migration graph (every
app's latest migration: django-tenants records every app's migrations in every schema, and a leaf is applied
only after all it depends on). One `UNION ALL` over all the schemas' tables answers for all of them, instead
of `migrate_schemas` opening each schema, loading the graph and finding nothing to do (0.28 s a school).

The schemas behind are migrated by `migrate_schemas --schema`, each in a process of a bounded pool forked
from the caller (so the caller must be single-threaded, as `manage.py prepare_database` is): a school
whose migration fails is reported and the others go on; running again resumes (what was done is no longer
behind). Each migration is atomic, as Django makes it on PostgreSQL: a school that failed stays at its last
migration that succeeded.
"""

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

CHUNK = 500  # schemas per query: a statement of a few hundred kB at most


def migration_leaves() -> list[tuple[str, str]]:
    """(app, name) of every app's latest migration, from the code."""
    return sorted(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


def schemas_behind(schemas: Iterable[str]) -> list[str]:
    """The schemas whose `django_migrations` lacks a leaf (or the whole table), in the order given."""
    schemas = list(schemas)
    leaves = migration_leaves()
    if not schemas or not leaves:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'django_migrations' "
            "AND table_schema = ANY(%s)",
            [schemas],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        complete = set()
        values = ", ".join(["(%s, %s)"] * len(leaves))
        flat = [part for leaf in leaves for part in leaf]
        present = [name for name in schemas if name in with_table]
        for start in range(0, len(present), CHUNK):
            chunk = present[start : start + CHUNK]
            union = " UNION ALL ".join(
                f"SELECT %s, count(*) FROM {connection.ops.quote_name(name)}.django_migrations "
                f"WHERE (app, name) IN ({values})"
                for name in chunk
            )
            cursor.execute(union, [param for name in chunk for param in (name, *flat)])
            complete |= {name for name, count in cursor.fetchall() if count == len(leaves)}
    return [name for name in schemas if name not in complete]


@dataclass
class Outcome:
    schema: str
    seconds: float
    error: str = ""


@dataclass
class Report:
    """What `schemas_migrate` did: schemas migrated, failed (with the reason) and skipped as up to date."""

    done: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    skipped: int = 0


def _migrate_one(schema: str) -> Outcome:
    started = time.perf_counter()
    try:
        call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)
    except Exception as error:  # one school's failure is reported; the others go on
        return Outcome(schema, time.perf_counter() - started, f"{type(error).__name__}: {error}")
    finally:
        connection.set_schema_to_public()
    return Outcome(schema, time.perf_counter() - started)


def schemas_migrate(
    schemas: Iterable[str], *, jobs: int = 1, progress: Callable[[str], None] = print
) -> Report:
    """Migrate the schemas that are behind, `jobs` at a time; `progress` gets one line per schema."""
    schemas = list(schemas)
    behind = schemas_behind(schemas)
    report = Report(skipped=len(schemas) - len(behind))
    if not behind:
        return report

    def record(number: int, outcome: Outcome) -> None:
        (report.failed if outcome.error else report.done).append(outcome)
        state = f"FAILED: {outcome.error}" if outcome.error else "ok"
        progress(f"[{number}/{len(behind)}] {outcome.schema} {state} ({outcome.seconds:.1f} s)")

    if jobs <= 1 or len(behind) == 1:
        for number, schema in enumerate(behind, start=1):
            record(number, _migrate_one(schema))
        return report
    connections.close_all()  # the children fork from here: each opens its own connection, none inherits one
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        for number, outcome in enumerate(pool.map(_migrate_one, behind), start=1):
            record(number, outcome)
    return report
