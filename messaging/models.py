"""Outgoing messages. Shared and per school: a login code lives in public, a school's notice in its schema.

A Message is what we have to say to one recipient for one purpose (the rendered text); a Delivery is one
attempt to carry it over one channel through one gateway. Statuses, claims and provider ids live on the
Delivery, so a message that falls back from push to SMS keeps one row per channel tried."""

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Channel  # defined with the contact points; used by both apps

DEFAULT_CHANNEL_ORDER = [Channel.PUSH, Channel.ZALO, Channel.SMS, Channel.EMAIL]


class Message(models.Model):
    """`channels` is the plan made when it was written: the school's channel order, narrowed to what the
    sender allowed and what this recipient can be reached by. Deliveries walk it: the first channel, then
    the next one whenever a channel fails or is not delivered in time (messaging.services)."""

    purpose = models.CharField(max_length=40)
    reference = models.CharField(max_length=40, blank=True, db_index=True)  # e.g. "notice:12"
    recipient = models.CharField(max_length=254)  # who, for people: a name, else the phone or e-mail address
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = models.CharField(max_length=16, blank=True)  # E.164: SMS and Zalo
    email = models.EmailField(blank=True)
    channels = ArrayField(models.CharField(max_length=10, choices=Channel.choices), default=list, blank=True)
    title = models.CharField(max_length=200, blank=True)  # e-mail subject, push title
    link = models.CharField(max_length=500, blank=True)  # push: the page to open
    body = models.TextField()
    urgent = models.BooleanField(default=False)  # the urgent queue: login codes, emergencies
    bulk = models.BooleanField(default=False)  # the bulk queue: notices to many, never ahead of the rest
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
    address = models.TextField()  # phone, e-mail address, push subscription JSON (can pass 500 chars), token
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)  # when the provider's receipt said so
    provider_message_id = models.CharField(max_length=100, blank=True)
    # The key the provider got (messaging.services.delivery_key, set when it is sent): receipts name it.
    provider_key = models.CharField(max_length=32, blank=True, db_index=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Queued: when it was last put in the queue (a task for it should exist since). `not_before`: held,
    # without a task, until then (quiet hours). Sent: `fallback_at` is when, still not delivered, the
    # message moves on to its next channel.
    queued_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    fallback_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The sweeps ("sending, claimed before T", "held until before T", …) must not scan the history.
        indexes = [
            models.Index(fields=["status", "claimed_at"]),
            models.Index(fields=["status", "not_before"]),
            models.Index(fields=["status", "fallback_at"]),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.address}: {self.get_status_display()}"


class MessagingSettings(models.Model):
    """A school's choices (one row in its schema; `current()` gives the defaults where there is none, as
    in public for login codes). Gateways are chosen by name; their credentials are the platform's
    (configuration) unless the school brought its own account (ProviderAccount)."""

    channel_order = ArrayField(
        models.CharField(max_length=10, choices=Channel.choices),
        default=list,
        verbose_name=_("thứ tự kênh gửi"),
    )
    fallback_minutes = models.PositiveSmallIntegerField(
        _("chuyển kênh sau (phút)"),
        default=30,
        help_text=_("Tin chưa được báo đã nhận sau chừng ấy phút thì gửi qua kênh tiếp theo."),
    )
    sms_gateway = models.CharField(_("nhà cung cấp SMS"), max_length=40, blank=True)
    strip_accents = models.BooleanField(
        _("gửi SMS không dấu"),
        default=True,
        help_text=_("Tin không dấu rẻ hơn khoảng một nửa (160 thay vì 70 ký tự mỗi tin)."),
    )
    quiet_hours_start = models.TimeField(_("giờ yên lặng từ"), default=datetime.time(21, 0))
    quiet_hours_end = models.TimeField(_("đến"), default=datetime.time(6, 30))
    teacher_notices_need_approval = models.BooleanField(
        _("thông báo của giáo viên ngoài lớp chủ nhiệm cần hiệu trưởng duyệt"), default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return "messaging settings"

    @classmethod
    def current(cls) -> "MessagingSettings":
        found = cls.objects.order_by("pk").first()
        return found or cls(channel_order=list(DEFAULT_CHANNEL_ORDER))


class ProviderToken(models.Model):
    """OAuth tokens a provider rotates (Zalo's refresh token is single-use: the new pair must be stored
    every time). The platform's in public, a school's own OA's in its schema (messaging.zalo_tokens);
    sealed (schoolbook.sealed) with a key from configuration, so a database dump alone does not give the
    tokens away."""

    provider = models.CharField(max_length=40, unique=True)
    access_token = models.TextField(blank=True)  # sealed
    refresh_token = models.TextField(blank=True)  # sealed
    expires_at = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.provider


class ProviderAccount(models.Model):
    """A school's own account with a provider (its SMS brandname with eSMS or SpeedSMS, its Zalo Official
    Account), in its schema: the school's messages on that channel go through it instead of the platform's
    account (settings.GATEWAYS).
    The credentials are one JSON object sealed (schoolbook.sealed) with the key from configuration; only
    `hint` (the last characters of the key, for the page) is kept in clear (messaging.provider_accounts)."""

    class Provider(models.TextChoices):
        ESMS = "esms", "eSMS"
        SPEEDSMS = "speedsms", "SpeedSMS"
        ZALO = "zalo", "Zalo OA"

    channel = models.CharField(max_length=10, choices=Channel.choices, unique=True)
    provider = models.CharField(max_length=40, choices=Provider.choices)
    credentials = models.TextField()  # sealed JSON: never read but through provider_accounts.selectors
    hint = models.CharField(max_length=8, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.get_channel_display()}: {self.get_provider_display()}"
