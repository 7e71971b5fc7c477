"""What the parent's attendance page reads: one child's absences and late arrivals in a month."""

import datetime
from dataclasses import dataclass

from attendance.models import ABSENCES, Mark
from students.models import Student


@dataclass
class StudentMonth:
    """A student's absences and late arrivals in one month, for the parent's attendance page."""

    first_day: datetime.date
    marks: list  # AttendanceMark with roll_call, newest first
    excused: int = 0
    unexcused: int = 0
    late: int = 0


def student_month(student: Student, first_day: datetime.date) -> StudentMonth:
    """The session roll calls (period 0) of the month that marked `student` absent (P/K) or late, in one
    query; a period roll call adds detail for the teacher, not another absence."""
    next_month = (first_day + datetime.timedelta(days=32)).replace(day=1)
    marks = list(
        student.attendance_marks.filter(
            mark__in=[*ABSENCES, Mark.LATE],
            roll_call__period=0,
            roll_call__date__gte=first_day,
            roll_call__date__lt=next_month,
        )
        .select_related("roll_call")
        .order_by("-roll_call__date", "roll_call__session")
    )
    month = StudentMonth(first_day, marks)
    for mark in marks:
        if mark.mark == Mark.ABSENT_EXCUSED:
            month.excused += 1
        elif mark.mark == Mark.ABSENT_UNEXCUSED:
            month.unexcused += 1
        else:
            month.late += 1
    return month
