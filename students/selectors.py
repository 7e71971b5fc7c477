"""Roster reads that several apps and packages use: the cached staff and guardian lookups of the access
check, the current year and enrolments, the school's days off, class lists, a student's profile, children of
a guardian, and the students a message about a class reaches."""

from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from schoolbook.caching import cached_lookup
from students.models import (
    DayOff,
    Enrolment,
    Guardian,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentGuardian,
)

STAFF_CACHE_SECONDS = 300


def staff_cache_key(schema_name: str, user_id: int) -> str:
    return f"staff-of-user:{schema_name}:{user_id}"


def staff_for_user(user) -> StaffMember | None:
    """The user's active staff row in the current school, or None. Asked on every school request (the
    access check), so it is cached in Redis and forgotten by students.signals when the row changes."""
    return cached_lookup(
        staff_cache_key(connection.schema_name, user.pk),
        lambda: StaffMember.objects.filter(user=user, is_active=True).first(),
        STAFF_CACHE_SECONDS,
    )


# --- guardians in the access check ---------------------------------------------------------------------

GUARDIAN_CACHE_SECONDS = 300


def guardian_cache_key(schema_name: str, user_id: int) -> str:
    return f"guardian-of-user:{schema_name}:{user_id}"


def guardian_for_user(user) -> Guardian | None:
    """The user's guardian row in the current school, or None; cached like staff_for_user and forgotten by
    students.signals when a Guardian row changes."""
    return cached_lookup(
        guardian_cache_key(connection.schema_name, user.pk),
        lambda: Guardian.objects.filter(user=user).order_by("pk").first(),
        GUARDIAN_CACHE_SECONDS,
    )


def guardian_cache_forget(user_ids) -> None:
    """For writes that send no signals (bulk_create, QuerySet.update) of Guardian rows linked to users: the
    import must call this, or a parent answered 404 just before stays out for GUARDIAN_CACHE_SECONDS."""
    from schoolbook.caching import forget_now_and_on_commit

    for user_id in set(user_ids) - {None}:
        forget_now_and_on_commit(guardian_cache_key(connection.schema_name, user_id))


# --- classes, students, assignments ---------------------------------------------------------------------


def current_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(is_current=True).first()


def days_off_between(start: date, end: date) -> dict[date, DayOff]:
    """Each day from `start` to `end` (both included) that one of the school's days off covers, with that day
    off (one query, whatever the range)."""
    covering = DayOff.objects.filter(first_day__lte=end, last_day__gte=start).order_by("first_day")
    found = {}
    for day_off in covering:
        day = max(day_off.first_day, start)
        while day <= min(day_off.last_day, end):
            found[day] = day_off
            day += timedelta(days=1)
    return found


def is_day_off(day: date) -> DayOff | None:
    """The school's day off covering `day` (its name is what pages show), else None: no classes that day,
    though a roll call may still be taken (a make-up day)."""
    return days_off_between(day, day).get(day)


def current_enrolments(today: date | None = None):
    """Enrolments that hold today: in a class of the current school year, not ended before today."""
    today = today or timezone.localdate()
    return Enrolment.objects.filter(school_class__year__is_current=True).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )


def _current_class_of_student():
    return current_enrolments().filter(student=OuterRef("pk")).order_by("-starts_on")


def with_current_class(students):
    """Annotates each student with current_class_id and current_class_name (subqueries, same query)."""
    latest = _current_class_of_student()
    return students.annotate(
        current_class_id=Subquery(latest.values("school_class_id")[:1]),
        current_class_name=Subquery(latest.values("school_class__name")[:1]),
    )


def class_list(*, year: SchoolYear | None):
    """The classes of a year (archived ones left out) with grade, homeroom teacher and the number of
    students enrolled today, in one query."""
    today = timezone.localdate()
    enrolled_now = Q(enrolments__ends_on__isnull=True) | Q(enrolments__ends_on__gte=today)
    return (
        SchoolClass.objects.filter(year=year, archived_at__isnull=True)
        .select_related("grade", "homeroom_teacher")
        .annotate(student_count=Count("enrolments", filter=enrolled_now))
        .order_by("grade__number", "name")
    )


def student_profile(pk: int) -> Student | None:
    """A student with guardians (primary contact first) and enrolment history (newest first)."""
    links = StudentGuardian.objects.select_related("guardian").order_by(
        "-is_primary_contact", "guardian__sort_key"
    )
    history = Enrolment.objects.select_related("school_class__year", "school_class__grade").order_by(
        "-starts_on", "-pk"
    )
    return (
        with_current_class(Student.objects.filter(pk=pk))
        .prefetch_related(
            Prefetch("guardian_links", queryset=links), Prefetch("enrolments", queryset=history)
        )
        .first()
    )


