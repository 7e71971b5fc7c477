from django.core.management.base import BaseCommand, CommandError

from schoolbook.onboarding import OnboardingError, school_onboard
from tenants.models import Level


class Command(BaseCommand):
    help = "Onboard one school: take a ready spare schema (or migrate one), its address and its admin."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="URL code: lowercase letters, digits, dashes")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--level", action="append", required=True, choices=Level.values, help="repeat for several levels"
        )
        parser.add_argument("--admin-phone", required=True)
        parser.add_argument("--admin-name", required=True)
        for optional in ("province", "district", "address", "phone", "email"):
            parser.add_argument(f"--{optional}", default="")

    def handle(self, *args, **options):
        data = {
            key: options[key]
            for key in (
                "code",
                "name",
                "admin_phone",
                "admin_name",
                "province",
                "district",
                "address",
                "phone",
                "email",
            )
        }
        data["levels"] = options["level"]
        try:
            school = school_onboard(actor=None, data=data)
        except OnboardingError as error:
            raise CommandError(
                "\n".join(
                    f"{name}: {message}" for name, messages in error.errors.items() for message in messages
                )
            ) from error
        self.stdout.write(self.style.SUCCESS(f"Created {school.code} ({school.name}): /s/{school.code}/"))
