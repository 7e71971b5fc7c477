from django.db.models import Count, Q

from students.models import Role, StaffMember


def staff_for_user(user) -> StaffMember | None:
    """The user's active staff row in the current school, or None."""
    return StaffMember.objects.filter(user=user, is_active=True).first()


def staff_list(*, search: str = ""):
    staff = StaffMember.objects.select_related("user").order_by("full_name")
    if search:
        staff = staff.filter(Q(full_name__icontains=search) | Q(user__phone__contains=search.lstrip("0")))
    return staff


def staff_counts() -> dict[str, int]:
    """Active staff per role, in one query."""
    aggregates = {role.value: Count("id", filter=Q(roles__contains=[role.value])) for role in Role}
    return StaffMember.objects.filter(is_active=True).aggregate(total=Count("id"), **aggregates)
