"""Bringing many school schemas with the same migration history up to date at the cost of one: the first
is migrated by Django while the SQL its schema editor runs is recorded, then each of the others runs that
SQL in one transaction, records the same migrations and gets the same post-migrate work (content types).

Migrating a schema costs ~1 s even for one small migration, almost all of it Django loading the graph,
rendering the model states and introspecting; running the recorded statements costs what PostgreSQL does.
The SQL is recorded as it is executed (Django's `django.db.backends.schema` log, which carries each
statement with its parameters merged), not collected ahead as `sqlmigrate` does: a collected plan
introspects a schema its earlier steps have not changed yet, so it can miss a constraint to drop.
Schemas with the same applied migrations were made the same way (replayed templates and migrations name
their objects the same), so the statements fit each of them.

A plan is replayed only when all of it is SQL: an operation that runs Python (RunPython, a model renamed,
whose content type Django renames in Python) in an app migrated in school schemas, a squashed migration or
a non-atomic one makes every schema of that history migrate as before. So does a replay that fails (the
schema's transaction is rolled back first).
"""

import logging
from dataclasses import dataclass

from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, router, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import RenameModel

SCHEMA_EDITOR_LOG = "django.db.backends.schema"


@dataclass
class Replay:
    """What migrating one schema did: the statements run, the migrations recorded, and what the
    post-migrate signal needs (the plan and the models' state after it)."""

    sql: str
    migrations: list[tuple[str, str]]
    plan: list
    apps: object


def plan_if_replayable(schema: str) -> list | None:
    """The migrations (forwards) that would bring `schema` up to the code, if running their recorded SQL
    would do all they do in a school schema; else None."""
    connection.set_schema(schema)
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return plan if all(sql_only(migration) for migration, _ in plan) else None
    finally:
        connection.set_schema_to_public()


def sql_only(migration) -> bool:
    if migration.replaces or not migration.atomic:
        return False
    if router.allow_migrate(connection.alias, migration.app_label) is False:
        return True  # a public-only app: recorded in school schemas, none of its operations run there
    return all(
        operation.reduces_to_sql and not isinstance(operation, RenameModel)
        for operation in migration.operations
    )


class _Statements(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.sql)


def migrate_recording(schema: str, plan: list) -> Replay:
    """Migrate `schema` with Django (as `migrate_schemas` does) and return what it ran. Raises what the
    migration raises."""
    log = logging.getLogger(SCHEMA_EDITOR_LOG)
    handler, level, propagate = _Statements(), log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False  # the statements are recorded, not printed
    try:
        call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate
        connection.set_schema_to_public()
    executor = MigrationExecutor(connection)
    return Replay(
        sql="\n;\n".join(handler.statements),  # on a line of its own: a statement may end in a comment
        migrations=[(migration.app_label, migration.name) for migration, _ in plan],
        plan=plan,
        apps=executor.loader.project_state().apps,
    )


def replay_apply(schema: str, replay: Replay) -> None:
    """Run `replay` in `schema`, all or nothing."""
    quoted = connection.ops.quote_name(schema)
    connection.set_schema(schema)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if replay.sql:
                cursor.execute(replay.sql)
            cursor.execute(
                f"INSERT INTO {quoted}.django_migrations (app, name, applied) SELECT app, name, now() "
                "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS m(app, name, n) ORDER BY n",
                [[app for app, _ in replay.migrations], [name for _, name in replay.migrations]],
            )
            emit_post_migrate_signal(0, False, connection.alias, apps=replay.apps, plan=replay.plan)
    finally:
        connection.set_schema_to_public()
