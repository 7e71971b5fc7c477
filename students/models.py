"""A school's people. The foundation has staff and their roles; the roster issue adds the rest."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SCHOOL_ADMIN = "school_admin", _("Quản trị trường")
    PRINCIPAL = "principal", _("Hiệu trưởng")
    VICE_PRINCIPAL = "vice_principal", _("Phó hiệu trưởng")
    TEACHER = "teacher", _("Giáo viên")
    ACCOUNTANT = "accountant", _("Kế toán")


class StaffMember(models.Model):
    """What a user is in this school. One row per person; a person may hold several roles."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    full_name = models.CharField(_("họ và tên"), max_length=150)
    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list)
    is_active = models.BooleanField(_("đang làm việc"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name"]
        indexes = [models.Index(fields=["is_active"])]
        constraints = [models.CheckConstraint(condition=~models.Q(roles=[]), name="staff_has_a_role")]

    def __str__(self):
        return self.full_name

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles]
