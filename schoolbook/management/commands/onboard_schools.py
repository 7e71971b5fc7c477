from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schoolbook.onboarding import CSV_COLUMNS, schools_onboard_csv


class Command(BaseCommand):
    help = (
        "Onboard schools from a UTF-8 CSV with the columns "
        + ", ".join(CSV_COLUMNS)
        + ". Good rows are created "
        "(each all-or-nothing); bad rows are reported as line, field, reason. Exit code 1 if any row was bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="spare schemas made, then rows onboarded, at the same time (one connection each)",
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        report = schools_onboard_csv(actor=None, text=text, jobs=max(1, options["jobs"]))
        for school in report.created:
            self.stdout.write(f"created\t{school.code}\t{school.name}")
        for problem in report.problems:
            self.stdout.write(f"line {problem.line}\t{problem.field}\t{problem.reason}")
        self.stdout.write(
            f"{len(report.created)} created, {len({p.line for p in report.problems})} rows rejected"
        )
        if report.problems:
            raise CommandError("Some rows were rejected; see the report above.")
