"""A school's figures for its offices' report requests, computed inside the school's schema from its own
data (the school checks them, may correct them, then submits): a handful of aggregate queries each.

- statistics: the current year's classes, the students enrolled today (and girls), per grade and in all;
  the active staff, its teachers and its managers (school admin, principal, vice-principals);
- attendance over the request's period: the days with a session roll call; student-sessions (each
  student enrolled in a class on the day of each of its session roll calls); absences with and without
  leave and late arrivals from the marks; present = student-sessions − absences (late counts as present);
- fees: the current year's invoices not cancelled, what they ask, what was paid, those paid in full."""

from django.db import connection
from django.db.models import Count, Q, Sum

from accounts.roles import Role
from attendance.models import Mark, RollCall
from attendance.stats.selectors import session_marks
from payments.models import Invoice, InvoiceState
from students.models import Gender, SchoolClass, StaffMember
from students.permissions import MANAGERS
from students.selectors import current_enrolments


def statistics() -> dict[str, int]:
    figures = {}
    classes = SchoolClass.objects.filter(year__is_current=True)
    for grade, count in classes.values_list("grade__number").annotate(count=Count("pk")):
        figures[f"grade_{grade}_classes"] = count
    enrolled = current_enrolments().values("school_class__grade__number")
    for row in enrolled.annotate(
        students=Count("student", distinct=True),
        female=Count("student", distinct=True, filter=Q(student__gender=Gender.FEMALE)),
    ):
        grade = row["school_class__grade__number"]
        figures[f"grade_{grade}_students"], figures[f"grade_{grade}_female"] = row["students"], row["female"]
    students = current_enrolments().aggregate(
        all=Count("student", distinct=True),
        female=Count("student", distinct=True, filter=Q(student__gender=Gender.FEMALE)),
    )
    staff = StaffMember.objects.filter(is_active=True).aggregate(
        all=Count("pk"),
        teachers=Count("pk", filter=Q(roles__contains=[Role.TEACHER])),
        managers=Count("pk", filter=Q(roles__overlap=list(MANAGERS))),
    )
    figures.update(
        classes=classes.count(), students=students["all"], students_female=students["female"],
        staff=staff["all"], teachers=staff["teachers"], managers=staff["managers"],
    )  # fmt: skip
    return figures


STUDENT_SESSIONS = """
SELECT count(*) FROM attendance_rollcall r
JOIN students_enrolment e ON e.school_class_id = r.school_class_id
 AND e.starts_on <= r.date AND (e.ends_on IS NULL OR e.ends_on >= r.date)
WHERE r.period = 0 AND r.date BETWEEN %s AND %s
"""


def attendance(start, end) -> dict[str, int]:
    days = RollCall.objects.filter(period=0, date__range=(start, end)).values("date").distinct().count()
    with connection.cursor() as cursor:
        cursor.execute(STUDENT_SESSIONS, [start, end])
        sessions = cursor.fetchone()[0]
    marks = (
        session_marks()
        .filter(roll_call__date__range=(start, end))
        .aggregate(
            excused=Count("pk", filter=Q(mark=Mark.ABSENT_EXCUSED)),
            unexcused=Count("pk", filter=Q(mark=Mark.ABSENT_UNEXCUSED)),
            late=Count("pk", filter=Q(mark=Mark.LATE)),
        )
    )
    return {
        "school_days": days, "marks": sessions, "present": sessions - marks["excused"] - marks["unexcused"],
        "late": marks["late"], "absent_excused": marks["excused"], "absent_unexcused": marks["unexcused"],
    }  # fmt: skip


def fees() -> dict[str, int]:
    invoices = Invoice.objects.filter(round__year__is_current=True).exclude(state=InvoiceState.CANCELLED)
    totals = invoices.aggregate(
        invoices=Count("pk"), due=Sum("total", default=0), paid=Sum("paid", default=0),
        paid_in_full=Count("pk", filter=Q(state__in=[InvoiceState.PAID, InvoiceState.OVERPAID])),
    )  # fmt: skip
    return totals


def figures_for(request) -> dict[str, int]:
    """The figures a request asks for, from this school's data ({} for a file)."""
    if request.kind == "statistics":
        return statistics()
    if request.kind == "attendance":
        return attendance(request.period_start, request.period_end)
    if request.kind == "fees":
        return fees()
    return {}
