"""Creating a school's schema: rename a spare, migrated schema (instant) or, with none left, migrate one.

Cloning a template schema (django-tenants' `clone_schema`) was measured here first and dropped: its
index-renaming query scans the whole catalog, so it slowed down as schools were added (53 ms with no
schools, 567 ms with 300) and was no faster than migrating (docs/benchmarks.md). `ALTER SCHEMA … RENAME`
costs the same however many schools there are. Spares are made by running the real migrations, off the
request path (a Celery task after each onboarding, and beat), and `prepare_database` migrates them on every
deploy like any school, so a spare is always exactly what a freshly migrated school would be.
"""

import logging
import secrets

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from tenants.models import SpareSchema

logger = logging.getLogger(__name__)
SPARE_PREFIX = "spare_"


def _migrate_new_schema(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    call_command("migrate_schemas", tenant=True, schema_name=schema_name, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def create_school_schema(schema_name: str) -> None:
    """Call inside the onboarding transaction: a rollback gives the spare back to the pool."""
    connection.set_schema_to_public()
    spare = SpareSchema.objects.select_for_update(skip_locked=True).first()
    if spare is None:
        logger.warning("No spare schema left: migrating %s while the admin waits", schema_name)
        _migrate_new_schema(schema_name)
        return
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{spare.schema_name}" RENAME TO "{schema_name}"')
    spare.delete()


def spare_create() -> SpareSchema:
    name = SPARE_PREFIX + secrets.token_hex(6)
    with transaction.atomic():
        _migrate_new_schema(name)
        return SpareSchema.objects.create(schema_name=name)


def spares_refill(target: int | None = None) -> int:
    """Top the pool up to `target` (settings.SPARE_SCHEMAS); returns how many were made."""
    target = settings.SPARE_SCHEMAS if target is None else target
    made = 0
    while SpareSchema.objects.count() < target:
        spare_create()
        made += 1
    return made
