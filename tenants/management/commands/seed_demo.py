"""Demo data for `make run`: a platform admin, one demo school with its admin and principal.

Passwords are generated on every run and printed (there are no default passwords); the data itself is
created once and reused."""

import secrets

from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import schema_context

from accounts.models import User
from students.models import Role
from students.services import staff_add
from tenants.models import School
from tenants.services import school_onboard

DEMO_SCHOOL = {
    "code": "thcs-demo",
    "name": "Trường THCS Chu Văn An (demo)",
    "levels": ["lower_secondary"],
    "province": "Hà Nội",
    "district": "Ba Đình",
    "address": "10 Thụy Khuê",
    "phone": "024 3823 4567",
    "email": "",
    "admin_name": "Nguyễn Thị Lan",
    "admin_phone": "0912 000 001",
}
PLATFORM_ADMIN = ("0912 000 000", "Quản trị Schoolbook")
PRINCIPAL = ("0912 000 002", "Trần Văn Minh")


class Command(BaseCommand):
    help = "Create (once) the demo school and people, and print fresh passwords for them."

    @transaction.atomic
    def handle(self, *args, **options):
        admin_phone, admin_name = PLATFORM_ADMIN
        platform_admin = User.objects.filter(phone="+84912000000").first() or User.objects.create_user(
            admin_phone, full_name=admin_name, is_platform_admin=True
        )
        school = School.objects.filter(code=DEMO_SCHOOL["code"]).first()
        if school is None:
            school = school_onboard(actor=platform_admin, data=DEMO_SCHOOL)
            with schema_context(school.schema_name):
                staff_add(
                    actor=platform_admin,
                    school=school,
                    phone=PRINCIPAL[0],
                    full_name=PRINCIPAL[1],
                    roles=[Role.PRINCIPAL],
                )
        lines = []
        for phone, label in (
            (PLATFORM_ADMIN[0], "platform admin"),
            (DEMO_SCHOOL["admin_phone"], "school admin"),
            (PRINCIPAL[0], "principal"),
        ):
            user = User.objects.get(phone="+84" + phone.replace(" ", "")[1:])
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.save(update_fields=["password"])
            lines.append(f"  {label:<15} phone {phone}   password {password}")
        self.stdout.write("\nDemo logins (new passwords on every start):\n" + "\n".join(lines))
        self.stdout.write(f"  demo school      http://127.0.0.1:8000/s/{school.code}/\n")
