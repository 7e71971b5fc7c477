"""Every write of the notices app: compose, submit, decide, cancel, publish (now or when due), read.

Each function is atomic, locks the notice it changes (two principals deciding at once, the every-minute
publisher and a cancel racing) and audits the decisions. Publishing writes the recipients, the messages
(messaging.outbox.services.messages_send), the answer sheets of a notice with questions (notices.polls) and
the new status in one transaction."""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from messaging.models import Message
from messaging.outbox.selectors import items_estimate
from messaging.outbox.services import LIVE, messages_resend, messages_send
from messaging.reports.selectors import failed_message_ids
from notices.audience import AudienceChoice, audience_resolve
from notices.models import Audience, Notice, NoticeAttachment, NoticeRecipient, Status
from notices.permissions import can_cancel, can_decide, can_edit, needs_approval
from notices.polls import rules
from notices.polls.services import poll_error_text, questions_replace, sheets_create
from schoolbook.audit.services import audit_record
from schoolbook.text import nfc
from schoolbook.uploads import UploadRefused, attachment_max_mb, attachment_type
from students.models import StaffMember
from tenants.models import School
from tenants.routing import school_reverse

PURPOSE = "notice"


class NoticeError(Exception):
    """A refused write, with a message for the person who tried it."""


@dataclass
class NoticeData:
    """What the compose form gives the service (cleaned)."""

    title: str
    body: str
    category: str
    audience: str
    grades: list = field(default_factory=list)
    classes: list = field(default_factory=list)
    students: list = field(default_factory=list)
    channels: list = field(default_factory=list)
    scheduled_at: datetime | None = None
    answers_close_at: datetime | None = None
    questions: list[rules.QuestionSpec] | None = None  # None: the notice's questions stay as they are


# --- attachments ----------------------------------------------------------------------------------------


def attachments_check(uploads, *, existing: int = 0) -> list[tuple[object, str]]:
    """Each upload with its content type, or NoticeError for the first one over a limit or of a wrong type."""
    limit = settings.NOTICE_ATTACHMENTS_MAX
    if existing + len(uploads) > limit:
        raise NoticeError(
            ngettext(
                "Mỗi thông báo có tối đa %(limit)d tệp đính kèm.",
                "Mỗi thông báo có tối đa %(limit)d tệp đính kèm.",
                limit,
            )
            % {"limit": limit}
        )
    checked = []
    for upload in uploads:
        if upload.size > settings.NOTICE_ATTACHMENT_MAX_BYTES:
            raise NoticeError(
                gettext("“%(name)s” quá lớn: tối đa %(limit)s MB mỗi tệp.")
                % {"name": upload.name, "limit": attachment_max_mb()}
            )
        try:
            checked.append((upload, attachment_type(upload)))
        except UploadRefused as error:
            raise NoticeError(str(error)) from error
    return checked


def _attachments_remove(notice: Notice, attachments) -> None:
    """Rows now; files once the transaction commits, so a rolled-back edit keeps its files."""
    attachments = [a for a in attachments if a.notice_id == notice.pk]
    names = [a.file.name for a in attachments]
    NoticeAttachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    storage = NoticeAttachment._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


# --- compose, submit, decide ----------------------------------------------------------------------------


def _locked(notice: Notice) -> Notice:
    return Notice.objects.select_for_update().get(pk=notice.pk)


@transaction.atomic
def notice_save(
    *,
    actor_staff: StaffMember,
    data: NoticeData,
    notice: Notice | None = None,
    uploads=(),
    remove=(),
    submit: bool = False,
) -> Notice:
    """Create or edit a draft (an edited rejected notice is a draft again), add and remove attachments,
    and with `submit` send it on its way (notice_submit)."""
    if notice is None:
        notice = Notice(author=actor_staff)
    else:
        notice = _locked(notice)
        if not can_edit(actor_staff, notice):
            raise NoticeError(gettext("Thông báo này không còn sửa được."))
    kept = notice.attachments.count() - len(remove) if notice.pk else 0
    checked = attachments_check(list(uploads), existing=kept)
    notice.title, notice.body = nfc(data.title), data.body.strip()
    notice.category, notice.audience = data.category, data.audience
    notice.channels, notice.scheduled_at = list(data.channels), data.scheduled_at
    notice.answers_close_at = data.answers_close_at
    notice.status, notice.decided_by, notice.decided_at = Status.DRAFT, None, None
    notice.save()
    # Only the list that goes with the audience is kept: a notice for 6A1 keeps no stale grade choice.
    notice.grades.set(data.grades if data.audience == Audience.GRADES else [])
    notice.classes.set(data.classes if data.audience == Audience.CLASSES else [])
    notice.students.set(data.students if data.audience == Audience.STUDENTS else [])
    if data.questions is not None:
        if data.questions and data.audience == Audience.STAFF:
            raise NoticeError(gettext("Câu hỏi chỉ dành cho thông báo gửi phụ huynh."))
        try:
            rules.questions_check(data.questions)
        except rules.PollError as error:
            raise NoticeError(poll_error_text(error)) from error
        questions_replace(notice, data.questions)
    if remove:
        _attachments_remove(notice, remove)
    for upload, content_type in checked:
        name = upload.name[-255:]
        NoticeAttachment.objects.create(
            notice=notice, file=upload, original_name=name, size=upload.size, content_type=content_type
        )
    if submit:
        notice = notice_submit(actor_staff=actor_staff, notice=notice)
    return notice


