from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from schoolbook.audit.services import audit_record
from schoolbook.phones import PhoneError, normalize_phone


class Command(BaseCommand):
    help = (
        "Make a person (found or created by phone number) a platform admin. There is no password: "
        "they log in with a one-time code and set one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--phone", required=True)
        parser.add_argument("--name", required=True)

    def handle(self, *args, **options):
        try:
            phone = normalize_phone(options["phone"]).e164
        except PhoneError as error:
            raise CommandError(str(error)) from error
        user = User.objects.filter(phone=phone).first() or User.objects.create_user(
            phone, full_name=options["name"].strip()
        )
        user.is_platform_admin = True
        user.save(update_fields=["is_platform_admin"])
        audit_record(actor=None, action="user.platform_admin", obj=user, after={"is_platform_admin": True})
        self.stdout.write(self.style.SUCCESS(f"{user.phone} is a platform admin; log in at /login/code/."))
