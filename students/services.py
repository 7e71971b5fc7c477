"""The roster's writes that other apps and packages call: a staff member added (onboarding, the staff
list, seeding), the catalogue seeded into a new school, the school-year dates, and the enrolment helpers a
class change, a withdrawal and a transfer share."""

from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext

from accounts.roles import Role
from accounts.services import user_get_or_create
from schoolbook.audit.services import audit_record
from students import catalogue
from students.models import (
    Enrolment,
    GradeLevel,
    SchoolYear,
    StaffMember,
    Student,
    Subject,
    SubjectLoad,
    Term,
)
from tenants.services import affiliation_add


class StaffError(ValueError):
    pass


@transaction.atomic
def staff_add(*, actor, school, phone: str, full_name: str, roles: list[str]) -> StaffMember:
    """Give a person (found or created by phone) roles in this school. Call inside the school's schema."""
    roles = sorted(set(roles))
    if not roles or any(role not in Role.values for role in roles):
        raise StaffError(gettext("Chọn ít nhất một vai trò hợp lệ."))
    user = user_get_or_create(phone=phone, full_name=full_name, actor=actor)
    staff = StaffMember.objects.filter(user=user).first()
    before = None
    if staff is None:
        staff = StaffMember.objects.create(user=user, full_name=full_name or user.full_name, roles=roles)
    else:
        before = {"roles": staff.roles, "is_active": staff.is_active}
        staff.roles = sorted(set(staff.roles) | set(roles))
        staff.is_active = True
        staff.save(update_fields=["roles", "is_active"])
    affiliation_add(user=user, school=school, is_staff=True)
    audit_record(
        actor=actor,
        action="staff.add",
        obj=staff,
        before=before,
        after={"phone": user.phone, "roles": staff.roles},
    )
    return staff


def school_year_bounds(today: date) -> tuple[str, date, date, date]:
    """The school year that `today` falls in (Vietnamese schools run September to May; a year is taken
    to start on 1 August so the weeks before school opens belong to the coming year). Returns the name,
    its first day, the start of semester II and its last day; the school edits the exact dates."""
    first = today.year if today.month >= 8 else today.year - 1
    return f"{first}-{first + 1}", date(first, 9, 5), date(first + 1, 1, 15), date(first + 1, 5, 31)


@transaction.atomic
def catalogue_seed(*, levels: list[str], today: date) -> None:
    """A new school's grades, subjects with their periods, and the current school year with its two terms.
    Idempotent: what exists is left as the school edited it. A few bulk statements whatever the levels:
    every onboarding runs this, a CSV of a thousand schools a thousand times."""
    numbers = set(GradeLevel.objects.values_list("number", flat=True))
    GradeLevel.objects.bulk_create(
        GradeLevel(number=number, level=level)
        for level in levels
        for number in catalogue.GRADES[level]
        if number not in numbers
    )
    grades = {grade.number: grade for grade in GradeLevel.objects.all()}
    existing = set(Subject.objects.filter(level__in=levels).values_list("level", "code"))
    new = [
        (Subject(level=level, code=spec.code, name=spec.name, assessment=spec.assessment, order=order,
                 has_periodic_test=spec.has_periodic_test), spec)
        for level in levels
        for order, spec in enumerate(catalogue.CATALOGUE[level])
        if (level, spec.code) not in existing
    ]  # fmt: skip
    Subject.objects.bulk_create(subject for subject, _ in new)  # PostgreSQL returns their ids
    SubjectLoad.objects.bulk_create(
        SubjectLoad(subject=subject, grade=grades[number], periods_per_year=periods)
        for subject, spec in new
        for number, periods in spec.periods.items()
    )
    name, starts_on, second_term_on, ends_on = school_year_bounds(today)
    year, created = SchoolYear.objects.get_or_create(
        name=name,
        defaults={"starts_on": starts_on, "ends_on": ends_on, "is_current": not SchoolYear.objects.exists()},
    )
    if created:
        Term.objects.bulk_create([
            Term(year=year, number=1, starts_on=starts_on, ends_on=second_term_on - timedelta(days=1)),
            Term(year=year, number=2, starts_on=second_term_on, ends_on=ends_on),
        ])  # fmt: skip


# --- enrolments: shared by a class change, a withdrawal and a transfer ----------------------------------


def _open_enrolment(student: Student) -> Enrolment | None:
    """The student's current enrolment (not ended), locked; None if there is none."""
    return (
        Enrolment.objects.select_for_update()
        .select_related("school_class__year")
        .filter(student=student, ends_on__isnull=True)
        .order_by("-starts_on")
        .first()
    )


def _end_enrolment(enrolment: Enrolment, on_date: date) -> None:
    """End an enrolment the day before `on_date` (the new class or school starts on `on_date`), so that no
    day counts in two classes. A change dated on the enrolment's first day is refused by the callers."""
    enrolment.ends_on = on_date - timedelta(days=1)
    enrolment.save(update_fields=["ends_on"])
