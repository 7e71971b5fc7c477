"""Reads for the roster pages: the staff, student and assignment lists, a class's roster, and what the
year rollover would do."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from schoolbook.text import fold
from students.models import (
    Enrolment,
    GradeLevel,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentGuardian,
    StudentStatus,
    TeachingAssignment,
)
from students.roster.services import promoted_class_name
from students.selectors import current_enrolments, with_current_class


def staff_list(*, search: str = ""):
    """Search ignores accents. A school has at most a few hundred staff, so names are folded here rather than
    kept in a column that every bulk write (imports, seeding) would have to maintain."""
    staff = StaffMember.objects.select_related("user").order_by("sort_key", "pk")
    if search:
        folded, digits = fold(search), search.lstrip("0").replace(" ", "")
        matches = [
            pk
            for pk, name, phone in staff.values_list("pk", "full_name", "user__phone")
            if folded in fold(name) or (digits.isdigit() and digits in phone)
        ]
        staff = staff.filter(pk__in=matches)
    return staff


def archived_classes(year: SchoolYear | None):
    return (
        SchoolClass.objects.filter(year=year, archived_at__isnull=False)
        .select_related("grade")
        .order_by("grade__number", "name")
    )


def student_list(
    *, search: str = "", class_id: int | None = None, grade: int | None = None, status: str = ""
):
    """Students, each with their current class. The search ignores accents and case ("nguyen van an" finds
    "Nguyễn Văn An") through the folded name column, and also matches the student code."""
    students = with_current_class(Student.objects.all())
    search = search.strip()
    if search:
        folded = fold(search)
        students = students.filter(
            Q(full_name_folded__contains=folded) | Q(student_code__iexact=search.replace(" ", ""))
        )
    if class_id:
        students = students.filter(
            Exists(current_enrolments().filter(student=OuterRef("pk"), school_class_id=class_id))
        )
    if grade:
        students = students.filter(
            Exists(current_enrolments().filter(student=OuterRef("pk"), school_class__grade__number=grade))
        )
    if status:
        students = students.filter(status=status)
    return students.order_by("sort_key", "student_code")


def class_roster(school_class: SchoolClass, *, with_guardians: bool):
    """The students enrolled today in a class, with their guardians' links when asked."""
    today = timezone.localdate()
    students = Student.objects.filter(
        Exists(
            Enrolment.objects.filter(student=OuterRef("pk"), school_class=school_class).filter(
                Q(ends_on__isnull=True) | Q(ends_on__gte=today)
            )
        )
    ).order_by("sort_key", "student_code")
    if with_guardians:
        links = StudentGuardian.objects.select_related("guardian").order_by(
            "-is_primary_contact", "guardian__sort_key"
        )
        students = students.prefetch_related(Prefetch("guardian_links", queryset=links))
    return students


def assignment_list(*, year: SchoolYear | None, class_id: int | None = None):
    assignments = TeachingAssignment.objects.filter(school_class__year=year).select_related(
        "teacher", "school_class__grade", "subject"
    )
    if class_id:
        assignments = assignments.filter(school_class_id=class_id)
    return assignments.order_by("school_class__grade__number", "school_class__name", "subject__order")


def rollover_preview(year: SchoolYear) -> dict:
    """What year_rollover would do, read only: each class promoted (old → new name) with its students, the
    last-grade classes whose students graduate. Raises RosterError as the service would for a class whose
    name does not start with its grade."""
    grades = set(GradeLevel.objects.values_list("number", flat=True))
    studying = Q(enrolments__ends_on__isnull=True, enrolments__student__status=StudentStatus.STUDYING)
    classes = (
        SchoolClass.objects.filter(year=year, archived_at__isnull=True)
        .select_related("grade")
        .annotate(studying=Count("enrolments", filter=studying))
        .order_by("grade__number", "name")
    )
    promoted, graduating = [], []
    for school_class in classes:
        if school_class.grade.number + 1 in grades:
            new_name = promoted_class_name(school_class.name, school_class.grade.number)
            promoted.append(
                {"name": school_class.name, "new_name": new_name, "students": school_class.studying}
            )
        else:
            graduating.append({"name": school_class.name, "students": school_class.studying})
    return {
        "promoted": promoted,
        "graduating": graduating,
        "promoted_students": sum(item["students"] for item in promoted),
        "graduated_students": sum(item["students"] for item in graduating),
    }
