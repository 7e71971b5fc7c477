"""A school's notices to families and staff, their attachments, and who received and read each one.

A Notice is written by a staff member and goes through draft → (pending_approval) → scheduled → published
(or rejected / cancelled). Publishing writes one NoticeRecipient per person it reached (the parents' inbox
and the read receipts) and one messaging.Message each, with reference "notice:<pk>".

A notice to families may carry Questions (notices/polls) with a deadline (answers_close_at); publishing it
then writes one AnswerSheet per child it asks about, which a guardian of that child fills (QuestionAnswer
rows) and may change until the deadline."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from accounts.models import Channel
from notices.polls import rules
from schoolbook.uploads import stored_name
from students.models import GradeLevel, Guardian, SchoolClass, StaffMember, Student


class Category(models.TextChoices):
    GENERAL = "general", _("Thông báo chung")
    EXAM_SCHEDULE = "exam_schedule", _("Lịch thi")
    TIMETABLE_CHANGE = "timetable_change", _("Thay đổi thời khóa biểu")
    DAY_OFF = "day_off", _("Nghỉ học")
    PARENT_MEETING = "parent_meeting", _("Họp phụ huynh")
    EXTRACURRICULAR = "extracurricular", _("Ngoại khóa")
    EXTRA_CLASSES = "extra_classes", _("Học thêm")
    FEES = "fees", _("Học phí")
    EMERGENCY = "emergency", _("Khẩn cấp")


class Audience(models.TextChoices):
    SCHOOL = "school", _("Phụ huynh toàn trường")
    GRADES = "grades", _("Phụ huynh theo khối")
    CLASSES = "classes", _("Phụ huynh theo lớp")
    STUDENTS = "students", _("Phụ huynh của học sinh được chọn")
    STAFF = "staff", _("Cán bộ, giáo viên")


class Status(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    PENDING_APPROVAL = "pending_approval", _("Chờ duyệt")
    SCHEDULED = "scheduled", _("Đã lên lịch")
    PUBLISHED = "published", _("Đã gửi")
    REJECTED = "rejected", _("Bị từ chối")
    CANCELLED = "cancelled", _("Đã hủy")


class Notice(models.Model):
    title = models.CharField(_("tiêu đề"), max_length=200)
    body = models.TextField(_("nội dung"))
    category = models.CharField(_("loại"), max_length=20, choices=Category.choices, default=Category.GENERAL)
    audience = models.CharField(
        _("gửi đến"), max_length=10, choices=Audience.choices, default=Audience.CLASSES
    )
    grades = models.ManyToManyField(GradeLevel, blank=True, related_name="+", verbose_name=_("khối"))
    classes = models.ManyToManyField(SchoolClass, blank=True, related_name="+", verbose_name=_("lớp"))
    students = models.ManyToManyField(Student, blank=True, related_name="+", verbose_name=_("học sinh"))
    # Empty: every channel, in the school's order (MessagingSettings.channel_order).
    channels = ArrayField(models.CharField(max_length=10, choices=Channel.choices), default=list, blank=True)
    scheduled_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="notices")
    decided_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(_("lý do từ chối"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    answers_close_at = models.DateTimeField(_("hạn trả lời"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"])]  # the every-minute publisher's query

    def __str__(self):
        return self.title

    @property
    def is_emergency(self) -> bool:
        return self.category == Category.EMERGENCY

    @property
    def reference(self) -> str:
        """What ties this notice's messages to it (messaging.Message.reference, the delivery report)."""
        return f"notice:{self.pk}"


def attachment_path(attachment: "NoticeAttachment", filename: str) -> str:
    """notices/<schema>/<notice>/<random>.<pdf|jpg|png>: per school, never the uploaded name (it is kept in
    original_name) nor its extension (schoolbook.uploads.stored_name)."""
    return stored_name(f"notices/{connection.schema_name}/{attachment.notice_id}", attachment.file)


class NoticeAttachment(models.Model):
    """A PDF or an image; served only by notices.views.notice_attachment_view, which checks access."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=50)  # from the file's first bytes, not from the browser
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.original_name


class NoticeRecipient(models.Model):
    """One person a published notice was addressed to: a guardian or a staff member (exactly one)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="recipients")
    guardian = models.ForeignKey(Guardian, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The platform user the person had when it was published (their push subscriptions, the report).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(guardian__isnull=False, staff__isnull=True)
                | models.Q(guardian__isnull=True, staff__isnull=False),
                name="notice_recipient_guardian_xor_staff",
            ),
            models.UniqueConstraint(fields=["notice", "guardian"], name="notice_guardian_once"),
            models.UniqueConstraint(fields=["notice", "staff"], name="notice_staff_once"),
        ]

    def __str__(self):
        return f"{self.notice_id} → {self.guardian_id or self.staff_id}"


class QuestionKind(models.TextChoices):
    YES_NO = rules.YES_NO, _("Có / Không")
    ONE_OF = rules.ONE_OF, _("Chọn một")
    SEVERAL_OF = rules.SEVERAL_OF, _("Chọn nhiều")
    NUMBER = rules.NUMBER, _("Số")
    SHORT_TEXT = rules.SHORT_TEXT, _("Câu trả lời ngắn")
    RSVP = rules.RSVP, _("Tham dự (đến / không đến)")


class Question(models.Model):
    """One question of a notice, in `position` order; frozen once the notice leaves the draft (the pages
    edit drafts only), so an answer's option positions keep their meaning."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("loại câu hỏi"), max_length=12, choices=QuestionKind.choices)
    label = models.CharField(_("câu hỏi"), max_length=rules.LABEL_MAX)
    required = models.BooleanField(_("bắt buộc"), default=True)
    options = ArrayField(models.CharField(max_length=rules.OPTION_MAX), default=list, blank=True)
    min_value = models.IntegerField(null=True, blank=True)
    max_value = models.IntegerField(null=True, blank=True)
    max_length = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["notice", "position"], name="question_position_once")]

    def __str__(self):
        return self.label

    @property
    def spec(self) -> rules.QuestionSpec:
        return rules.QuestionSpec(
            kind=self.kind, label=self.label, required=self.required, options=tuple(self.options),
            min_value=self.min_value, max_value=self.max_value, max_length=self.max_length,
        )  # fmt: skip


class AnswerSheet(models.Model):
    """One child a published notice with questions asks about (a student of its audience then, with their
    class then): blank until a guardian of the child answers, then who answered last and when."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="sheets")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by = models.ForeignKey(
        Guardian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "student"], name="answer_sheet_once")]

    def __str__(self):
        return f"{self.notice_id} / {self.student_id}"


class QuestionAnswer(models.Model):
    """A sheet's answer to one question (rules.Answer): the chosen options' positions, a number, a text."""

    sheet = models.ForeignKey(AnswerSheet, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    choices = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    number = models.IntegerField(null=True, blank=True)
    text = models.CharField(max_length=rules.TEXT_LIMIT_MAX, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sheet", "question"], name="answer_once")]

    def __str__(self):
        return f"{self.sheet_id} / {self.question_id}"

    @property
    def value(self) -> rules.Answer:
        return rules.Answer(choices=tuple(self.choices), number=self.number, text=self.text)


class AnswerReminder(models.Model):
    """One "remind those who have not answered" round: by whom, when, to how many guardians. The rounds are
    counted under the notice's lock, so a second click on the same confirmation sends nothing."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reminders")
    sent_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    guardians = models.PositiveIntegerField()

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self):
        return f"{self.notice_id} @ {self.sent_at:%Y-%m-%d %H:%M}"
