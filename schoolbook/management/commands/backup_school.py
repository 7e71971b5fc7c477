"""Back up one school: its schema, the public rows it needs, its files, in one archive (schoolbook.backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schoolbook.backup import BackupError, school_backup


class Command(BaseCommand):
    help = "Write one school's archive: pg_dump of its schema, its public rows (school, users) and its files."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the school's code")
        parser.add_argument("file", type=Path, help="the archive to write (a tar file)")

    def handle(self, *args, code: str, file: Path, **options):
        try:
            manifest = school_backup(code=code, path=file)
        except BackupError as error:
            raise CommandError(str(error)) from error
        tables, rows = len(manifest["tables"]), sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"{file}: school {code} ({manifest['schema']}), {tables} tables, {rows} rows, "
                f"{manifest['users']} users, {len(manifest['media'])} files"
            )
        )
        if manifest["media_missing"]:
            self.stderr.write(
                f"Files named by the school but missing from MEDIA_ROOT: {manifest['media_missing']}"
            )
