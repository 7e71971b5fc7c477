"""Changes to offices: creating one, the schools it covers, its staff (by the platform admin, or the
office's head). Every change is audited. Membership
is what the office's pages read, so withdrawing a school hides it from them at once."""

from django.db import transaction
from django.utils.translation import gettext

from accounts.services import user_get_or_create
from offices.areas import in_area
from offices.models import EducationOffice, OfficeSchool, OfficeStaff
from schoolbook.audit.services import audit_record
from tenants.models import School


class OfficeError(ValueError):
    pass


def office_create(*, actor, cleaned: dict) -> EducationOffice:
    """`cleaned` is OfficeForm's; the schools already onboarded in its area join it."""
    with transaction.atomic():
        office = EducationOffice.objects.create(**cleaned)
        audit_record(actor=actor, action="office.create", obj=office, after=dict(cleaned))
        office_schools_add_area(actor=actor, office=office)
    return office


def _in_area(office: EducationOffice, school: School) -> bool:
    return in_area(
        province=school.province,
        district=school.district,
        office_province=office.province,
        office_district=office.district if office.kind == EducationOffice.Kind.DISTRICT else "",
    )


def office_schools_add_area(*, actor, office: EducationOffice) -> int:
    """Add every active school of the office's province (and district, for a Phòng) not yet covered;
    returns how many joined. Names are compared as offices.areas does."""
    covered = set(office.memberships.values_list("school_id", flat=True))
    candidates = School.objects.exclude(schema_name="public").exclude(pk__in=covered)
    joining = [school for school in candidates.only("pk", "province", "district") if _in_area(office, school)]
    OfficeSchool.objects.bulk_create([OfficeSchool(office=office, school=school) for school in joining])
    if joining:
        audit_record(
            actor=actor, action="office.schools_add", obj=office, after={"schools": [s.pk for s in joining]}
        )
    return len(joining)


def office_school_add(*, actor, office: EducationOffice, code: str) -> School:
    school = School.objects.exclude(schema_name="public").filter(code=code.strip().lower()).first()
    if school is None:
        raise OfficeError(gettext("Không có trường nào mã “%(code)s”.") % {"code": code})
    _, created = OfficeSchool.objects.get_or_create(office=office, school=school)
    if not created:
        raise OfficeError(gettext("Trường “%(name)s” đã thuộc đơn vị này.") % {"name": school.name})
    audit_record(actor=actor, action="office.school_add", obj=office, after={"school": school.code})
    return school


def office_school_withdraw(*, actor, office: EducationOffice, school: School) -> None:
    deleted, _ = OfficeSchool.objects.filter(office=office, school=school).delete()
    if deleted:
        audit_record(actor=actor, action="office.school_withdraw", obj=office, before={"school": school.code})


def school_join_offices(*, school: School) -> int:
    """A newly onboarded school joins the offices of its area (called by onboarding, in its transaction)."""
    offices = EducationOffice.objects.all()
    joining = [office for office in offices if _in_area(office, school)]
    OfficeSchool.objects.bulk_create(
        [OfficeSchool(office=office, school=school) for office in joining], ignore_conflicts=True
    )
    return len(joining)


def office_staff_add(*, actor, office: EducationOffice, phone: str, full_name: str, role: str) -> OfficeStaff:
    """The person signs in with this phone number (a code the first time, then a password) and passes 2FA."""
    with transaction.atomic():
        user = user_get_or_create(phone=phone, full_name=full_name, actor=actor)
        seat, created = OfficeStaff.objects.get_or_create(office=office, user=user, defaults={"role": role})
        if not created:
            raise OfficeError(gettext("Người này đã là cán bộ của đơn vị."))
        audit_record(
            actor=actor, action="office.staff_add", obj=office, after={"user": user.pk, "role": role}
        )
    return seat


def office_staff_remove(*, actor, office: EducationOffice, seat_id: int) -> None:
    """Nobody removes their own seat, and an office keeps its last head. The office's row is locked
    first, so two heads removing each other at once cannot both succeed."""
    with transaction.atomic():
        EducationOffice.objects.select_for_update().filter(pk=office.pk).first()
        seat = OfficeStaff.objects.filter(office=office, pk=seat_id).first()
        if seat is None:
            return
        if actor is not None and seat.user_id == actor.pk:
            raise OfficeError(gettext("Bạn không thể tự gỡ mình khỏi đơn vị."))
        heads = office.staff.filter(role=OfficeStaff.Role.HEAD)
        if seat.role == OfficeStaff.Role.HEAD and not heads.exclude(pk=seat.pk).exists():
            raise OfficeError(
                gettext("Đây là lãnh đạo duy nhất của đơn vị: cần thêm một lãnh đạo khác trước khi gỡ.")
            )
        seat.delete()
        audit_record(
            actor=actor,
            action="office.staff_remove",
            obj=office,
            before={"user": seat.user_id, "role": seat.role},
        )
