"""Produce schools' records for the data links again for a range of days: after a link is set up mid-month
(the centre wants the month so far), or after our own outage skipped the evening run. Runs here, school by
school, in each school's schema; what is new or changed goes into the links' outbox and the worker sends it.
Producing a day again with nothing changed writes nothing."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from offices.models import EducationOffice
from tenants.models import School

MAX_DAYS = 366


class Command(BaseCommand):
    help = (
        "Write the records of the days FROM to TO (YYYY-MM-DD, both included) of every active school covered "
        "by an enabled data link (or by --office's) into the links' outbox; prints one line per school."
    )

    def add_arguments(self, parser):
        parser.add_argument("start", type=datetime.date.fromisoformat, metavar="FROM")
        parser.add_argument("end", type=datetime.date.fromisoformat, metavar="TO")
        parser.add_argument("--office", help="only the schools of this office (its code)")

    def handle(self, *args, **options):
        start, end = options["start"], options["end"]
        if end < start or (end - start).days >= MAX_DAYS:
            raise CommandError(f"FROM must not be after TO, and at most {MAX_DAYS} days")
        schools = School.objects.filter(is_active=True, office_memberships__office__data_link__enabled=True)
        if options["office"]:
            if not EducationOffice.objects.filter(code=options["office"]).exists():
                raise CommandError(f"No office with code {options['office']!r}")
            schools = schools.filter(office_memberships__office__code=options["office"])
        produce = import_string(settings.OFFICE_LINKS_PRODUCER)
        days = [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
        total = 0
        for school in schools.distinct().order_by("code"):
            with schema_context(school.schema_name):
                written = sum(produce(school=school, day=day) for day in days)
            total += written
            self.stdout.write(f"{school.code}\t{written} records")
        self.stdout.write(f"{total} records written for {len(days)} days")
