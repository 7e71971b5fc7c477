"""An office's data link to an operations centre (endpoint, key, sealed secret, what to send, the field
mapping) and the link's outbox, which is also its sent log: one row per version of a record, with the
centre's answer. Both in the public schema (docs/decisions.md, "The outbox is in public, one row per office
and record"); imported by offices.models so that Django knows them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from offices.links.protocol import ATTENDANCE_CLASS, ATTENDANCE_MARK, PAYMENT
from offices.models import EducationOffice
from tenants.models import School


class DataLink(models.Model):
    office = models.OneToOneField(EducationOffice, on_delete=models.CASCADE, related_name="data_link")
    endpoint = models.URLField(_("địa chỉ nhận dữ liệu (HTTPS)"), max_length=500)
    key_id = models.CharField(_("mã khoá (key id)"), max_length=100)
    secret_sealed = models.TextField()  # schoolbook.sealed: never shown again, never audited
    send_attendance = models.BooleanField(_("gửi điểm danh hằng ngày"), default=True)
    send_payments = models.BooleanField(_("gửi dữ liệu thu phí"), default=True)
    # {record type: {our field: the centre's field, or "-" to leave it out}} (offices.links.protocol)
    field_map = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(_("đang bật"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.office} → {self.endpoint}"

    def record_types(self) -> list[str]:
        types = [ATTENDANCE_CLASS, ATTENDANCE_MARK] if self.send_attendance else []
        return types + ([PAYMENT] if self.send_payments else [])


class LinkRecord(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENDING = "sending", _("Đang gửi")
        SENT = "sent", _("Trung tâm đã nhận")
        DUPLICATE = "duplicate", _("Trung tâm đã có")
        REJECTED = "rejected", _("Bị từ chối")
        FAILED = "failed", _("Không gửi được")
        WITHDRAWN = "withdrawn", _("Trường đã rời đơn vị")

    class Kind(models.TextChoices):
        ATTENDANCE_CLASS = ATTENDANCE_CLASS, _("Điểm danh theo lớp")
        ATTENDANCE_MARK = ATTENDANCE_MARK, _("Điểm danh từng học sinh")
        PAYMENT = PAYMENT, _("Khoản đã thu")

    office = models.ForeignKey(EducationOffice, on_delete=models.CASCADE, related_name="link_records")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    record_id = models.CharField(max_length=200)  # stable across versions: "<school>/<type>/…"
    version = models.PositiveIntegerField(default=1)
    deleted = models.BooleanField(default=False)  # the record no longer exists in the school
    day = models.DateField()  # the school day the record is about (the log's filter)
    label = models.CharField(max_length=200)  # for the log: class, student code or receipt, no name
    key = models.CharField(max_length=32)  # the idempotency key the centre deduplicates on
    data = models.JSONField()  # under our field names; the mapping is applied when sent
    produced_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField()  # since when it waits to be sent (produced, or replayed)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # backoff or the centre's Retry-After
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=1000, blank=True)  # the centre's reason, or our last error

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "key"], name="link_record_key_once"),
            models.UniqueConstraint(
                fields=["office", "record_id", "version"], name="link_record_version_once"
            ),
        ]
        indexes = [
            models.Index(fields=["office", "status", "next_attempt_at"], name="link_record_due"),
            models.Index(fields=["office", "school", "day", "kind"], name="link_record_day"),
            models.Index(fields=["status", "claimed_at"], name="link_record_claimed"),
            models.Index(fields=["day"], name="link_record_age"),  # the nightly deletion, oldest first
        ]

    def __str__(self):
        return f"{self.record_id} v{self.version} ({self.status})"