def _deadline_check(notice: Notice, now: datetime) -> None:
    """A notice with questions goes out only with a deadline after the moment it goes out."""
    sent_at = max(now, notice.scheduled_at or now)
    try:
        rules.deadline_check(
            notice.answers_close_at, has_questions=notice.questions.exists(), sent_at=sent_at
        )
    except rules.PollError as error:
        raise NoticeError(poll_error_text(error)) from error


def _release(notice: Notice, now: datetime) -> None:
    """Out of approval: scheduled when its time is still ahead, published at once otherwise. A deadline for
    answers that this moment (or the time it is scheduled for) has reached refuses it: the author sets a
    later one first."""
    _deadline_check(notice, now)
    if notice.scheduled_at and notice.scheduled_at > now:
        notice.status = Status.SCHEDULED
        notice.save()
    else:
        notice_publish(notice, now=now)


@transaction.atomic
def notice_submit(*, actor_staff: StaffMember, notice: Notice) -> Notice:
    notice = _locked(notice)
    if not can_edit(actor_staff, notice):
        raise NoticeError(gettext("Thông báo này đã được gửi đi."))
    notice.rejection_reason = ""  # answered by this new version
    _deadline_check(notice, timezone.now())
    if needs_approval(actor_staff, AudienceChoice.of(notice)):
        notice.status = Status.PENDING_APPROVAL
        notice.save()
    else:
        _release(notice, timezone.now())
    audit_record(
        actor=actor_staff.user, action="notice.submit", obj=notice, after={"status": notice.status},
    )  # fmt: skip
    return notice


@transaction.atomic
def notice_approve(*, actor_staff: StaffMember, notice: Notice) -> Notice:
    notice = _locked(notice)
    if not can_decide(actor_staff, notice):
        raise NoticeError(gettext("Thông báo này không chờ duyệt."))
    now = timezone.now()
    notice.decided_by, notice.decided_at, notice.rejection_reason = actor_staff, now, ""
    _release(notice, now)
    audit_record(
        actor=actor_staff.user, action="notice.approve", obj=notice, after={"status": notice.status},
    )  # fmt: skip
    return notice


@transaction.atomic
def notice_reject(*, actor_staff: StaffMember, notice: Notice, reason: str) -> Notice:
    reason = (reason or "").strip()
    if not reason:
        raise NoticeError(gettext("Hãy ghi lý do từ chối để người soạn biết cần sửa gì."))
    notice = _locked(notice)
    if not can_decide(actor_staff, notice):
        raise NoticeError(gettext("Thông báo này không chờ duyệt."))
    notice.status, notice.rejection_reason = Status.REJECTED, reason
    notice.decided_by, notice.decided_at = actor_staff, timezone.now()
    notice.save()
    audit_record(actor=actor_staff.user, action="notice.reject", obj=notice, after={"reason": reason})
    return notice


@transaction.atomic
def notice_cancel(*, actor_staff: StaffMember, notice: Notice) -> Notice:
    notice = _locked(notice)
    if not can_cancel(actor_staff, notice):
        raise NoticeError(gettext("Thông báo này không hủy được nữa."))
    before = notice.status
    notice.status = Status.CANCELLED
    notice.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor_staff.user, action="notice.cancel", obj=notice, before={"status": before},
    )  # fmt: skip
    return notice


# --- publish --------------------------------------------------------------------------------------------


