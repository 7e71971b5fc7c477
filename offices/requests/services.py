"""Report requests: an office asks its schools; each school fills and submits its submission; the office
approves it, returns it with a comment, or locks it. Every step is audited and checked against where the
submission stands, under a row lock (two people deciding at once: one wins, the other is told)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from offices.models import ReportKind, ReportRequest, ReportSubmission
from schoolbook.audit.services import audit_record
from tenants.models import School

Status = ReportSubmission.Status


class ReportError(ValueError):
    pass


@transaction.atomic
def report_request_send(*, actor, office, cleaned: dict) -> ReportRequest:
    """The request and a pending submission for every active school the office covers now."""
    request = ReportRequest.objects.create(office=office, created_by=actor, **cleaned)
    schools = School.objects.filter(office_memberships__office=office, is_active=True)
    ReportSubmission.objects.bulk_create(
        ReportSubmission(request=request, school=school) for school in schools
    )
    after = {"title": request.title, "kind": request.kind, "deadline": request.deadline.isoformat(),
             "schools": request.submissions.count()}  # fmt: skip
    audit_record(actor=actor, action="office.report_request", obj=request, after=after)
    return request


def _locked(submission: ReportSubmission) -> ReportSubmission:
    return ReportSubmission.objects.select_for_update().select_related("request").get(pk=submission.pk)


@transaction.atomic
def submission_save(*, actor, submission: ReportSubmission, figures: dict | None = None, upload=None):
    """The school's draft: its figures (non-negative integers) or its file. Only while editable."""
    submission = _locked(submission)
    if not submission.editable:
        raise ReportError(gettext("Báo cáo đã nộp, không sửa được nữa."))
    if figures is not None:
        submission.figures = {key: int(value) for key, value in figures.items()}
    if upload is not None:
        submission.file_name = upload.name[:200]
        submission.file = upload
    submission.save()
    audit_record(
        actor=actor, action="office.report_save", obj=submission, after={"figures": submission.figures}
    )
    return submission


@transaction.atomic
def submission_submit(*, actor, submission: ReportSubmission) -> ReportSubmission:
    submission = _locked(submission)
    if not submission.editable:
        raise ReportError(gettext("Báo cáo đã nộp rồi."))
    if submission.request.kind == ReportKind.FILE and not submission.file:
        raise ReportError(gettext("Hãy đính kèm tệp báo cáo trước khi nộp."))
    if submission.request.kind != ReportKind.FILE and not submission.figures:
        raise ReportError(gettext("Hãy lưu số liệu trước khi nộp."))
    submission.status = Status.SUBMITTED
    submission.submitted_at, submission.submitted_by = timezone.now(), actor
    submission.save(update_fields=["status", "submitted_at", "submitted_by"])
    audit_record(
        actor=actor, action="office.report_submit", obj=submission, after={"status": submission.status}
    )
    return submission


# decision → (the statuses it may follow, the status it leads to)
DECISIONS = {
    "approve": ((Status.SUBMITTED,), Status.APPROVED),
    "return": ((Status.SUBMITTED, Status.APPROVED), Status.RETURNED),
    "lock": ((Status.SUBMITTED, Status.APPROVED), Status.LOCKED),
}


@transaction.atomic
def submission_review(
    *, actor, submission: ReportSubmission, decision: str, comment: str = ""
) -> ReportSubmission:
    submission = _locked(submission)
    allowed, outcome = DECISIONS[decision]
    if submission.status not in allowed:
        raise ReportError(
            gettext("Báo cáo đang ở trạng thái “%(status)s”: không thể làm vậy.")
            % {"status": submission.get_status_display()}
        )
    before = submission.status
    submission.status, submission.reviewed_at = outcome, timezone.now()
    if comment.strip() or decision == "return":
        submission.office_comment = comment.strip()
    submission.save(update_fields=["status", "reviewed_at", "office_comment"])
    after = {"status": outcome, "comment": submission.office_comment}
    audit_record(
        actor=actor,
        action=f"office.report_{decision}",
        obj=submission,
        before={"status": before},
        after=after,
    )
    return submission
