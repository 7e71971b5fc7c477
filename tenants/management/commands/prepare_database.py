"""Migrate the public schema, then only the school and spare schemas that are behind; capture the schema
template of the code's migrations if it has none yet (tenants.schema_template); top up the pool of spares.

Run on every deploy (and by `make run`): with nothing to migrate it costs one query for all the schools
(tenants.migration_state). Schools behind are migrated `--jobs` at a time, one line each, then a summary; a
school that fails does not stop the others, makes the command exit non-zero, and is retried by the next run.
There is no public School row: requests outside /s/ use django-tenants' FakeTenant for `public`."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tenants.migration_state import schemas_behind, schemas_migrate
from tenants.models import School, SpareSchema
from tenants.schemas import spares_refill, template_refresh


class Command(BaseCommand):
    help = (
        "Migrate public, then the school and spare schemas that are behind; capture the new schools' schema "
        "template if the migrations changed; fill the pool of spare schemas."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--jobs", type=int, default=1, help="schemas migrated (and spares made) at the same time"
        )

    def handle(self, *args, jobs: int, **options):
        verbosity = options["verbosity"]
        if schemas_behind(["public"]):
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        schemas = [
            *School.objects.values_list("schema_name", flat=True),
            *SpareSchema.objects.values_list("schema_name", flat=True),
        ]
        progress = self.stdout.write if verbosity else (lambda line: None)
        report = schemas_migrate(schemas, jobs=max(1, jobs), progress=progress)
        captured = template_refresh()
        made = spares_refill(jobs=max(1, jobs))
        summary = (
            f"Database ready: {len(report.done)} schemas migrated, {len(report.failed)} failed, "
            f"{report.skipped} up to date; "
            f"{'schema template captured' if captured else 'schema template up to date'}; "
            f"{made} spare schemas made."
        )
        if report.failed:
            failures = "\n".join(f"  {outcome.schema}: {outcome.error}" for outcome in report.failed)
            raise CommandError(f"{summary}\n{failures}\nRun prepare_database again once fixed: it resumes.")
        self.stdout.write(self.style.SUCCESS(summary))
