"""Outgoing messages. Shared and per school: a login code lives in public, a school's notice in its schema.

A Message is what we have to say to one recipient for one purpose (the rendered text); a Delivery is one
attempt to carry it over one channel through one gateway. Statuses, claims and provider ids live on the
Delivery, so a message that falls back from push to SMS keeps one row per channel tried."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    PUSH = "push", _("Thông báo đẩy")
    ZALO = "zalo", "Zalo"


class Message(models.Model):
    purpose = models.CharField(max_length=40)
    recipient = models.CharField(max_length=254)  # E.164 phone or e-mail address: who, not which channel
    body = models.TextField()
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.recipient}: {self.purpose}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ gửi")
        SENDING = "sending", _("Đang gửi")
        SENT = "sent", _("Đã gửi")
        DELIVERED = "delivered", _("Đã nhận")
        FAILED = "failed", _("Gửi lỗi")
        FALLEN_BACK = "fallen_back", _("Đã chuyển kênh khác")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    gateway = models.CharField(max_length=40)
    address = models.CharField(max_length=500)  # phone, e-mail address or push subscription, per channel
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Claims and their recovery: "sending, claimed before T" must not scan the sent history.
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.address}: {self.get_status_display()}"
