"""Conversations about a child between its guardians and the school's staff.

A Conversation belongs to one Student (the child's record, in the school's schema) and has Participants
(users: the child's guardians and staff, never anyone else's family). Each Message has a sender, a text
and, optionally, one photo or PDF; MessageRead rows are the read receipts ("Đã xem" with the time, per
participant). A participant's `last_read_at` says what is unread for them. A Report is a participant's
report of a message; a manager may hide a reported message with a reason (audited). OfficeHours are a
teacher's; ConversationSettings the school's choices (one row, defaults where there is none)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from conversations.rules import DEFAULT_CLOSES, DEFAULT_OPENS, DEFAULT_WEEKDAYS
from schoolbook.uploads import stored_name
from students.models import Guardian, StaffMember, Student

BODY_MAX = 2000  # characters of one message


class Conversation(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]

    def __str__(self):
        return f"{self.student}: {self.pk}"


class Participant(models.Model):
    """A user in a conversation, as the child's guardian or as staff (`guardian` or `staff` is set)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    guardian = models.ForeignKey(Guardian, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_read_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="one_participant_per_user"),
            models.CheckConstraint(
                condition=models.Q(guardian__isnull=True) ^ models.Q(staff__isnull=True),
                name="participant_is_guardian_or_staff",
            ),
        ]
        indexes = [models.Index(fields=["user", "conversation"])]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return (self.staff or self.guardian).full_name


def attachment_path(instance, filename):
    return stored_name("conversations", instance.attachment)


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=BODY_MAX, blank=True)
    attachment = models.FileField(upload_to=attachment_path, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)  # read from the file's bytes
    # The sender's form's one-time key: a retried POST finds its message instead of writing it twice.
    client_key = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hidden_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_key"], name="one_message_per_client_key"),
        ]

    def __str__(self):
        return f"{self.sender}: {self.body[:40]}"

    @property
    def is_photo(self) -> bool:
        return self.attachment_type.startswith("image/")


class MessageRead(models.Model):
    """The first time a participant saw a message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "participant"], name="one_read_per_participant")
        ]

    def __str__(self):
        return f"{self.participant_id} read {self.message_id}"


class Report(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reported_by = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("lý do"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "reported_by"], name="one_report_per_participant")
        ]

    def __str__(self):
        return self.reason


class OfficeHours(models.Model):
    """When a teacher answers: a parent's message outside them is kept at once, and its notification waits
    for the next opening (conversations.rules.next_opening)."""

    staff = models.OneToOneField(StaffMember, on_delete=models.CASCADE, related_name="+")
    weekdays = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    opens = models.TimeField(_("từ"), default=DEFAULT_OPENS)
    closes = models.TimeField(_("đến"), default=DEFAULT_CLOSES)

    def __str__(self):
        return f"{self.staff}: {self.weekdays} {self.opens}–{self.closes}"

    @classmethod
    def of(cls, staff: StaffMember) -> "OfficeHours":
        found = cls.objects.filter(staff=staff).first()
        return found or cls(staff=staff, weekdays=list(DEFAULT_WEEKDAYS))


class ConversationSettings(models.Model):
    """The school's choices about conversations (one row in its schema; `current()` gives the defaults)."""

    sms_allowed = models.BooleanField(
        _("báo tin nhắn mới qua SMS"),
        default=False,
        help_text=_("Tắt: chỉ báo qua ứng dụng (thông báo đẩy), Zalo và e-mail; SMS tốn tiền của trường."),
    )
    principal_reads = models.BooleanField(
        _("Ban giám hiệu xem được hội thoại"),
        default=False,
        help_text=_(
            "Bật: hiệu trưởng, phó hiệu trưởng và quản trị trường đọc được mọi cuộc trò chuyện về một "
            "học sinh. Phụ huynh và giáo viên được cho biết điều này trên trang tin nhắn."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return "conversation settings"

    @classmethod
    def current(cls) -> "ConversationSettings":
        return cls.objects.order_by("pk").first() or cls()
