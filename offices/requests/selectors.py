"""Reads of report requests for the office's pages."""

from django.db.models import Count, Q
from django.utils import timezone

from offices.models import ReportRequest, ReportSubmission

Status = ReportSubmission.Status
IN = (Status.SUBMITTED, Status.APPROVED, Status.LOCKED)


def office_requests(*, office):
    """The office's requests, newest first, each with how many schools it went to and have submitted."""
    return office.report_requests.annotate(
        schools=Count("submissions"), submitted=Count("submissions", filter=Q(submissions__status__in=IN))
    ).order_by("-created_at")


def request_submissions(*, request: ReportRequest, status: str = ""):
    """Its submissions with their schools, by school name; `status` "late" is not in past the deadline."""
    submissions = request.submissions.select_related("school").order_by("school__name")
    if status == "late":
        if request.deadline >= timezone.localdate():
            return submissions.none()
        return submissions.exclude(status__in=IN)
    return submissions.filter(status=status) if status in Status.values else submissions
