"""Every write on conversations: start one about a child, write in one, read it (the receipts), report a
message and hide a reported one, a teacher's office hours, the school's choices.

Each function is atomic: a message, its conversation's new time, its sender's reading and the notifications
of the other participants are written together or not at all. Writing locks the conversation, so two
messages at once get distinct times in order. A retried POST carries the same `client_key` and finds the
message it wrote instead of writing (and notifying) twice. Notifications go through the messaging outbox,
one message per other participant: push first, never SMS unless the school allows it, and a parent's message
to a teacher outside the teacher's office hours is kept at once but notified at the next opening."""

from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext

from accounts.models import Channel
from conversations import rules
from conversations.models import (
    BODY_MAX,
    Conversation,
    ConversationSettings,
    Message,
    MessageRead,
    OfficeHours,
    Participant,
    Report,
)
from conversations.selectors import Contacts, child_contacts, days_off_ahead, guardian_user_ids
from messaging.outbox.selectors import Recipient, guardian_recipient
from messaging.outbox.services import messages_send
from schoolbook.audit.services import audit_record
from schoolbook.text import nfc
from schoolbook.uploads import UploadRefused, attachment_check, attachment_type
from students.models import Guardian, StaffMember, Student
from tenants.models import School
from tenants.routing import school_reverse

PURPOSE = "conversation"
PREVIEW_CHARS = 120  # of the message in its notification


class ConversationError(Exception):
    """A refused write, with a message for the person who tried it and the form field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


REFUSALS = {
    rules.Refusal.NO_RECIPIENT: "Hãy chọn người nhận.",
    rules.Refusal.NOT_A_TEACHER: "Chỉ nhắn được cho một giáo viên đang dạy con.",
    rules.Refusal.NOT_A_GUARDIAN: "Chỉ nhắn được cho phụ huynh của học sinh này.",
    rules.Refusal.NOT_RELATED: "Bạn không phải phụ huynh hay giáo viên đang dạy học sinh này.",
}


def body_clean(body: str, attachment=None) -> str:
    """The text as kept (NFC, trimmed): refused when empty without a file, or over BODY_MAX characters."""
    body = nfc((body or "").strip())
    if not body and not attachment:
        raise ConversationError(gettext("Hãy viết tin nhắn."), "body")
    if len(body) > BODY_MAX:
        raise ConversationError(
            gettext("Tin nhắn dài %(length)d ký tự: tối đa %(limit)d.")
            % {"length": len(body), "limit": BODY_MAX},
            "body",
        )
    return body


def message_attachment_check(upload) -> str:
    """A photo or PDF (schoolbook.uploads: size, then the first bytes); its content type, or the error on
    the form's field."""
    try:
        attachment_check(upload)
        return attachment_type(upload)
    except UploadRefused as error:
        raise ConversationError(str(error), "attachment") from error


def _participant_for(conversation: Conversation, user_id: int, contacts: Contacts) -> Participant:
    teacher = contacts.teacher_of(user_id)
    if teacher is not None:
        return Participant(conversation=conversation, user_id=user_id, staff=teacher.staff)
    return Participant(
        conversation=conversation, user_id=user_id, guardian=contacts.guardian_link_of(user_id).guardian
    )


@transaction.atomic
def conversation_start(
    *, actor, student: Student, recipients: list[int], body: str, client_key: str, attachment=None
) -> Message:
    """A guardian writes to one teacher who teaches the child now, or such a teacher to some or all of the
    child's guardians (conversations.rules.start_refusal). A guardian writing again to the same teacher about
    the same child continues their conversation instead of opening another. Returns the first message."""
    body = body_clean(body, attachment)
    contacts = child_contacts(student)
    refusal = rules.start_refusal(actor.pk, recipients, contacts.rule)
    if refusal is not None:
        raise ConversationError(gettext(REFUSALS[refusal]), "recipients")
    if actor.pk in contacts.rule.guardians:
        existing = (
            Conversation.objects.filter(student=student, participants__user=actor)
            .filter(pk__in=Participant.objects.filter(user_id=recipients[0]).values("conversation"))
            .order_by("-last_message_at")
            .first()
        )
        if existing is not None:
            return message_post(
                actor=actor, conversation=existing, body=body, client_key=client_key, attachment=attachment
            )
    now = timezone.now()
    conversation = Conversation.objects.create(student=student, started_by=actor, last_message_at=now)
    Participant.objects.bulk_create(
        _participant_for(conversation, user_id, contacts) for user_id in [actor.pk, *sorted(set(recipients))]
    )
    audit_record(
        actor=actor,
        action="conversation.start",
        obj=conversation,
        after={"student": student.pk, "participants": [actor.pk, *sorted(set(recipients))]},
    )
    return message_post(
        actor=actor, conversation=conversation, body=body, client_key=client_key, attachment=attachment
    )


