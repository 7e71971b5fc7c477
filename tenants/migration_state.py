"""Which schools' schemas are behind the code's migrations, found with one query, and bringing only those up
to date, several at a time.

A schema is up to date when its `django_migrations` table lists every leaf of the migration graph (every
app's latest migration: django-tenants records every app's migrations in every schema, and a leaf is applied
only after all it depends on). One `UNION ALL` over all the schemas' tables answers for all of them, instead
of `migrate_schemas` opening each schema, loading the graph and finding nothing to do (0.28 s a school).

The schemas behind are grouped by the migrations they have applied (one more query). In each group the
first is migrated by `migrate_schemas --schema` and the SQL it ran is replayed in the others, each in one
transaction (tenants.migration_replay); a group whose plan is not all SQL, or a schema whose replay fails,
is migrated by `migrate_schemas`. The replays and migrations run in a bounded pool of processes forked from
the caller (so the caller must be single-threaded, as `manage.py prepare_database` is): a school whose
migration fails is reported and the others go on; running again resumes (what was done is no longer
behind). A school that failed stays where it was, or at its last migration that succeeded.
"""

import functools
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from tenants.migration_replay import Replay, migrate_recording, plan_if_replayable, replay_apply

logger = logging.getLogger(__name__)
CHUNK = 500  # schemas per query: a statement of a few hundred kB at most


@functools.cache
def migration_leaves() -> tuple[tuple[str, str], ...]:
    """(app, name) of every app's latest migration, from the code. Cached: the migrations on disk do not
    change under a running process (a deploy starts new ones), and loading them costs ~8 ms."""
    return tuple(sorted(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()))


def _with_migrations_table(cursor, schemas: list[str]) -> list[str]:
    cursor.execute(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'django_migrations' "
        "AND table_schema = ANY(%s)",
        [schemas],
    )
    present = {row[0] for row in cursor.fetchall()}
    return [name for name in schemas if name in present]


def schemas_behind(schemas: Iterable[str]) -> list[str]:
    """The schemas whose `django_migrations` lacks a leaf (or the whole table), in the order given."""
    schemas = list(schemas)
    leaves = migration_leaves()
    if not schemas or not leaves:
        return []
    with connection.cursor() as cursor:
        with_table = set(_with_migrations_table(cursor, schemas))
        values = ", ".join(["(%s, %s)"] * len(leaves))
        counts = _per_schema(
            cursor,
            [name for name in schemas if name in with_table],
            f"count(*) FROM {{}}.django_migrations WHERE (app, name) IN ({values})",
            [part for leaf in leaves for part in leaf],
        )
    complete = {name for name, count in counts if count == len(leaves)}
    return [name for name in schemas if name not in complete]


def _per_schema(cursor, schemas: list[str], query: str, params: list) -> list[tuple]:
    """(schema, value) of `SELECT <query>` in each schema ({} in `query` stands for the schema), with one
    UNION ALL statement per CHUNK schemas."""
    rows = []
    for start in range(0, len(schemas), CHUNK):
        chunk = schemas[start : start + CHUNK]
        union = " UNION ALL ".join(
            f"SELECT %s, {query.format(connection.ops.quote_name(name))}" for name in chunk
        )
        cursor.execute(union, [param for name in chunk for param in (name, *params)])
        rows += cursor.fetchall()
    return rows


def schemas_by_history(schemas: list[str]) -> list[list[str]]:
    """The schemas grouped by the migrations their `django_migrations` lists, in the order given; a schema
    without the table is a group of its own."""
    with connection.cursor() as cursor:
        histories = dict(
            _per_schema(
                cursor,
                _with_migrations_table(cursor, schemas),
                "md5(string_agg(app || '.' || name, ',' ORDER BY app, name)) FROM {}.django_migrations",
                [],
            )
        )
    groups: dict[str, list[str]] = {}
    for name in schemas:
        groups.setdefault(histories.get(name, name), []).append(name)
    return list(groups.values())


@dataclass
class Outcome:
    schema: str
    seconds: float
    error: str = ""
    replayed: bool = False  # the SQL recorded in another schema of the same history was run


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


# The replays of this run, by index: set before the pool forks, so that each child has them without
# pickling a plan for every schema.
_replays: list[Replay] = []


def _bring_up(task: tuple[str, int | None]) -> Outcome:
    """Replay the group's recorded SQL in the schema, or migrate it (with no replay, or when it fails)."""
    schema, replay = task
    if replay is not None:
        started = time.perf_counter()
        try:
            replay_apply(schema, _replays[replay])
            return Outcome(schema, time.perf_counter() - started, replayed=True)
        except Exception:
            logger.warning("Replaying the migrations failed in %s: migrating it", schema, exc_info=True)
    return _migrate_one(schema)


def _first_of_group(schema: str) -> tuple[Outcome, int | None]:
    """Migrate a group's first schema, recording its SQL when its plan can be replayed: the outcome, and
    the index of the replay for the rest of the group (None: they are migrated)."""
    plan = plan_if_replayable(schema)
    if plan is None:
        return _migrate_one(schema), None
    started = time.perf_counter()
    try:
        _replays.append(migrate_recording(schema, plan))
    except Exception as error:
        return Outcome(schema, time.perf_counter() - started, f"{type(error).__name__}: {error}"), None
    return Outcome(schema, time.perf_counter() - started), len(_replays) - 1


def schemas_migrate(
    schemas: Iterable[str], *, jobs: int = 1, progress: Callable[[str], None] = print
) -> Report:
    """Bring the schemas that are behind up to date, `jobs` at a time; `progress` gets one line per schema."""
    schemas = list(schemas)
    behind = schemas_behind(schemas)
    report = Report(skipped=len(schemas) - len(behind))
    if not behind:
        return report
    numbers = iter(range(1, len(behind) + 1))

    def record(outcome: Outcome) -> None:
        (report.failed if outcome.error else report.done).append(outcome)
        state = f"FAILED: {outcome.error}" if outcome.error else "ok, replayed" if outcome.replayed else "ok"
        progress(f"[{next(numbers)}/{len(behind)}] {outcome.schema} {state} ({outcome.seconds:.2f} s)")

    _replays.clear()
    tasks = []
    for first, *others in schemas_by_history(behind):
        if not others:
            tasks.append((first, None))
            continue
        outcome, replay = _first_of_group(first)
        record(outcome)
        tasks += [(schema, replay) for schema in others]
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            record(_bring_up(task))
        return report
    connections.close_all()  # the children fork from here: each opens its own connection, none inherits one
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        for outcome in pool.map(_bring_up, tasks, chunksize=4):
            record(outcome)
    return report
