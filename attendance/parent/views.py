"""The parent's attendance page of one child: a month's absences (with or without permission) and late
arrivals, from the session roll calls. The child's guardians, the school's managers and the child's homeroom
teacher see it; anyone else gets 404."""

import datetime

from django.shortcuts import render
from django.utils import timezone

from attendance.parent.selectors import student_month
from students.permissions import guardian_of_student_required


def month_of(text: str | None, today: datetime.date) -> datetime.date:
    """ "2026-11" → 1 November 2026; anything else (or a month after this one) → this month's first day."""
    this_month = today.replace(day=1)
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        first = datetime.date(year, month, 1)
    except ValueError:
        return this_month
    return min(first, this_month)


@guardian_of_student_required(profile=False)
def student_attendance(request, pk):
    today = timezone.localdate()
    first_day = month_of(request.GET.get("month"), today)
    previous = (first_day - datetime.timedelta(days=1)).replace(day=1)
    following = (first_day + datetime.timedelta(days=32)).replace(day=1)
    context = {
        "student": request.student,
        "month": student_month(request.student, first_day),
        "previous": f"{previous:%Y-%m}",
        "following": f"{following:%Y-%m}" if following <= today else None,
    }
    return render(request, "attendance/student_attendance.html", context)
