"""Restore one school from an archive of backup_school (schoolbook.backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schoolbook.backup import BackupError, school_restore


class Command(BaseCommand):
    help = (
        "Restore a school from an archive of backup_school: under its own code, or another one (--as). "
        "An existing school is replaced only with --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the archive (backup_school's tar file)")
        parser.add_argument("--as", dest="code", help="restore under this code (default: the archived one)")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace the school's schema, affiliations and files if it exists (its row and code stay)",
        )

    def handle(self, *args, file: Path, code: str | None, replace: bool, **options):
        try:
            restored = school_restore(path=file, code=code, replace=replace, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        for note in restored.notes:
            self.stderr.write(note)
        self.stdout.write(
            self.style.SUCCESS(
                f"School {restored.school.code} restored ({restored.school.schema_name}): {restored.tables} "
                f"tables, {restored.rows} rows; {restored.users_created} users created, "
                f"{restored.users_existing} already here; {restored.files} files"
                + ("; migrated to this version" if restored.migrated else "")
            )
        )
