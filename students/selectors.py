from django.db import connection
from django.db.models import Count, Q

from schoolbook.caching import cached_lookup
from students.models import Role, StaffMember

STAFF_CACHE_SECONDS = 300


def staff_cache_key(schema_name: str, user_id: int) -> str:
    return f"staff-of-user:{schema_name}:{user_id}"


def staff_for_user(user) -> StaffMember | None:
    """The user's active staff row in the current school, or None. Asked on every school request (the
    access check), so it is cached in Redis and forgotten by students.signals when the row changes."""
    return cached_lookup(
        staff_cache_key(connection.schema_name, user.pk),
        lambda: StaffMember.objects.filter(user=user, is_active=True).first(),
        STAFF_CACHE_SECONDS,
    )


def staff_list(*, search: str = ""):
    staff = StaffMember.objects.select_related("user").order_by("full_name")
    if search:
        staff = staff.filter(Q(full_name__icontains=search) | Q(user__phone__contains=search.lstrip("0")))
    return staff


def staff_counts() -> dict[str, int]:
    """Active staff per role, in one query."""
    aggregates = {role.value: Count("id", filter=Q(roles__contains=[role.value])) for role in Role}
    return StaffMember.objects.filter(is_active=True).aggregate(total=Count("id"), **aggregates)
