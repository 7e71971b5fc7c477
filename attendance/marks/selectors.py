"""What the marks of a session owe to leave requests: who is on approved leave (the roll call pre-fills and
saves their P)."""

import datetime

from django.db.models import Q

from attendance.models import LeaveRequest


def approved_leave_student_ids(student_ids, day: datetime.date, session: str) -> set[int]:
    """Which of `student_ids` have an approved leave covering `day` and `session` (one query)."""
    return set(
        LeaveRequest.objects.filter(
            student_id__in=list(student_ids),
            status=LeaveRequest.Status.APPROVED,
            start_date__lte=day,
            end_date__gte=day,
        )
        .filter(Q(sessions=LeaveRequest.Sessions.ALL_DAY) | Q(sessions=session))
        .values_list("student_id", flat=True)
    )
