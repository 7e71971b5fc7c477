"""The test builders, in one place: students, enrolments, staff, teaching assignments, guardians and parents
of the session's world (tests/conftest.py). Each writes through the models or the services as the pages do,
in the current schema."""

import datetime

from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from students.models import (
    Enrolment,
    Guardian,
    StaffMember,
    Student,
    StudentGuardian,
    Subject,
    TeachingAssignment,
)
from students.services import staff_add
from tenants.services import affiliation_add


def enrolment_start() -> datetime.date:
    """A week ago: a test's "two hours ago" falls inside the enrolment even just after midnight."""
    return timezone.localdate() - datetime.timedelta(days=7)


def student_make(code, name, *, born="2014-01-01", gender="male", **extra) -> Student:
    """A student of the current school, in no class yet."""
    return Student.objects.create(
        student_code=code, full_name=name, date_of_birth=born, gender=gender, **extra
    )


def enrol(student, school_class, *, starts_on=None, ends_on=None) -> Enrolment:
    """`student` in `school_class` from `starts_on` (default `enrolment_start()`)."""
    return Enrolment.objects.create(
        student=student, school_class=school_class, starts_on=starts_on or enrolment_start(), ends_on=ends_on
    )


def student_enrol(
    code, school_class, name, *, born="2014-01-01", gender="male", starts_on=None, **extra
) -> Student:
    """A student enrolled in `school_class` since `starts_on` (default `enrolment_start()`)."""
    student = student_make(code, name, born=born, gender=gender, **extra)
    enrol(student, school_class, starts_on=starts_on)
    return student


def staff_make(world, phone, name, roles=(Role.TEACHER,)) -> StaffMember:
    """A staff member of school A added by its admin, as the staff pages do (a user who can sign in)."""
    return staff_add(
        actor=world.admin_a, school=world.school_a, phone=phone, full_name=name, roles=list(roles)
    )


def assignment_make(teacher, school_class, code, level="lower_secondary") -> TeachingAssignment:
    """`teacher` teaches the catalogue subject `code` of `level` in `school_class`."""
    subject = Subject.objects.get(level=level, code=code)
    return TeachingAssignment.objects.create(teacher=teacher, school_class=school_class, subject=subject)


def guardian_link(child, phone, *, full_name=None, user=None, notifications=True, relationship="mother"):
    """The guardian with this phone ("09…" or "+84…") becomes `child`'s guardian; a new one is created
    named `full_name` (default "Phụ huynh <phone>") with `user`. One guardian may so have several
    children."""
    e164 = phone if phone.startswith("+") else f"+84{phone[1:]}"
    guardian = Guardian.objects.filter(phone=e164).first() or Guardian.objects.create(
        full_name=full_name or f"Phụ huynh {phone}", phone=e164, user=user
    )
    StudentGuardian.objects.create(
        student=child, guardian=guardian, relationship=relationship, receives_notifications=notifications
    )
    return guardian


def guardian_account(world, guardian, full_name=None) -> User:
    """A user for an existing guardian (the guardian's phone), affiliated to school A as a guardian, so that
    the guardian can sign in."""
    user = User.objects.create_user(guardian.phone, full_name=full_name or guardian.full_name)
    guardian.user = user
    guardian.save(update_fields=["user"])
    affiliation_add(user=user, school=world.school_a, is_guardian=True)
    return user


def guardian_of(school, student, user, relationship="mother", primary=True) -> Guardian:
    """`user` (by their phone) becomes `student`'s guardian in the current school, affiliated to `school`."""
    guardian, _ = Guardian.objects.get_or_create(
        phone=user.phone, defaults={"full_name": user.full_name, "user": user}
    )
    StudentGuardian.objects.create(
        student=student, guardian=guardian, relationship=relationship, is_primary_contact=primary
    )
    affiliation_add(user=user, school=school, is_guardian=True)
    return guardian


def parent_make(world, child, phone, full_name) -> User:
    """A parent who can sign in to school A: a user and `child`'s guardian (the mother) with that phone."""
    user = User.objects.create_user(phone, full_name=full_name)
    guardian_link(child, user.phone, full_name=full_name, user=user)
    affiliation_add(user=user, school=world.school_a, is_guardian=True)
    return user


# --- fees (payments) ---------------------------------------------------------------------------------


def fee_item_make(name, amount, *, unit="month", compulsory=True, grades=(), classes=(), students=()):
    """An item of the current school year's fee catalogue, for the whole school unless scoped."""
    from payments.models import FeeItem
    from students.models import SchoolYear

    item = FeeItem.objects.create(
        year=SchoolYear.objects.get(is_current=True),
        name=name,
        amount=amount,
        unit=unit,
        compulsory=compulsory,
    )
    item.grades.set(grades)
    item.classes.set(classes)
    item.students.set(students)
    return item


def round_make(creator, items, *, name="Tháng 9", months=1, due_on=None):
    """A collection round of the current year billing `items`, due in a week (default)."""
    from payments.models import CollectionRound
    from students.models import SchoolYear

    round_ = CollectionRound.objects.create(
        year=SchoolYear.objects.get(is_current=True), name=name, months=months,
        due_on=due_on or timezone.localdate() + datetime.timedelta(days=7), created_by=creator,
    )  # fmt: skip
    round_.items.set(items)
    return round_


def round_invoice(actor, round_):
    """Generate the round's invoices as the confirmed preview does; returns the applied plan."""
    from payments.invoicing.plan import round_plan
    from payments.invoicing.services import round_generate

    return round_generate(actor=actor, round_=round_, token=round_plan(round_).token)


def account_make(bank_bin="970436", number="0011001234567", name="TRUONG THCS THU NGHIEM A"):
    """The school's receiving account (the VietQR on every invoice), Vietcombank by default."""
    from payments.models import ReceivingAccount

    return ReceivingAccount.objects.create(bank_bin=bank_bin, account_number=number, account_name=name)


def money_receive(amount, note, *, source="sepay", provider_id=None, reference=""):
    """A transfer reaching the school's account as a bank feed reports it (the ledger stores and matches
    it); returns the stored BankTransaction."""
    from uuid import uuid4

    from payments.ledger.services import Incoming, transaction_record

    row, _ = transaction_record(
        Incoming(
            source=source, provider_id=provider_id or uuid4().hex, amount=amount, note=note,
            occurred_at=timezone.now(), reference=reference,
        )
    )  # fmt: skip
    return row
