"""Reads about leave requests: the lists and single requests each person may see (None or nothing for what
they may not: the views answer 404), and the overlap check of a new request.

A request belongs to the class the student is enrolled in on its first day (the request checks there is
one): that class's homeroom teacher decides it and sees it in their lists, even if the student moves later."""

import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery

from attendance.models import LEAVE_WAITING, LeaveRequest
from attendance.permissions import is_class_teacher_of, is_principal
from schoolbook.caching import cached_part, rows_version
from students.models import Enrolment, Guardian, SchoolClass, StaffMember, Student, StudentGuardian
from students.permissions import is_manager

# A new request may not overlap these (a rejected or cancelled one no longer holds the days).
HOLDING = (*LEAVE_WAITING, LeaveRequest.Status.APPROVED)


def enrolment_on(student_id, day):
    """The enrolments of a student that hold on `day` (values or OuterRef expressions)."""
    return Enrolment.objects.filter(student_id=student_id, starts_on__lte=day).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day)
    )


def _first_day_enrolment():
    """In a subquery of LeaveRequest: the enrolment of its student on its first day."""
    return enrolment_on(OuterRef("student_id"), OuterRef("start_date")).order_by("-starts_on")


def with_class(leaves):
    """Each request with `class_id` and `class_name`: its class on its first day (subqueries, same query)."""
    first_day = _first_day_enrolment()
    return leaves.annotate(
        class_id=Subquery(first_day.values("school_class_id")[:1]),
        class_name=Subquery(first_day.values("school_class__name")[:1]),
    )


def _in_classes(classes):
    return Exists(_first_day_enrolment().filter(school_class__in=classes))


def _homeroom_classes(staff: StaffMember):
    return SchoolClass.objects.filter(homeroom_teacher=staff)


def _listed(leaves):
    """What every list shows of a request, in one query whatever the number of requests."""
    return with_class(leaves.select_related("student", "teacher_decided_by", "decided_by")).order_by(
        "-created_at", "-pk"
    )


def leave_visible(pk: int, *, staff: StaffMember | None, guardian: Guardian | None) -> LeaveRequest | None:
    """The request if the person may see it: a guardian of the student, the homeroom teacher of its class,
    the managers. Otherwise None."""
    leave = with_class(LeaveRequest.objects.select_related("student", "requested_by")).filter(pk=pk).first()
    if leave is None:
        return None
    if is_manager(staff) or is_class_teacher_of(staff, leave):
        return leave
    if (
        guardian is not None
        and StudentGuardian.objects.filter(guardian=guardian, student_id=leave.student_id).exists()
    ):
        return leave
    return None


def parent_leave_list(guardian: Guardian):
    """The requests for a guardian's children, newest first."""
    return _listed(LeaveRequest.objects.filter(student__guardian_links__guardian=guardian))


def parent_leaves(guardian: Guardian) -> list[LeaveRequest]:
    """parent_leave_list, kept per school and guardian under a version of the rows it shows: the requests,
    the guardian's links, the children, their enrolments and those classes, and the staff who decided. The
    data, not the page: the page's cancel forms carry the visitor's CSRF token."""
    links = f"SELECT student_id FROM {StudentGuardian._meta.db_table} WHERE guardian_id = %s"
    theirs = f"student_id IN ({links})"
    leaves = LeaveRequest._meta.db_table
    deciders = (
        f"SELECT teacher_decided_by_id FROM {leaves} WHERE {theirs} "
        f"UNION SELECT decided_by_id FROM {leaves} WHERE {theirs}"
    )
    classes = f"SELECT school_class_id FROM {Enrolment._meta.db_table} WHERE {theirs}"
    me = [guardian.pk]
    version = rows_version(
        (leaves, theirs, me),
        (StudentGuardian._meta.db_table, "guardian_id = %s", me),
        (Student._meta.db_table, f"id IN ({links})", me),
        (Enrolment._meta.db_table, theirs, me),
        (SchoolClass._meta.db_table, f"id IN ({classes})", me),
        (StaffMember._meta.db_table, f"id IN ({deciders})", me * 2),
    )
    return cached_part(
        "parent-leaves",
        schemas=[connection.schema_name],
        viewer=guardian.user_id,
        version=(guardian.pk, version),
        build=lambda: (list(parent_leave_list(guardian)), None),
    )


def leave_waiting(staff: StaffMember):
    """What waits for this staff member's decision: their homeroom classes' pending requests, and for the
    principal or school admin the long requests their teachers approved and the pending requests of
    classes that have no homeroom teacher (nobody else would ever see them)."""
    classes = _homeroom_classes(staff)
    if is_principal(staff):
        classes = SchoolClass.objects.filter(Q(homeroom_teacher=staff) | Q(homeroom_teacher__isnull=True))
    waiting = Q(status=LeaveRequest.Status.PENDING) & _in_classes(classes)
    if is_principal(staff):
        waiting |= Q(status=LeaveRequest.Status.PENDING_PRINCIPAL)
    return _listed(LeaveRequest.objects.filter(waiting))


def leave_list(
    staff: StaffMember,
    *,
    status: str = "",
    class_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """Every request the staff member may see (managers: all; others: their homeroom classes'), filtered;
    the dates keep the requests that overlap the period."""
    leaves = LeaveRequest.objects.all()
    if not is_manager(staff):
        leaves = leaves.filter(_in_classes(_homeroom_classes(staff)))
    if status:
        leaves = leaves.filter(status=status)
    if class_id:
        leaves = leaves.filter(_in_classes(SchoolClass.objects.filter(pk=class_id)))
    if date_from:
        leaves = leaves.filter(end_date__gte=date_from)
    if date_to:
        leaves = leaves.filter(start_date__lte=date_to)
    return _listed(leaves)


def leave_filter_classes(staff: StaffMember):
    """The classes offered in the list's class filter."""
    classes = SchoolClass.objects.filter(year__is_current=True).order_by("grade__number", "name")
    return classes if is_manager(staff) else classes.filter(homeroom_teacher=staff)


def leave_waiting_count(staff: StaffMember) -> int:
    """For tiles and badges: how many requests wait for this staff member."""
    return leave_waiting(staff).order_by().count()


def leave_overlapping(student_id: int, start: datetime.date, end: datetime.date, sessions: str):
    """The student's requests that still hold (waiting or approved) some of these days and sessions."""
    same_sessions = Q(sessions=LeaveRequest.Sessions.ALL_DAY)
    if sessions == LeaveRequest.Sessions.ALL_DAY:
        same_sessions = Q()
    else:
        same_sessions |= Q(sessions=sessions)
    return LeaveRequest.objects.filter(
        same_sessions, student_id=student_id, status__in=HOLDING, start_date__lte=end, end_date__gte=start
    ).order_by("start_date")