@transaction.atomic
def message_post(
    *, actor, conversation: Conversation, body: str, client_key: str, attachment=None
) -> Message:
    """A participant's message (a guardian of the child joins by writing). The same `client_key` again
    returns the message already written."""
    body = body_clean(body, attachment)
    content_type = message_attachment_check(attachment) if attachment else ""
    conversation = Conversation.objects.select_for_update().select_related("student").get(pk=conversation.pk)
    participants = list(conversation.participants.select_related("staff__user", "guardian"))
    guardians = guardian_user_ids(conversation.student_id)
    if not rules.may_write(actor.pk, {p.user_id for p in participants}, guardians):
        raise ConversationError(gettext("Bạn không tham gia cuộc trò chuyện này."))
    sender = next((p for p in participants if p.user_id == actor.pk), None)
    if sender is None:  # a guardian of the child not addressed at first
        sender = Participant.objects.create(
            conversation=conversation,
            user=actor,
            guardian=Guardian.objects.get(user=actor, student_links__student_id=conversation.student_id),
        )
    again = Message.objects.filter(sender=sender, client_key=client_key).first()
    if again is not None:
        return again
    message = Message.objects.create(
        conversation=conversation,
        sender=sender,
        body=body,
        client_key=client_key,
        attachment=attachment or "",
        attachment_type=content_type,
    )
    conversation.last_message_at = message.created_at
    conversation.save(update_fields=["last_message_at"])
    sender.last_read_at = message.created_at
    sender.save(update_fields=["last_read_at"])
    sent = _notify(conversation, message, sender, [p for p in participants if p.pk != sender.pk])
    audit_record(
        actor=actor,
        action="conversation.message",
        obj=message,
        after={"conversation": conversation.pk, "attachment": bool(attachment), "notified": sent},
    )
    return message


def notification_text(
    school_name: str, sender: Participant, student: Student, body: str, has_file: bool
) -> str:
    preview = Truncator(body).chars(PREVIEW_CHARS) if body else gettext("(ảnh hoặc tệp đính kèm)")
    if has_file and body:
        preview += " " + gettext("(kèm tệp)")
    return gettext("%(school)s: %(sender)s nhắn về %(student)s: %(text)s") % {
        "school": school_name,
        "sender": sender.name,
        "student": student.full_name,
        "text": preview,
    }


def _notify(
    conversation: Conversation, message: Message, sender: Participant, others: list[Participant]
) -> int:
    """One outbox message per other participant, on the channels chats may use (push, Zalo, e-mail, and SMS
    only where the school allows it: push first in the default order). A guardian's message reaches each
    teacher at their next office hours. Returns the number of messages."""
    if not others:
        return 0
    school = School.objects.get(schema_name=connection.schema_name)
    text = notification_text(
        school.name, sender, conversation.student, message.body, bool(message.attachment)
    )
    channels = [Channel.PUSH, Channel.ZALO, Channel.EMAIL]
    if ConversationSettings.current().sms_allowed:
        channels.append(Channel.SMS)
    holds = defaultdict(list)
    now = timezone.localtime()
    days_off = days_off_ahead(now.date()) if sender.guardian is not None else set()
    hours = {h.staff_id: h for h in OfficeHours.objects.filter(staff_id__in=[p.staff_id for p in others])}
    for participant in others:
        if participant.guardian is not None:
            holds[None].append(guardian_recipient(participant.guardian))
            continue
        staff = participant.staff
        hold = None
        if sender.guardian is not None:
            own = hours.get(staff.pk) or OfficeHours.of(staff)
            hold = rules.next_opening(now, own.weekdays, own.opens, own.closes, days_off)
        holds[hold].append(Recipient(phone=staff.user.phone, user_id=staff.user_id, name=staff.full_name))
    link = settings.SITE_URL + school_reverse(school, "conversation_detail", pk=conversation.pk)
    sent = 0
    for hold, recipients in holds.items():
        sent += len(
            messages_send(
                purpose=PURPOSE,
                reference=f"conversation-message:{message.pk}",
                title=gettext("Tin nhắn mới"),
                link=link,
                channels=channels,
                not_before=hold,
                items=[(recipient, text) for recipient in recipients],
            )
        )
    return sent


