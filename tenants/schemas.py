"""Creating a school's schema: rename a spare schema (instant) or, with none left, replay the captured
script of a migrated schema (tenants.schema_template); migrate one only when no script was captured for the
code's migrations yet, and capture it then.

Cloning a template schema (django-tenants' `clone_schema`) was measured here first and dropped: its
index-renaming query scans the whole catalog, so it slowed down as schools were added (53 ms with no
schools, 567 ms with 300) and was no faster than migrating (docs/benchmarks.md). `ALTER SCHEMA … RENAME`
costs the same however many schools there are, and so does the replay (it reads and writes nothing of the
other schemas). Replaying still creates ~450 tables, indexes and sequences, a few hundred milliseconds of
PostgreSQL's own work, so spares are made ahead, off the request path (a Celery task after each onboarding,
beat, and `prepare_database`, which also migrates them on every deploy like any school).
"""

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from tenants.migration_state import schemas_behind
from tenants.models import SchemaTemplate, SpareSchema
from tenants.schema_template import UnsupportedSchema, capture, migration_state, replay

logger = logging.getLogger(__name__)
SPARE_PREFIX = "spare_"
TEMPLATE_PREFIX = "template_"


def migrate_new_schema(schema_name: str) -> None:
    """CREATE SCHEMA and run every migration in it (what a template is captured from)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema_name)}")
    call_command("migrate_schemas", tenant=True, schema_name=schema_name, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def _store_template(schema_name: str) -> bool:
    """Capture the freshly migrated `schema_name` as the template of the code's migration state."""
    try:
        script = capture(schema_name)
    except UnsupportedSchema as error:
        logger.error("New schools' schemas will be migrated, not replayed: %s", error)
        return False
    # Two processes may capture at once: the first row wins, and both scripts are the same.
    SchemaTemplate.objects.bulk_create(
        [SchemaTemplate(migration_state=migration_state(), script=script)], ignore_conflicts=True
    )
    return True


def new_schema(schema_name: str) -> None:
    """Create and fill `schema_name` as a freshly migrated schema, in the caller's transaction: replay the
    template of the code's migration state, or migrate and capture it."""
    connection.set_schema_to_public()
    script = (
        SchemaTemplate.objects.filter(migration_state=migration_state())
        .values_list("script", flat=True)
        .first()
    )
    if script is not None:
        replay(schema_name, script)
        return
    logger.warning(
        "No schema template for these migrations yet: migrating %s, then capturing it", schema_name
    )
    migrate_new_schema(schema_name)
    _store_template(schema_name)


def template_refresh() -> bool:
    """Make sure the code's migration state has a template (captured from a schema migrated for it, then
    dropped) and forget other states'. For `prepare_database`; returns whether one was captured."""
    SchemaTemplate.objects.exclude(migration_state=migration_state()).delete()
    if SchemaTemplate.objects.filter(migration_state=migration_state()).exists():
        return False
    name = TEMPLATE_PREFIX + secrets.token_hex(6)
    with transaction.atomic():
        migrate_new_schema(name)
        captured = _store_template(name)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {connection.ops.quote_name(name)} CASCADE")
    return captured


def create_school_schema(schema_name: str) -> None:
    """Call inside the onboarding transaction: a rollback gives the spare back to the pool."""
    connection.set_schema_to_public()
    spare = SpareSchema.objects.select_for_update(skip_locked=True).first()
    if spare is None:
        new_schema(schema_name)
        return
    if schemas_behind([spare.schema_name]):
        # Made by a process still running the previous code during a deploy, after prepare_database had
        # migrated the pool: brought up to date here, so that no school starts behind the code.
        logger.warning("Spare %s is behind the code's migrations: migrating it first", spare.schema_name)
        call_command(
            "migrate_schemas", tenant=True, schema_name=spare.schema_name, interactive=False, verbosity=0
        )
        connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{spare.schema_name}" RENAME TO "{schema_name}"')
    spare.delete()


def spare_create() -> SpareSchema:
    name = SPARE_PREFIX + secrets.token_hex(6)
    with transaction.atomic():
        new_schema(name)
        return SpareSchema.objects.create(schema_name=name)


def spares_refill(target: int | None = None, *, jobs: int = 1) -> int:
    """Top the pool up to `target` (settings.SPARE_SCHEMAS), `jobs` spares at a time, each thread on its
    own connection (each spare is DDL run by PostgreSQL: a second connection uses a second core). Returns
    how many were made."""
    target = settings.SPARE_SCHEMAS if target is None else target
    missing = max(0, target - SpareSchema.objects.count())
    jobs = max(1, min(jobs, missing))
    if jobs == 1:
        for _ in range(missing):
            spare_create()
        return missing

    def make(count: int) -> None:
        try:
            for _ in range(count):
                spare_create()
        finally:
            connection.close()  # this thread's own connection

    shares = [missing // jobs + (share < missing % jobs) for share in range(jobs)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done in [pool.submit(make, count) for count in shares]:
            done.result()
    return missing
