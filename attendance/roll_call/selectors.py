"""Roll call reads: the day's roll calls of a list of classes (the "today" page), and one roll call's sheet
(every student enrolled that day with their mark, an approved leave, the gate's arrival time). Each is a
fixed number of queries, whatever the number of classes or students."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q

from attendance.marks.selectors import approved_leave_student_ids
from attendance.models import ABSENCES, GateEvent, Mark, RollCall, Session
from students.models import SchoolClass, StaffMember, Student, Subject, TeachingAssignment
from students.selectors import class_students


def day_roll_calls(class_ids, day: datetime.date):
    """The roll calls of `day` for these classes, each with `absent` and `late` counts (one query)."""
    return (
        RollCall.objects.filter(school_class_id__in=list(class_ids), date=day)
        .select_related("subject", "taken_by")
        .annotate(
            absent=Count("marks", filter=Q(marks__mark__in=ABSENCES)),
            late=Count("marks", filter=Q(marks__mark=Mark.LATE)),
        )
        .order_by("session", "period")
    )


@dataclass
class ClassDay:
    """A class on a day: its session roll calls (None where not taken) and its period roll calls."""

    school_class: SchoolClass
    sessions: list[tuple[str, str, RollCall | None]]  # (session, label, roll call)
    periods: list[RollCall] = field(default_factory=list)


def class_days(classes, day: datetime.date) -> list[ClassDay]:
    """Morning and afternoon of each class, and the period roll calls taken (two queries in all)."""
    classes = list(classes)
    taken: dict[tuple[int, str], RollCall] = {}
    periods: dict[int, list[RollCall]] = {}
    for roll_call in day_roll_calls([c.pk for c in classes], day):
        if roll_call.period:
            periods.setdefault(roll_call.school_class_id, []).append(roll_call)
        else:
            taken[(roll_call.school_class_id, roll_call.session)] = roll_call
    return [
        ClassDay(
            school_class=c,
            sessions=[(value, label, taken.get((c.pk, value))) for value, label in Session.choices],
            periods=periods.get(c.pk, []),
        )
        for c in classes
    ]


def teacher_assignments(staff: StaffMember):
    """The classes and subjects `staff` teaches this school year."""
    return (
        TeachingAssignment.objects.filter(teacher=staff, school_class__year__is_current=True)
        .select_related("school_class", "subject")
        .order_by("school_class__name", "subject__order")
    )


@dataclass
class SheetRow:
    student: Student
    mark: str  # "" present
    note: str
    source: str
    on_leave: bool
    arrived_at: datetime.datetime | None


@dataclass
class Sheet:
    roll_call: RollCall | None
    rows: list[SheetRow]

    @property
    def absent(self) -> int:
        return sum(1 for row in self.rows if row.mark in ABSENCES)

    @property
    def late(self) -> int:
        return sum(1 for row in self.rows if row.mark == Mark.LATE)


def roll_call_sheet(
    school_class: SchoolClass,
    day: datetime.date,
    session: str,
    period: int = 0,
    subject: Subject | None = None,
) -> Sheet:
    """Every student enrolled in the class on `day`, by name, with their mark in the roll call (or, before
    one is taken, P for those on approved leave), the leave and the gate's first arrival of the day (five
    queries)."""
    students = class_students(school_class, day)
    ids = [s.pk for s in students]
    roll_call = (
        RollCall.objects.filter(school_class=school_class, date=day, session=session, period=period)
        .select_related("taken_by")
        .first()
    )
    marks = {m.student_id: m for m in roll_call.marks.all()} if roll_call else {}
    on_leave = approved_leave_student_ids(ids, day, session)
    arrivals = dict(
        GateEvent.objects.filter(student_id__in=ids, occurred_at__date=day, kind=GateEvent.Kind.ARRIVAL)
        .values("student_id")
        .annotate(first=Min("occurred_at"))
        .values_list("student_id", "first")
    )
    rows = []
    for student in students:
        mark = marks.get(student.pk)
        if mark is not None:
            values = (mark.mark, mark.note, mark.source)
        elif roll_call is None and student.pk in on_leave:
            values = (Mark.ABSENT_EXCUSED, "", "leave")
        else:
            values = ("", "", "")
        rows.append(SheetRow(student, *values, student.pk in on_leave, arrivals.get(student.pk)))
    return Sheet(roll_call=roll_call, rows=rows)
