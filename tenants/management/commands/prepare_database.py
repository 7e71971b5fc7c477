"""Migrate the public schema, the school template and every school.

There is no public School row: requests outside /s/ use django-tenants' FakeTenant for `public`.

Run on every deploy (and by `make run`): the template must always be fully migrated, because new schools
are cloned from it."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from tenants.models import School
from tenants.schemas import TEMPLATE_SCHEMA, install_clone_function


class Command(BaseCommand):
    help = "Migrate public, template and school schemas; the template is what new schools are cloned from."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{TEMPLATE_SCHEMA}"')
        call_command(
            "migrate_schemas",
            tenant=True,
            schema_name=TEMPLATE_SCHEMA,
            interactive=False,
            verbosity=verbosity,
        )
        if School.objects.exists():
            call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        install_clone_function()
        self.stdout.write(self.style.SUCCESS("Database ready."))
