"""One User per person, keyed by a Vietnamese phone number in E.164. Roles live in each school's schema."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schoolbook.phones import normalize_phone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, phone):
        return self.get(phone=normalize_phone(phone).e164)

    def create_user(self, phone, full_name="", **extra):
        """Users start without a usable password: they set one after a one-time code."""
        user = self.model(phone=normalize_phone(phone).e164, full_name=full_name, **extra)
        user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    phone = models.CharField(_("số điện thoại"), max_length=16, unique=True)
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    is_platform_admin = models.BooleanField(_("quản trị nền tảng"), default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(phone__regex=r"^\+[1-9][0-9]{6,14}$"), name="user_phone_is_e164"
            )
        ]

    def __str__(self):
        return self.full_name or self.phone

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.rsplit(" ", 1)[-1] if self.full_name else self.phone


class OneTimeCode(models.Model):
    """A 6-digit code sent to a phone. Only an HMAC of the code is stored."""

    class Purpose(models.TextChoices):
        SET_PASSWORD = "set_password", _("Đặt mật khẩu")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "-created_at"])]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    PUSH = "push", _("Thông báo đẩy")
    ZALO = "zalo", "Zalo"


class ContactPoint(models.Model):
    """An address we can reach a person at, and what the gateways told us about it. Public and shared: one
    parent's push subscription serves all their schools, and a number a carrier calls invalid is invalid
    for every school.

    Phones and e-mail addresses live on the user or the school's guardian row; they get a row here only
    once a gateway reports them unreachable (`is_bad`), so planning can skip them. Push subscriptions
    (browser, `gateway` webpush) and app tokens (`gateway` fcm) exist only here, owned by a user."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="contact_points"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    gateway = models.CharField(max_length=40, blank=True)  # push: "webpush" or "fcm"; others: any
    address = models.TextField()  # E.164 phone, e-mail address, PushSubscription JSON or FCM token
    label = models.CharField(max_length=200, blank=True)  # "Chrome trên Android", for the parent's list
    is_bad = models.BooleanField(default=False)
    bad_reason = models.CharField(max_length=500, blank=True)
    bad_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="one_contact_point_per_address")
        ]
        indexes = [models.Index(fields=["user", "channel"])]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.address[:60]}"


class TwoFactor(models.Model):
    """A staff member's authenticator app (TOTP). Created unconfirmed when setup starts; confirmed by the
    first correct code. The secret is sealed (schoolbook.sealed): a database dump alone cannot mint codes."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret_sealed = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The time step of the last accepted code: a code (or an older one) is accepted only once.
    last_step = models.BigIntegerField(null=True, blank=True)
    # HMACs of the one-use recovery codes not used yet; a used code's hash is removed.
    recovery_hashes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"2FA {self.user}"


class HomeVisit(models.Model):
    """When a person last looked at their home page, for the parent hub's "new since your last visit". A
    visit is a run of home page views with less than HOME_VISIT_GAP between one and the next
    (accounts.services.home_visit_record): during a visit, `news_since` stays the last view of the visit
    before, so what arrived since then stays marked new however often the parent reloads."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="home_visit")
    last_seen_at = models.DateTimeField()
    news_since = models.DateTimeField()

    def __str__(self):
        return f"{self.user_id} {self.last_seen_at:%Y-%m-%d %H:%M}"
