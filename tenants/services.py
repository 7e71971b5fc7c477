"""Onboarding and the life of a school. Each school is created all-or-nothing: PostgreSQL DDL is
transactional, so a failure after the spare schema was renamed (or a new one migrated) rolls it back too."""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from schoolbook.audit.services import audit_record
from tenants.forms import SchoolOnboardForm
from tenants.models import Domain, School, SchoolAffiliation, schema_name_for


class OnboardingError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items()))
        self.errors = errors


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


def school_onboard(*, actor, data: dict, request=None) -> School:
    """Validate `data` (the onboarding form's fields) and create the school, its schema and its admin."""
    form = SchoolOnboardForm(data)
    if not form.is_valid():
        raise OnboardingError({name: list(messages) for name, messages in form.errors.items()})
    return _create_school(actor=actor, cleaned=form.cleaned_data, request=request)


@transaction.atomic
def _create_school(*, actor, cleaned: dict, request) -> School:
    from accounts.roles import Role
    from students.services import catalogue_seed, staff_add

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
        request=request,
    )
    with schema_context(school.schema_name):
        staff_add(
            actor=actor,
            school=school,
            phone=cleaned["admin_phone"],
            full_name=cleaned["admin_name"],
            roles=[Role.SCHOOL_ADMIN],
        )
        catalogue_seed(levels=school.levels, today=timezone.localdate())
    from tenants.tasks import refill_spare_schemas

    transaction.on_commit(refill_spare_schemas.delay)
    return school


def school_suspend(*, actor, school: School, reason: str, request=None) -> School:
    """Close a school's pages (they show an explanation); nothing of its data is touched."""
    return _school_set_active(
        actor=actor, school=school, active=False, reason=reason.strip(), request=request
    )


def school_reactivate(*, actor, school: School, request=None) -> School:
    return _school_set_active(actor=actor, school=school, active=True, reason="", request=request)


@transaction.atomic
def _school_set_active(*, actor, school: School, active: bool, reason: str, request) -> School:
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
        request=request,
    )
    return school


# --- bulk onboarding from CSV --------------------------------------------------------------------------

CSV_COLUMNS = [
    "code",
    "name",
    "levels",
    "province",
    "district",
    "address",
    "phone",
    "email",
    "admin_name",
    "admin_phone",
]


@dataclass
class RowProblem:
    line: int
    field: str
    reason: str


@dataclass
class BulkReport:
    created: list[School] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def schools_onboard_csv(*, actor, text: str) -> BulkReport:
    """Each good row is onboarded (all-or-nothing per row); each bad row is reported with its line,
    field and reason. `levels` is separated by ';' or '|', e.g. "lower_secondary;upper_secondary"."""
    report = BulkReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [
        column
        for column in ("code", "name", "levels", "admin_name", "admin_phone")
        if column not in (reader.fieldnames or [])
    ]
    if missing:
        report.problems.append(RowProblem(1, ", ".join(missing), gettext("Thiếu cột bắt buộc")))
        return report
    seen_codes: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        data = {column: (row.get(column) or "").strip() for column in CSV_COLUMNS}
        data["levels"] = [
            level.strip() for level in data["levels"].replace("|", ";").split(";") if level.strip()
        ]
        if data["code"] in seen_codes:
            reason = gettext("Trùng mã trường với dòng %(line)d") % {"line": seen_codes[data["code"]]}
            report.problems.append(RowProblem(line, "code", reason))
            continue
        seen_codes[data["code"]] = line
        try:
            report.created.append(school_onboard(actor=actor, data=data))
        except OnboardingError as error:
            for name, messages in error.errors.items():
                report.problems.extend(RowProblem(line, name, message) for message in messages)
    return report


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
