import time

from django.core.management.base import BaseCommand, CommandError

from schoolbook.office_summaries import summaries_refresh
from tenants.models import School


class Command(BaseCommand):
    help = (
        "Refresh the education offices' summary of every active school (or of the schools named), in this "
        "process: the first fill after a deploy, or a catch-up without the worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="*", help="school codes (default: every active school)")
        parser.add_argument("--jobs", type=int, default=1, help="schools refreshed at the same time")

    def handle(self, *args, codes: list[str], jobs: int, **options):
        schools = School.objects.filter(is_active=True).order_by("code")
        if codes:
            schools = schools.filter(code__in=codes)
            unknown = set(codes) - set(schools.values_list("code", flat=True))
            if unknown:
                raise CommandError(f"No active school with the code(s): {', '.join(sorted(unknown))}")
        started = time.perf_counter()
        schools = list(schools)
        failed = summaries_refresh(schools, jobs=jobs)
        for school, error in failed:
            self.stdout.write(f"failed\t{school.code}\t{error}")
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{len(schools) - len(failed)} summaries refreshed, {len(failed)} failed in {seconds:.1f} s"
        )
        if failed:
            raise CommandError("Some summaries failed; see above.")
