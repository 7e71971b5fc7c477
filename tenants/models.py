"""Schools (one PostgreSQL schema each), their URL slug, and the public index of who belongs where."""

import re

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from schoolbook.text import search_fold

SCHOOL_CODE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
RESERVED_CODES = frozenset({"public", "template", "static", "admin", "www"})


def validate_school_code(value: str) -> None:
    if not SCHOOL_CODE_RE.match(value or ""):
        raise ValidationError(
            _("Mã trường chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang (tối đa 40 ký tự)."),
            code="invalid_code",
        )
    if value in RESERVED_CODES:
        raise ValidationError(_("Mã trường “%(code)s” đã được hệ thống dùng."), params={"code": value})


def schema_name_for(code: str) -> str:
    return "school_" + code.replace("-", "_")


class Level(models.TextChoices):
    PRIMARY = "primary", _("Tiểu học")
    LOWER_SECONDARY = "lower_secondary", _("Trung học cơ sở")
    UPPER_SECONDARY = "upper_secondary", _("Trung học phổ thông")


class School(TenantMixin):
    """A school and its schema. The public schema has no row: outside /s/ requests use django-tenants'
    FakeTenant for `public`."""

    code = models.CharField(_("mã trường"), max_length=40, unique=True)
    name = models.CharField(_("tên trường"), max_length=200)
    levels = ArrayField(models.CharField(max_length=20, choices=Level.choices), default=list, blank=True)
    province = models.CharField(_("tỉnh/thành phố"), max_length=100, blank=True)
    district = models.CharField(_("quận/huyện/xã"), max_length=100, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=16, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    suspended_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Name, code and province folded (schoolbook.text.search_fold) for the console's search: pgserver has no
    # `unaccent`, so, as for students' names, the search reads a column kept in that form.
    search_folded = models.CharField(max_length=400, editable=False, default="")

    auto_create_schema = True
    auto_drop_schema = False  # a school's data is never dropped by deleting a row

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=SCHOOL_CODE_RE.pattern), name="school_code_is_slug"
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.search_folded = search_fold(f"{self.name} {self.code} {self.province}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "code", "province"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_folded"}
        super().save(*args, **kwargs)

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    def get_absolute_url(self) -> str:
        from tenants.routing import school_reverse

        return school_reverse(self, "school_home")

    def level_labels(self) -> list[str]:
        return [Level(level).label for level in self.levels]

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        # Renames a ready spare schema instead of migrating one now: see tenants.schemas.
        from tenants.schemas import create_school_schema

        create_school_schema(self.schema_name)


class SpareSchema(models.Model):
    """A migrated, empty schema waiting to become a school: onboarding renames it (instant) instead of
    creating and migrating a schema while the admin waits. See tenants.schemas."""

    schema_name = models.CharField(max_length=63, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.schema_name


class SchemaTemplate(models.Model):
    """The script that makes a new school's schema without running the migrations: captured from a freshly
    migrated schema, for one state of the code's migrations (tenants.schema_template)."""

    migration_state = models.CharField(max_length=64, unique=True)
    script = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.migration_state


class Domain(DomainMixin):
    """The school's path segment: /s/<domain>/. Always equal to School.code."""


class SchoolAffiliation(models.Model):
    """Public index of user → schools, kept by the services, so that "my schools" is not a scan of all
    schemas. The authoritative role rows live in each school's schema."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affiliations")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="affiliations")
    is_staff = models.BooleanField(default=False)
    is_guardian = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "school"], name="one_affiliation_per_school")]

    def __str__(self):
        return f"{self.user} @ {self.school}"


class TransferRequest(models.Model):
    """A sending school's request that another school take one of its students. It lives
    in the public schema so that both schools see it, and holds only what the sending school chose to send:
    the student's snapshot and guardians, the reason and the date. Nothing of the receiving school is written
    here but its decision (who, when, a decline's reason): the class and code it chose stay in its schema.
    See students.transfers."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ trường nhận xử lý")
        ACCEPTED = "accepted", _("Đã được nhận")
        DECLINED = "declined", _("Bị từ chối")
        WITHDRAWN = "withdrawn", _("Đã rút yêu cầu")

    from_school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="transfers_out")
    to_school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="transfers_in")
    student_id = models.PositiveIntegerField()  # in the sending school's schema
    student_code = models.CharField(max_length=30)
    full_name = models.CharField(max_length=150)
    date_of_birth = models.DateField()
    gender = models.CharField(max_length=10)
    national_id = models.CharField(max_length=12, blank=True)
    sector_id = models.CharField(max_length=20, blank=True)  # the sector database's: it goes with the student
    # [{full_name, phone, email, user_id, relationship, is_primary_contact, receives_notifications}]
    guardians = models.JSONField(default=list)
    reason = models.CharField(max_length=300)
    on_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_school", "student_id"],
                condition=models.Q(status="pending"),
                name="one_pending_transfer_per_student",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_school=models.F("to_school")), name="transfer_between_two_schools"
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.student_code})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