def student_with_class(pk: int) -> Student | None:
    """A student with current_class_id and current_class_name, nothing else: for pages that show one child's
    records (grades, attendance), which need neither the guardians nor the enrolment history."""
    return with_current_class(Student.objects.filter(pk=pk)).first()


def homeroom_classes(staff: StaffMember):
    return SchoolClass.objects.filter(homeroom_teacher=staff, year__is_current=True).order_by("name")


def children_here(guardian: Guardian):
    """A guardian's children in the current school with their current class, in one query."""
    return with_current_class(Student.objects.filter(guardian_links__guardian=guardian)).order_by("sort_key")


def children_of_guardian(guardian: Guardian) -> dict[int, Student]:
    """children_here by id, kept per school and guardian under children_version and today's date (an
    enrolment ends by itself): the access check of a child's pages (permissions.guardian_of_student_required)
    costs the version query and a cache read instead of building the student's query."""
    from schoolbook.caching import cached_part

    return cached_part(
        "guardian-children",
        schemas=[connection.schema_name],
        viewer=guardian.user_id,
        version=(guardian.pk, timezone.localdate(), children_version(guardian)),
        build=lambda: ({child.pk: child for child in children_here(guardian)}, None),
    )


def children_version(guardian: Guardian) -> str:
    """A version of the rows children_here reads for `guardian`: their links, the children, their
    enrolments, those classes and the years (schoolbook.caching.rows_version)."""
    from schoolbook.caching import rows_version

    links = f"SELECT student_id FROM {StudentGuardian._meta.db_table} WHERE guardian_id = %s"
    enrolled = f"SELECT school_class_id FROM {Enrolment._meta.db_table} WHERE student_id IN ({links})"
    me = [guardian.pk]
    return rows_version(
        (StudentGuardian._meta.db_table, "guardian_id = %s", me),
        (Student._meta.db_table, f"id IN ({links})", me),
        (Enrolment._meta.db_table, f"student_id IN ({links})", me),
        (SchoolClass._meta.db_table, f"id IN ({enrolled})", me),
        (SchoolYear._meta.db_table, "true", []),
    )


def children_across_schools(user, schools=None, annotate=None) -> list[dict]:
    """Every child of a guardian user in every active school, for the parent home: the schools come from the
    public index (SchoolAffiliation.is_guardian) unless given, then one query per school in its schema
    (never one per child). Each item: {"school", "student"}; the student carries current_class_name (None
    when not in a class this year). `annotate` (queryset → queryset) lets the caller add figures of an app
    above this one to the same query (the parent home adds the fees)."""
    from django_tenants.utils import schema_context

    from tenants.models import School

    if schools is None:
        schools = School.objects.filter(
            affiliations__user=user, affiliations__is_guardian=True, is_active=True
        ).order_by("name")
    children = []
    for school in schools:
        with schema_context(school.schema_name):
            students = with_current_class(Student.objects.filter(guardian_links__guardian__user=user))
            if annotate is not None:
                students = annotate(students)
            students = list(students.distinct().order_by("sort_key"))
        children.extend({"school": school, "student": student} for student in students)
    return children


def current_class(student):
    """The class of the student's open enrolment, or None."""
    enrolment = (
        Enrolment.objects.filter(student=student, ends_on__isnull=True)
        .select_related("school_class")
        .order_by("-starts_on")
        .first()
    )
    return enrolment.school_class if enrolment else None


def enrolled_student_ids(school_class: SchoolClass, today) -> set[int]:
    """Ids of the students enrolled in the class on `today`."""
    return set(
        Enrolment.objects.filter(school_class=school_class, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .values_list("student_id", flat=True)
    )


def notified_guardian_links(student_ids):
    """The guardian links of these students whose guardians want messages, with guardian and student,
    grouped by guardian and each guardian's children in name order: what "one message per guardian, their
    children's lines in order" is built from (grade publication, absence alerts)."""
    return (
        StudentGuardian.objects.filter(student_id__in=list(student_ids), receives_notifications=True)
        .select_related("guardian", "student")
        .order_by("guardian_id", "student__sort_key", "student_id")
    )


def class_students(school_class: SchoolClass, today) -> list[Student]:
    """The students enrolled in the class on `today`, by name (never by result: Circular 22 art. 4)."""
    enrolled = Enrolment.objects.filter(
        student=OuterRef("pk"), school_class=school_class, starts_on__lte=today
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    return list(Student.objects.filter(Exists(enrolled)).order_by("sort_key", "student_code"))
