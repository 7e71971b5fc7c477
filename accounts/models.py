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
