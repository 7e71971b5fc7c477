"""Migrate the public schema, every school and every spare schema; top up the pool of spares.

Run on every deploy (and by `make run`). There is no public School row: requests outside /s/ use
django-tenants' FakeTenant for `public`."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants.models import School
from tenants.schemas import spares_migrate, spares_refill


class Command(BaseCommand):
    help = "Migrate public, school and spare schemas; make sure the pool of spare schemas is full."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        if School.objects.exists():
            call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        spares_migrate()
        made = spares_refill()
        self.stdout.write(self.style.SUCCESS(f"Database ready ({made} spare schemas made)."))
