"""The roster or staff import from the command line, for a school given by its code: dry run or commit."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from students.imports.roster import STUDENTS
from students.imports.staff import STAFF
from tenants.models import School


class Command(BaseCommand):
    help = (
        "Import students with their guardians (or, with --staff, the school's staff) from the school's .xlsx "
        "or UTF-8 .csv template. Without --commit: a dry run that prints the preview and the problems. With "
        "--commit: applies everything or nothing. Each problem is printed as `line N<TAB>column<TAB>reason` "
        "(line 0: the whole file). Exit code 1 if there is any problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="the school's code, e.g. thcs-nguyen-du")
        parser.add_argument("file", type=Path)
        parser.add_argument("--staff", action="store_true", help="the file is the staff template")
        parser.add_argument("--commit", action="store_true", help="write the changes (default: dry run)")

    def handle(self, *args, **options):
        school = School.objects.filter(code=options["school"]).first()
        if school is None:
            raise CommandError(f"No school with code {options['school']!r}")
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        importer = STAFF if options["staff"] else STUDENTS
        with schema_context(school.schema_name):
            if options["commit"]:
                report = importer.commit(actor=None, school=school, data=data, filename=path.name)
            else:
                report = importer.check(data, path.name)
        for notice in report.notices:
            self.stdout.write(f"notice line {notice.line}\t{notice.column}\t{notice.message}")
        for problem in report.problems:
            self.stdout.write(f"line {problem.line}\t{problem.column}\t{problem.reason}")
        summary = report.summary
        if report.new_classes:
            names = ", ".join(c.name for c in report.new_classes.values())
            self.stdout.write(f"classes {len(report.new_classes)} to create: {names}")
        if options["staff"]:
            self.stdout.write(
                f"{summary.rows} rows: staff {summary.staff_created} to create, {summary.staff_updated} to "
                f"update, {summary.staff_unchanged} unchanged; users {summary.users_created} to create; "
                f"homerooms {summary.homerooms_set} to set; "
                f"assignments {summary.assignments_created} to create"
            )
        else:
            self.stdout.write(
                f"{summary.rows} rows: students {summary.students_created} to create, "
                f"{summary.students_updated} to update, {summary.students_unchanged} unchanged; "
                f"guardians {summary.guardians_created} to create, {summary.guardians_updated} to update; "
                f"users {summary.users_created} to create; links {summary.links_created} to create, "
                f"{summary.links_updated} to update; enrolments {summary.enrolments_created} to create, "
                f"{summary.enrolments_moved} to move"
            )
        if report.problems:
            raise CommandError(f"{len(report.problems)} problems: nothing was imported.")
        self.stdout.write("committed" if report.committed else "dry run: nothing written (use --commit)")
