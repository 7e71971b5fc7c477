"""The life of a school in the platform: its creation (schoolbook.onboarding wires the rest of
onboarding around it), suspension and reactivation, and the user → school affiliations."""

from django.db import transaction

from schoolbook.audit.services import audit_record
from tenants.models import Domain, School, SchoolAffiliation, schema_name_for


def affiliation_add(*, user, school: School, is_staff: bool = False, is_guardian: bool = False) -> None:
    affiliation, created = SchoolAffiliation.objects.get_or_create(
        user=user, school=school, defaults={"is_staff": is_staff, "is_guardian": is_guardian}
    )
    if not created and (
        (is_staff and not affiliation.is_staff) or (is_guardian and not affiliation.is_guardian)
    ):
        affiliation.is_staff = affiliation.is_staff or is_staff
        affiliation.is_guardian = affiliation.is_guardian or is_guardian
        affiliation.save(update_fields=["is_staff", "is_guardian"])


def school_create(*, actor, cleaned: dict) -> School:
    """The school's row, its schema (a spare renamed or a new one migrated, by School.save) and its
    domain, audited. `cleaned` is SchoolOnboardForm's cleaned data. Run inside the caller's transaction
    (schoolbook.onboarding adds the admin and the catalogue in the same one), so no savepoint of its own."""
    school = School(
        schema_name=schema_name_for(cleaned["code"]),
        **{
            key: cleaned[key]
            for key in ("code", "name", "levels", "province", "district", "address", "phone", "email")
        },
    )
    school.save()
    Domain.objects.create(domain=school.code, tenant=school, is_primary=True)
    audit_record(
        actor=actor,
        action="school.onboard",
        obj=school,
        after={"code": school.code, "name": school.name, "levels": school.levels},
    )
    return school


def school_suspend(*, actor, school: School, reason: str) -> School:
    """Close a school's pages (they show an explanation); nothing of its data is touched."""
    return _school_set_active(actor=actor, school=school, active=False, reason=reason.strip())


def school_reactivate(*, actor, school: School) -> School:
    return _school_set_active(actor=actor, school=school, active=True, reason="")


@transaction.atomic
def _school_set_active(*, actor, school: School, active: bool, reason: str) -> School:
    school = School.objects.select_for_update().get(pk=school.pk)
    before = {"is_active": school.is_active, "reason": school.suspended_reason}
    school.is_active = active
    school.suspended_reason = reason
    school.save(update_fields=["is_active", "suspended_reason"])
    audit_record(
        actor=actor,
        action="school.reactivate" if active else "school.suspend",
        obj=school,
        before=before,
        after={"is_active": active, "reason": reason},
    )
    return school


def affiliation_remove(*, user, school: School, is_staff: bool = False, is_guardian: bool = False) -> None:
    """The opposite of affiliation_add: the flags named go, and the row goes when no flag is left."""
    affiliation = SchoolAffiliation.objects.filter(user=user, school=school).first()
    if affiliation is None:
        return
    affiliation.is_staff = affiliation.is_staff and not is_staff
    affiliation.is_guardian = affiliation.is_guardian and not is_guardian
    if affiliation.is_staff or affiliation.is_guardian:
        affiliation.save(update_fields=["is_staff", "is_guardian"])
    else:
        affiliation.delete()
