"""Creating a school's schema by cloning the migrated template (structure only).

django-tenants' stock clone re-creates its large PL/pgSQL `clone_schema` function on every call and copies
rows by default; here the function is installed once (by `prepare_database`) and called with NODATA, and
the template's migration history is copied so that the new schema needs no `migrate --fake` run.
"""

from django.conf import settings
from django.db import connection
from django_tenants.clone import CLONE_SCHEMA_FUNCTION
from django_tenants.utils import schema_exists

TEMPLATE_SCHEMA = settings.TENANT_BASE_SCHEMA


def clone_function_installed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'clone_schema'")
        return cursor.fetchone() is not None


def install_clone_function() -> None:
    db_user = settings.DATABASES["default"].get("USER") or "postgres"
    with connection.cursor() as cursor:
        cursor.execute(CLONE_SCHEMA_FUNCTION.format(db_user=db_user))


def create_school_schema(schema_name: str) -> None:
    if not schema_exists(TEMPLATE_SCHEMA):
        raise RuntimeError(
            f"The template schema {TEMPLATE_SCHEMA!r} does not exist: run `manage.py prepare_database`."
        )
    connection.set_schema_to_public()
    if not clone_function_installed():
        install_clone_function()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clone_schema(%s, %s, 'NODATA')", [TEMPLATE_SCHEMA, schema_name])
        cursor.execute(
            f'INSERT INTO "{schema_name}".django_migrations (app, name, applied) '
            f'SELECT app, name, applied FROM "{TEMPLATE_SCHEMA}".django_migrations'
        )
