"""Staff import: the school's teachers and other staff from the staff template (.xlsx or UTF-8 .csv).

It shares the student import's machinery (students.imports.flow and .common): reading, headers, the report,
the dry run that is the commit's code path, the all-or-nothing transaction. Rules chosen here:
- People are matched by phone (E.164): a user is found or created (no password: one-time code login),
  with a staff affiliation with the school. Roles are added to what the person already has (never
  removed); a blank "Chức vụ" or "Môn dạy" keeps what the school has; a filled "Môn dạy" replaces the list.
- "Chủ nhiệm lớp" and "Phân công giảng dạy" name classes of the current year. A class whose homeroom
  teacher, or a class and subject whose teacher, is already someone else (in the file or the school) is
  an error naming them: an import never takes a class away from a colleague.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext

from accounts.models import User
from accounts.roles import Role
from schoolbook.caching import forget_now_and_on_commit
from schoolbook.text import fold
from students import marks
from students.imports.common import (
    ClassFinder,
    SchoolReport,
    affiliations_add,
    new_classes_create,
    users_create,
)
from students.imports.flow import Columns, Counts, Importer, data_rows, header_key
from students.models import SchoolClass, StaffMember, Subject, TeachingAssignment

STAFF_COLUMNS: list[tuple[str, str, bool]] = [
    ("full_name", "Họ và tên", True),
    ("phone", "Số điện thoại", True),
    ("roles", "Vai trò", True),
    ("position", "Chức vụ", False),
    ("subjects", "Môn dạy", False),
    ("homeroom", "Chủ nhiệm lớp", False),
    ("assignments", "Phân công giảng dạy", False),
]
COLUMNS = Columns(STAFF_COLUMNS, {"ho ten": "full_name", "sdt": "phone", "dien thoai": "phone"})
HEADERS = COLUMNS.headers
EXAMPLE_ROW = [
    "Trần Thị Hoa",
    "0912 000 111",
    "Giáo viên",
    "Tổ trưởng tổ Toán",
    "Toán",
    "6A1",
    "Toán: 6A1, 6A2",
]

_ROLES = {
    "quan tri truong": Role.SCHOOL_ADMIN,
    "hieu truong": Role.PRINCIPAL,
    "pho hieu truong": Role.VICE_PRINCIPAL,
    "giao vien": Role.TEACHER,
    "ke toan": Role.ACCOUNTANT,
}


@dataclass
class StaffSummary(Counts):
    rows: int = 0
    classes_created: int = 0
    staff_created: int = 0
    staff_updated: int = 0
    staff_unchanged: int = 0
    users_created: int = 0
    homerooms_set: int = 0
    assignments_created: int = 0


@dataclass
class StaffReport(SchoolReport):
    summary: StaffSummary = field(default_factory=StaffSummary)


@dataclass
class StaffRow:
    line: int
    full_name: str
    phone: str
    roles: list[str]
    position: str
    subject_names: list[str]
    homeroom: str
    assignment_pairs: list[tuple[str, str]]  # (subject as written, class as written)
    subjects: list[Subject] = field(default_factory=list)
    homeroom_class: SchoolClass | None = None
    assignments: list[tuple[SchoolClass, Subject]] = field(default_factory=list)


def _split(text: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(f"[{separators}]", text) if part.strip()]


def _check_rows(table, columns, report: StaffReport) -> list[StaffRow]:
    rows: list[StaffRow] = []
    seen_phones: dict[str, int] = {}
    for row in data_rows(table, columns, HEADERS, report):
        full_name = row.value("full_name")
        if not full_name:
            row.bad("full_name", gettext("Thiếu họ và tên."))
        elif len(full_name) > 150:
            row.bad("full_name", gettext("Họ và tên dài quá 150 ký tự."))
        phone = row.phone("phone", gettext("Thiếu số điện thoại."))
        if phone is not None:
            if phone in seen_phones:
                row.bad(
                    "phone", gettext("Trùng số điện thoại với dòng %(line)d.") % {"line": seen_phones[phone]}
                )
            else:
                seen_phones[phone] = row.line
        roles = []
        for part in _split(row.value("roles"), ";,"):
            role = _ROLES.get(header_key(part))
            if role is None:
                row.bad(
                    "roles", gettext("Vai trò “%(role)s” không có trong danh sách.") % {"role": part}, part
                )
            else:
                roles.append(role.value)
        if not row.value("roles"):
            row.bad("roles", gettext("Thiếu vai trò."))
        position = row.value("position")
        if len(position) > 100:
            row.bad("position", gettext("Chức vụ dài quá 100 ký tự."))
        pairs = []
        for part in _split(row.value("assignments"), ";"):
            subject, colon, classes = part.partition(":")
            if not colon or not subject.strip() or not _split(classes, ","):
                row.bad(
                    "assignments",
                    gettext("Phân công phải có dạng “Môn: lớp, lớp; Môn: lớp”."),
                    part,
                )
                continue
            pairs.extend((subject.strip(), name) for name in _split(classes, ","))
        if row.ok:
            rows.append(
                StaffRow(
                    row.line,
                    full_name,
                    phone,
                    sorted(set(roles)),
                    position,
                    _split(row.value("subjects"), ";"),
                    row.value("homeroom"),
                    pairs,
                )
            )
    return rows


def _check_against_school(rows: list[StaffRow], report: StaffReport) -> None:
    classes = ClassFinder(report)
    subjects: dict[str, list[Subject]] = {}
    for subject in Subject.objects.filter(is_active=True):
        for key in {fold(subject.name), fold(subject.code)}:
            subjects.setdefault(key, []).append(subject)
    taken = {
        (a.school_class_id, a.subject_id): a.teacher
        for a in TeachingAssignment.objects.filter(school_class__year__is_current=True).select_related(
            "teacher__user"
        )
    }
    # Keyed by class name: a class the import creates has no id yet.
    homerooms: dict[str, StaffRow] = {}
    assigned: dict[tuple[str, int], StaffRow] = {}

    def bad(row: StaffRow, key: str, value, reason: str) -> None:
        report.problem(row.line, HEADERS[key], value, reason)

    def unknown_class(row: StaffRow, key: str, name: str) -> SchoolClass | None:
        return classes.find(name, row.line, HEADERS[key])

    for row in rows:
        for name in row.subject_names:
            found = subjects.get(fold(name))
            if not found:
                bad(
                    row,
                    "subjects",
                    name,
                    gettext("Môn “%(name)s” không có trong danh mục môn học.") % {"name": name},
                )
            else:
                row.subjects.extend(s for s in found if s not in row.subjects)
        if row.homeroom:
            school_class = unknown_class(row, "homeroom", row.homeroom)
            if school_class is not None:
                holder = school_class.homeroom_teacher
                other = homerooms.setdefault(school_class.name, row)
                if other is not row:
                    bad(
                        row,
                        "homeroom",
                        row.homeroom,
                        gettext("Lớp này đã có giáo viên chủ nhiệm %(name)s (dòng %(line)d).")
                        % {"name": other.full_name, "line": other.line},
                    )
                elif holder is not None and holder.user.phone != row.phone:
                    bad(
                        row,
                        "homeroom",
                        row.homeroom,
                        gettext("Lớp này đã có giáo viên chủ nhiệm %(name)s.") % {"name": holder.full_name},
                    )
                else:
                    row.homeroom_class = school_class
        for subject_name, class_name in row.assignment_pairs:
            value = f"{subject_name}: {class_name}"
            school_class = unknown_class(row, "assignments", class_name)
            if school_class is None:
                continue
            subject = next(
                (s for s in subjects.get(fold(subject_name), []) if s.level == school_class.grade.level), None
            )
            if subject is None:
                bad(
                    row,
                    "assignments",
                    value,
                    gettext("Môn “%(name)s” không có trong danh mục môn học của lớp %(class)s.")
                    % {"name": subject_name, "class": school_class.name},
                )
                continue
            other = assigned.setdefault((school_class.name, subject.pk), row)
            holder = taken.get((school_class.pk, subject.pk)) if school_class.pk else None
            if other is not row:
                bad(
                    row,
                    "assignments",
                    value,
                    gettext("Lớp %(class)s môn %(subject)s đã phân công cho %(name)s (dòng %(line)d).")
                    % {
                        "class": school_class.name,
                        "subject": subject.name,
                        "name": other.full_name,
                        "line": other.line,
                    },
                )
            elif holder is not None and holder.user.phone != row.phone:
                bad(
                    row,
                    "assignments",
                    value,
                    gettext("Lớp %(class)s môn %(subject)s đã phân công cho %(name)s.")
                    % {"class": school_class.name, "subject": subject.name, "name": holder.full_name},
                )
            elif (school_class, subject) not in row.assignments:
                row.assignments.append((school_class, subject))


def _apply(rows: list[StaffRow], report: StaffReport, *, school, actor, write: bool) -> None:
    """Count (and with write=True make) the changes: the dry run and the commit share this code path."""
    from students.selectors import current_year, staff_cache_key

    summary = report.summary
    summary.classes_created = new_classes_create(report, actor=actor, write=write)
    phones = [row.phone for row in rows]
    users = {u.phone: u for u in User.objects.filter(phone__in=phones)}
    missing = {row.phone: row.full_name for row in rows if row.phone not in users}
    summary.users_created = len(missing)
    if write:
        users.update(users_create(missing, actor=actor))
        affiliations_add([users[phone] for phone in phones], school, flag="is_staff")
    staff_by_phone = {
        s.user.phone: s for s in StaffMember.objects.filter(user__phone__in=phones).select_related("user")
    }
    current_subjects: dict[int, set[int]] = {}
    for through in StaffMember.subjects.through.objects.filter(staffmember__in=staff_by_phone.values()):
        current_subjects.setdefault(through.staffmember_id, set()).add(through.subject_id)
    existing = {
        (a.school_class_id, a.subject_id): a.teacher_id
        for a in TeachingAssignment.objects.filter(school_class__year__is_current=True)
    }
    for row in rows:
        staff = staff_by_phone.get(row.phone)
        subject_ids = {s.pk for s in row.subjects}
        if staff is None:
            summary.staff_created += 1
            if write:
                staff = StaffMember.objects.create(
                    user=users[row.phone], full_name=row.full_name, roles=row.roles, position=row.position
                )
                staff.subjects.set(row.subjects)
        else:
            changed = []
            roles = sorted(set(staff.roles) | set(row.roles))
            for name, new in (("roles", roles), ("full_name", row.full_name), ("position", row.position),
                              ("is_active", True)):  # fmt: skip
                if (new or name != "position") and getattr(staff, name) != new:
                    setattr(staff, name, new)
                    changed.append(name)
            subjects_changed = bool(subject_ids) and subject_ids != current_subjects.get(staff.pk, set())
            if changed or subjects_changed:
                summary.staff_updated += 1
                if write:
                    if changed:
                        staff.save(update_fields=changed)
                    if subjects_changed:
                        staff.subjects.set(row.subjects)
            else:
                summary.staff_unchanged += 1
        if write:
            forget_now_and_on_commit(staff_cache_key(connection.schema_name, staff.user_id))
        staff_pk = staff.pk if staff is not None else None
        if row.homeroom_class is not None and (
            staff_pk is None or row.homeroom_class.homeroom_teacher_id != staff_pk
        ):
            summary.homerooms_set += 1
            if write:
                row.homeroom_class.homeroom_teacher = staff
                row.homeroom_class.save(update_fields=["homeroom_teacher"])
        for school_class, subject in row.assignments:
            if (school_class.pk, subject.pk) in existing:
                continue
            summary.assignments_created += 1
            if write:
                TeachingAssignment.objects.create(teacher=staff, school_class=school_class, subject=subject)
    if write and summary.assignments_created:  # as assignments_add: the teachers' grids open at once
        marks.assignments_added(actor=actor, year=current_year())


STAFF = Importer(
    columns=COLUMNS,
    sheet="Cán bộ",
    action="staff.import",
    report_class=StaffReport,
    check_rows=_check_rows,
    check_against_school=_check_against_school,
    apply=_apply,
)


def staff_check(data: bytes, filename: str) -> StaffReport:
    return STAFF.check(data, filename)


def staff_import(*, actor, school, data: bytes, filename: str) -> StaffReport:
    return STAFF.commit(actor=actor, school=school, data=data, filename=filename)


def staff_template_workbook() -> bytes:
    return STAFF.template_workbook(EXAMPLE_ROW, lambda key: key == "phone")
