import re
from dataclasses import dataclass, field
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
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentStatus,
    Subject,
    SubjectLoad,
    Term,
)
from tenants.services import affiliation_add


class StaffError(ValueError):
    pass


@transaction.atomic
def staff_add(*, actor, school, phone: str, full_name: str, roles: list[str], request=None) -> StaffMember:
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
        request=request,
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
    Idempotent: what exists is left as the school edited it."""
    for level in levels:
        for number in catalogue.GRADES[level]:
            GradeLevel.objects.get_or_create(number=number, defaults={"level": level})
        grades = {grade.number: grade for grade in GradeLevel.objects.filter(level=level)}
        for order, spec in enumerate(catalogue.CATALOGUE[level]):
            subject, created = Subject.objects.get_or_create(
                level=level,
                code=spec.code,
                defaults={"name": spec.name, "assessment": spec.assessment, "order": order,
                          "has_periodic_test": spec.has_periodic_test},
            )  # fmt: skip
            if created:
                SubjectLoad.objects.bulk_create(
                    SubjectLoad(subject=subject, grade=grades[number], periods_per_year=periods)
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


# --- changes over time: a class change, a transfer to another school, the year rollover ------------------


class RosterError(ValueError):
    pass


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


@transaction.atomic
def enrolment_move(
    *, actor, student: Student, to_class: SchoolClass, on_date: date, request=None
) -> Enrolment:
    """Move a student to another class of the same school year from `on_date`: the current enrolment ends
    the day before (`ends_on = on_date - 1`), the new one starts on `on_date`; both stay as history.
    Call inside the school's schema."""
    student = Student.objects.select_for_update().get(pk=student.pk)
    if student.status != StudentStatus.STUDYING:
        raise RosterError(gettext("Chỉ chuyển lớp được cho học sinh đang học."))
    current = _open_enrolment(student)
    if current is None:
        raise RosterError(gettext("Học sinh chưa được xếp lớp nào."))
    if to_class.archived_at is not None:
        raise RosterError(gettext("Lớp %(name)s đã lưu trữ.") % {"name": to_class.name})
    if to_class.pk == current.school_class_id:
        raise RosterError(gettext("Học sinh đang học lớp %(name)s.") % {"name": to_class.name})
    if to_class.year_id != current.school_class.year_id:
        raise RosterError(
            gettext("Lớp %(name)s thuộc năm học %(other)s, không phải năm học %(year)s của học sinh.")
            % {"name": to_class.name, "other": to_class.year.name, "year": current.school_class.year.name}
        )
    if on_date <= current.starts_on:
        raise RosterError(
            gettext("Ngày chuyển lớp phải sau ngày vào lớp hiện tại (%(date)s).")
            % {"date": current.starts_on.strftime("%d/%m/%Y")}
        )
    if Enrolment.objects.filter(student=student, school_class=to_class).exists():
        raise RosterError(
            gettext("Học sinh đã từng học lớp %(name)s trong năm học này.") % {"name": to_class.name}
        )
    _end_enrolment(current, on_date)
    enrolment = Enrolment.objects.create(student=student, school_class=to_class, starts_on=on_date)
    audit_record(
        actor=actor,
        action="enrolment.move",
        obj=student,
        before={"class": current.school_class.name},
        after={"class": to_class.name, "on": on_date.isoformat()},
        request=request,
    )
    return enrolment


@dataclass
class RolloverReport:
    year: SchoolYear
    classes_created: int = 0
    promoted: int = 0
    graduated: int = 0
    classes_not_promoted: list[str] = field(
        default_factory=list
    )  # last-grade classes: their students graduate

    def __str__(self) -> str:
        return gettext(
            "Năm học %(year)s: %(classes)d lớp mới, %(promoted)d học sinh lên lớp, "
            "%(graduated)d học sinh tốt nghiệp."
        ) % {
            "year": self.year.name,
            "classes": self.classes_created,
            "promoted": self.promoted,
            "graduated": self.graduated,
        }


_LEADING_GRADE = re.compile(r"^(\d+)(.*)$")


def promoted_class_name(name: str, grade: int) -> str:
    """6A1 → 7A1: the leading grade number plus one, the same suffix. Refused if the name does not start
    with its grade's number (the school renames the class first)."""
    match = _LEADING_GRADE.match(name)
    if not match or int(match.group(1)) != grade:
        raise RosterError(
            gettext("Tên lớp %(name)s không bắt đầu bằng khối %(grade)d: không thể lên lớp tự động.")
            % {"name": name, "grade": grade}
        )
    return f"{grade + 1}{match.group(2)}"


