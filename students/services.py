from django.db import transaction
from django.utils.translation import gettext

from accounts.services import user_get_or_create
from schoolbook.audit.services import audit_record
from students.models import Role, StaffMember
from tenants.services import affiliation_add


class StaffError(ValueError):
    pass


@transaction.atomic
def staff_add(*, actor, school, phone: str, full_name: str, roles: list[str], request=None) -> StaffMember:
    """Give a person (found or created by phone) roles in this school. Call inside the school's schema."""
    roles = sorted(set(roles))
    if not roles or any(role not in Role.values for role in roles):
        raise StaffError(gettext("Chọn ít nhất một vai trò hợp lệ."))
    user = user_get_or_create(phone=phone, full_name=full_name, actor=actor, request=request)
    staff = StaffMember.objects.filter(user=user).first()
    before = None
    if staff is None:
        staff = StaffMember.objects.create(user=user, full_name=full_name or user.full_name, roles=roles)
    else:
        before = {"roles": staff.roles, "is_active": staff.is_active}
        staff.roles = sorted(set(staff.roles) | set(roles))
        staff.is_active = True
        staff.save(update_fields=["roles", "is_active"])
    affiliation_add(user=user, school=school, is_staff=True)
    audit_record(
        actor=actor,
        action="staff.add",
        obj=staff,
        before=before,
        after={"phone": user.phone, "roles": staff.roles},
        request=request,
    )
    return staff
