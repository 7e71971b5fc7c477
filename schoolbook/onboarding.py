"""Onboarding a school: the platform's school (tenants), then, in its new schema, its admin and the
subject catalogue (students). All-or-nothing: PostgreSQL DDL is transactional, so a failure after the
spare schema was renamed (or the template replayed) rolls it back too. The console, the commands and the
CSV import all come through here.

A CSV first counts its good rows and makes the spare schemas they need, `jobs` at a time (each spare is a
few hundred milliseconds of PostgreSQL's DDL, which several connections share out over the cores), then
onboards the rows, `jobs` at a time too, each renaming a spare, each in its own transaction."""

import csv
import io
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from accounts.roles import Role
from offices.services import school_join_offices
from schoolbook.phones import PhoneError, normalize_phone
from students.services import catalogue_seed, staff_add
from tenants.forms import SchoolOnboardForm
from tenants.models import School
from tenants.schemas import spares_refill
from tenants.services import school_create
from tenants.tasks import refill_spare_schemas


class OnboardingError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items()))
        self.errors = errors


def school_onboard(*, actor, data: dict) -> School:
    """Validate `data` (the onboarding form's fields) and create the school, its schema and its admin."""
    school = _create_school(actor=actor, cleaned=_validated(data))
    transaction.on_commit(refill_spare_schemas.delay)
    return school


def _validated(data: dict) -> dict:
    form = SchoolOnboardForm(data)
    if not form.is_valid():
        raise OnboardingError({name: list(messages) for name, messages in form.errors.items()})
    return form.cleaned_data


@transaction.atomic
def _create_school(*, actor, cleaned: dict) -> School:
    school = school_create(actor=actor, cleaned=cleaned)
    school_join_offices(school=school)
    with schema_context(school.schema_name):
        staff_add(
            actor=actor,
            school=school,
            phone=cleaned["admin_phone"],
            full_name=cleaned["admin_name"],
            roles=[Role.SCHOOL_ADMIN],
        )
        catalogue_seed(levels=school.levels, today=timezone.localdate())
    return school


# --- bulk onboarding from CSV --------------------------------------------------------------------------


def _rows_onboard(rows: list[tuple[int, dict]], *, actor, jobs: int) -> dict[int, School | OnboardingError]:
    """Each row's school, or why not, by line; `jobs` threads, each on its own connection. Rows that name
    the same admin stay in one thread, in file order: the first makes the admin's account, the next find
    it (two threads would both try to create it)."""

    def onboard(group: list[tuple[int, dict]], own_connection: bool) -> dict:
        outcomes = {}
        try:
            for line, data in group:
                try:
                    outcomes[line] = _create_school(actor=actor, cleaned=_validated(data))
                except OnboardingError as error:
                    outcomes[line] = error
        finally:
            if own_connection:
                connection.close()
        return outcomes

    if jobs <= 1 or len(rows) < 2:
        return onboard(rows, own_connection=False)
    groups: list[list[tuple[int, dict]]] = [[] for _ in range(jobs)]
    for line, data in rows:
        groups[zlib.crc32(_admin_key(data["admin_phone"]).encode()) % jobs].append((line, data))
    outcomes = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done in [pool.submit(onboard, group, True) for group in groups if group]:
            outcomes.update(done.result())
    return outcomes


def _admin_key(phone: str) -> str:
    """The admin's phone as the account will be keyed (E.164), or as written if it is not a number."""
    try:
        return normalize_phone(phone).e164
    except PhoneError:
        return phone


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


def schools_onboard_csv(*, actor, text: str, jobs: int = 1) -> BulkReport:
    """Each good row is onboarded (all-or-nothing per row); each bad row is reported with its line,
    field and reason. `levels` is separated by ';' or '|', e.g. "lower_secondary;upper_secondary".
    `jobs`: spare schemas made, then rows onboarded, at the same time, each on its own connection (see the
    module's docstring). Problems are listed in line order."""
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
    rows: list[tuple[int, dict]] = []
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
        rows.append((line, data))
    good = sum(SchoolOnboardForm(data).is_valid() for _, data in rows)
    spares_refill(target=good, jobs=jobs)
    for line, outcome in sorted(_rows_onboard(rows, actor=actor, jobs=jobs).items()):
        if isinstance(outcome, OnboardingError):
            for name, messages in outcome.errors.items():
                report.problems.extend(RowProblem(line, name, message) for message in messages)
        else:
            report.created.append(outcome)
    report.problems.sort(key=lambda problem: problem.line)
    if report.created:
        refill_spare_schemas.delay()  # once for the whole file, not once a school
    return report
