"""The roles a person can hold in a school. Defined here, below every app that checks them; a school's
staff records (students.StaffMember.roles) hold these values."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SCHOOL_ADMIN = "school_admin", _("Quản trị trường")
    PRINCIPAL = "principal", _("Hiệu trưởng")
    VICE_PRINCIPAL = "vice_principal", _("Phó hiệu trưởng")
    TEACHER = "teacher", _("Giáo viên")
    ACCOUNTANT = "accountant", _("Kế toán")