@transaction.atomic
def year_rollover(
    *, actor, from_year: SchoolYear, new_year_name: str, starts_on: date, ends_on: date, request=None
) -> RolloverReport:
    """Open the new school year (current, with its two terms) and promote: each class of `from_year` gets
    its next-grade class in the new year (6A1 → 7A1, same homeroom teacher) and each student enrolled and
    studying in it is enrolled there from `starts_on`; students of a grade with no next grade in this school
    (5, 9 or 12, the school's last) graduate. Old enrolments end on `from_year.ends_on`. Teaching assignments
    are not carried over (they change with the grade). Call inside the school's schema."""
    from_year = SchoolYear.objects.select_for_update().get(pk=from_year.pk)
    new_year_name = new_year_name.strip()
    if not re.fullmatch(r"\d{4}-\d{4}", new_year_name):
        raise RosterError(gettext("Năm học có dạng 2025-2026."))
    if SchoolYear.objects.filter(name=new_year_name).exists():
        raise RosterError(gettext("Năm học %(name)s đã có.") % {"name": new_year_name})
    if not from_year.is_current:
        raise RosterError(
            gettext("Chỉ lên lớp từ năm học hiện tại (%(name)s không phải).") % {"name": from_year.name}
        )
    if not (from_year.ends_on < starts_on < ends_on):
        raise RosterError(
            gettext("Năm học mới phải bắt đầu sau ngày %(end)s và kết thúc sau ngày bắt đầu.")
            % {"end": from_year.ends_on.strftime("%d/%m/%Y")}
        )
    grades = {grade.number: grade for grade in GradeLevel.objects.all()}
    classes = list(
        SchoolClass.objects.filter(year=from_year, archived_at__isnull=True).select_related("grade")
    )
    new_names = {
        school_class.pk: promoted_class_name(school_class.name, school_class.grade.number)
        for school_class in classes
        if school_class.grade.number + 1 in grades
    }
    SchoolYear.objects.filter(pk=from_year.pk).update(is_current=False)
    year = SchoolYear.objects.create(
        name=new_year_name, starts_on=starts_on, ends_on=ends_on, is_current=True
    )
    second_term = date(starts_on.year + 1, 1, 15)
    if not starts_on < second_term <= ends_on:
        second_term = starts_on + (ends_on - starts_on) / 2
    Term.objects.bulk_create([
        Term(year=year, number=1, starts_on=starts_on, ends_on=second_term - timedelta(days=1)),
        Term(year=year, number=2, starts_on=second_term, ends_on=ends_on),
    ])  # fmt: skip
    promoted_classes = {
        school_class.pk: SchoolClass(
            name=new_names[school_class.pk],
            grade=grades[school_class.grade.number + 1],
            year=year,
            homeroom_teacher_id=school_class.homeroom_teacher_id,
        )
        for school_class in classes
        if school_class.pk in new_names
    }
    SchoolClass.objects.bulk_create(promoted_classes.values())
    report = RolloverReport(
        year=year,
        classes_created=len(promoted_classes),
        classes_not_promoted=sorted(c.name for c in classes if c.pk not in new_names),
    )
    current = list(
        Enrolment.objects.select_for_update()
        .filter(school_class__year=from_year, ends_on__isnull=True, student__status=StudentStatus.STUDYING)
        .select_related("student")
    )
    new_enrolments, graduates = [], []
    for enrolment in current:
        enrolment.ends_on = max(from_year.ends_on, enrolment.starts_on)
        target = promoted_classes.get(enrolment.school_class_id)
        if target is None:
            graduates.append(enrolment.student_id)
        else:
            new_enrolments.append(
                Enrolment(student_id=enrolment.student_id, school_class=target, starts_on=starts_on)
            )
    Enrolment.objects.bulk_update(current, ["ends_on"], batch_size=1000)
    Enrolment.objects.bulk_create(new_enrolments, batch_size=1000)
    Student.objects.filter(pk__in=graduates).update(status=StudentStatus.GRADUATED)
    report.promoted, report.graduated = len(new_enrolments), len(graduates)
    audit_record(
        actor=actor,
        action="year.rollover",
        obj=year,
        before={"year": from_year.name},
        after={"year": year.name, "classes_created": report.classes_created, "promoted": report.promoted,
               "graduated": report.graduated},
        request=request,
    )  # fmt: skip
    return report