def notice_link(school: School, notice: Notice) -> str:
    """The notice's page as an absolute URL, for push notifications and SMS (no request in a task)."""
    return settings.SITE_URL + school_reverse(school, "notice_detail", pk=notice.pk)


def notice_text(school_name: str, title: str, body: str, link: str = "") -> str:
    """What each recipient reads: who speaks, the title, the body, and where the attachments are."""
    parts = [f"{school_name}: {nfc(title)}", body.strip()]
    if link:
        parts.append(gettext("Xem: %(link)s") % {"link": link})
    return "\n".join(part for part in parts if part)


def notice_outgoing(notice: Notice) -> tuple[list, str, str]:
    """Who the notice goes to (audience_resolve), the text each reads and its link, as of now: what
    notice_publish sends and what its confirmation estimates."""
    school = School.objects.get(schema_name=connection.schema_name)
    addressees = audience_resolve(AudienceChoice.of(notice))
    link = notice_link(school, notice)
    text = notice_text(school.name, notice.title, notice.body, link if notice.attachments.exists() else "")
    return addressees, text, link


def notice_estimate(notice: Notice) -> dict:
    """What publishing the notice now would send and cost (messaging.outbox.selectors.items_estimate), with
    its confirmation token; `recipients` counts the inbox rows, staff without a phone included."""
    addressees, text, _ = notice_outgoing(notice)
    estimate = items_estimate([(a.recipient, text) for a in addressees], notice.channels or None)
    return {**estimate, "recipients": len(addressees), "text": text}


def notice_publish(notice: Notice, *, now: datetime | None = None) -> int:
    """Call with the notice locked, inside a transaction: the recipients (the inbox), one message each
    with reference "notice:<pk>" (emergencies ignore quiet hours and go on the urgent queue), then the
    status. Returns the number of recipients. The pages confirm first (notice_estimate)."""
    now = now or timezone.now()
    addressees, text, link = notice_outgoing(notice)
    NoticeRecipient.objects.bulk_create(
        NoticeRecipient(notice=notice, guardian_id=a.guardian_id, staff_id=a.staff_id, user_id=a.user_id)
        for a in addressees
    )
    sheets_create(notice, addressees)
    messages_send(
        purpose=PURPOSE,
        reference=notice.reference,
        items=[(a.recipient, text) for a in addressees],
        title=notice.title,
        link=link,
        channels=notice.channels or None,
        emergency=notice.is_emergency,
        bulk=True,
    )
    notice.status, notice.published_at = Status.PUBLISHED, now
    notice.save()
    audit_record(actor=None, action="notice.publish", obj=notice, after={"recipients": len(addressees)})
    return len(addressees)


def notices_publish_due(now: datetime | None = None) -> int:
    """The scheduled notices whose time has come, each in its own transaction. The status is checked again
    under the row lock, so a second run, a duplicated task or a cancel a moment earlier publishes nothing
    twice. Returns how many were published."""
    now = now or timezone.now()
    due = Notice.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=now).order_by("scheduled_at")
    published = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            notice = (
                Notice.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Status.SCHEDULED, scheduled_at__lte=now)
                .first()
            )
            if notice is not None:
                notice_publish(notice, now=now)
                published += 1
    return published


# --- read receipts --------------------------------------------------------------------------------------


def notice_mark_read(notice: Notice, *, guardian=None, staff=None) -> int:
    """The first time the person (as a guardian, a staff member or both) opens it; later visits change
    nothing. Returns how many of their recipient rows this visit marked."""
    person = Q(pk__in=[])
    if guardian is not None:
        person |= Q(guardian=guardian)
    if staff is not None:
        person |= Q(staff=staff)
    return NoticeRecipient.objects.filter(person, notice=notice, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notice_resend_failed(*, actor, notice: Notice) -> tuple[int, int]:
    """ "Resend to failed" for a notice: every message of it that failed on all its channels starts over
    (messaging.outbox.services.messages_resend), audited. Returns (messages resent, messages that no channel
    can reach any more, e.g. every address marked bad since)."""
    failed = failed_message_ids(notice.reference)
    if not failed:
        return 0, 0
    deliveries = messages_resend(failed)
    resent = Message.objects.filter(pk__in=failed, deliveries__status__in=LIVE).distinct().count()
    audit_record(
        actor=actor,
        action="notice.resend",
        obj=notice,
        after={"failed": len(failed), "resent": resent, "deliveries": deliveries},
    )
    return resent, len(failed) - resent
