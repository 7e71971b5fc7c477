"""Reads about offices that several of its pages need: the offices a person works for, an office's staff."""

from django.db.models import Exists, OuterRef

from accounts.models import TwoFactor
from offices.models import EducationOffice, OfficeStaff


def offices_of_user(user):
    return EducationOffice.objects.filter(staff__user=user).order_by("name")


def office_sources(user) -> list[tuple]:
    """The rows offices_of_user is made of: the user's staff rows and those offices (sources of
    schoolbook.caching.rows_version), for a part that shows them."""
    staff = OfficeStaff._meta.db_table
    return [
        (staff, "user_id = %s", [user.pk]),
        (
            EducationOffice._meta.db_table,
            f"id IN (SELECT office_id FROM {staff} WHERE user_id = %s)",
            [user.pk],
        ),
    ]


def user_is_office_staff(user) -> bool:
    """Whether the person works for an office: they sign in as staff do (settings.STAFF_OUTSIDE_SCHOOLS)."""
    return OfficeStaff.objects.filter(user=user).exists()


def office_staff(*, office: EducationOffice):
    """The office's seats, heads first, each with `two_factor_set` (its person confirmed an authenticator
    app), in one query."""
    confirmed = TwoFactor.objects.filter(user=OuterRef("user"), confirmed_at__isnull=False)
    return (
        OfficeStaff.objects.filter(office=office)
        .select_related("user")
        .annotate(two_factor_set=Exists(confirmed))
        .order_by("role", "user__full_name", "pk")
    )