@transaction.atomic
def conversation_read(*, participant: Participant) -> int:
    """The participant has seen every message of the conversation so far: one receipt per message of
    someone else not seen before, and their reading time. Returns the number of new receipts."""
    now = timezone.now()
    unseen = (
        Message.objects.filter(conversation_id=participant.conversation_id)
        .exclude(sender=participant)
        .exclude(reads__participant=participant)
        .values_list("pk", flat=True)
    )
    created = MessageRead.objects.bulk_create(
        [MessageRead(message_id=pk, participant=participant, read_at=now) for pk in unseen],
        ignore_conflicts=True,
    )
    Participant.objects.filter(pk=participant.pk).update(last_read_at=now)
    return len(created)


# --- reports and hiding --------------------------------------------------------------------------------


@transaction.atomic
def message_report(*, actor, participant: Participant, message: Message, reason: str) -> Report:
    """A participant reports a message (not their own) to the school's managers, once."""
    reason = nfc((reason or "").strip())
    if not reason:
        raise ConversationError(gettext("Hãy ghi lý do báo cáo."), "reason")
    if message.conversation_id != participant.conversation_id:
        raise ConversationError(gettext("Tin nhắn không thuộc cuộc trò chuyện này."))
    if message.sender_id == participant.pk:
        raise ConversationError(gettext("Bạn không thể báo cáo tin nhắn của chính mình."))
    report, created = Report.objects.get_or_create(
        message=message, reported_by=participant, defaults={"reason": reason[:300]}
    )
    if created:
        audit_record(actor=actor, action="conversation.report", obj=message, after={"reason": report.reason})
    return report


@transaction.atomic
def message_hide(*, actor_staff: StaffMember, message: Message, reason: str) -> Message:
    """A manager hides a reported message: its text and file are no longer shown to anyone (the row stays,
    for the record), with who, when and why."""
    reason = nfc((reason or "").strip())
    if not reason:
        raise ConversationError(gettext("Hãy ghi lý do ẩn tin nhắn."), "reason")
    message = Message.objects.select_for_update().get(pk=message.pk)
    if not message.reports.exists():
        raise ConversationError(gettext("Chỉ ẩn được tin nhắn đã bị báo cáo."))
    if message.hidden_at is not None:
        raise ConversationError(gettext("Tin nhắn này đã được ẩn."))
    message.hidden_at, message.hidden_by, message.hidden_reason = timezone.now(), actor_staff, reason[:300]
    message.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    audit_record(
        actor=actor_staff.user,
        action="conversation.hide",
        obj=message,
        after={"conversation": message.conversation_id, "reason": message.hidden_reason},
    )
    return message


def conversation_board_read(*, actor, conversation: Conversation) -> None:
    """A manager who is not in the thread reads it by the school's policy: written down each time, since it
    is a family's correspondence (a participant's reading leaves its receipt instead)."""
    audit_record(
        actor=actor, action="conversation.board_read", obj=conversation, object_repr=str(conversation)
    )


# --- office hours and the school's choices -------------------------------------------------------------


@transaction.atomic
def office_hours_save(*, actor_staff: StaffMember, weekdays: list[int], opens, closes) -> OfficeHours:
    if weekdays and opens >= closes:
        raise ConversationError(gettext("Giờ kết thúc phải sau giờ bắt đầu."), "closes")
    hours = OfficeHours.of(actor_staff)
    before = {"weekdays": hours.weekdays, "opens": str(hours.opens), "closes": str(hours.closes)}
    hours.weekdays, hours.opens, hours.closes = sorted(set(weekdays)), opens, closes
    hours.save()
    audit_record(
        actor=actor_staff.user,
        action="conversation.office_hours",
        obj=hours,
        before=before,
        after={"weekdays": hours.weekdays, "opens": str(opens), "closes": str(closes)},
    )
    return hours


@transaction.atomic
def conversation_settings_save(*, actor, sms_allowed: bool, principal_reads: bool) -> ConversationSettings:
    prefs = ConversationSettings.current()
    before = {"sms_allowed": prefs.sms_allowed, "principal_reads": prefs.principal_reads}
    prefs.sms_allowed, prefs.principal_reads = sms_allowed, principal_reads
    prefs.save()
    audit_record(
        actor=actor,
        action="conversation.settings",
        obj=prefs,
        before=before,
        after={"sms_allowed": sms_allowed, "principal_reads": principal_reads},
    )
    return prefs
