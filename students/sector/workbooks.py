"""The three files for the sector database (students, classes, staff), in its layout (students.sector.
formats): .xlsx, data on "Sheet1" under one header line, identifiers and dates written as text."""

from __future__ import annotations

from schoolbook.phones import normalize_phone
from schoolbook.spreadsheets import workbook_bytes
from students.sector import formats
from students.sector.selectors import sector_classes, sector_staff, sector_students

TEXT = "@"


def _columns(spec) -> list[tuple[str, int, str | None]]:
    return [(header, width, TEXT if text else None) for header, width, text in spec]


def students_workbook() -> bytes:
    def lines():
        for number, enrolment in enumerate(sector_students(), start=1):
            student, school_class = enrolment.student, enrolment.school_class
            yield [
                number, school_class.name, student.sector_id, student.full_name,
                formats.date_text(student.date_of_birth), formats.GENDER.get(student.gender, ""), "", "",
                student.national_id, formats.STUDYING, formats.grade_text(school_class.grade.number),
            ]  # fmt: skip

    return workbook_bytes(formats.SHEET, _columns(formats.STUDENT_COLUMNS), lines())


def classes_workbook() -> bytes:
    def lines():
        for number, school_class in enumerate(sector_classes(), start=1):
            teacher = school_class.homeroom_teacher
            yield [
                number, school_class.name, formats.grade_text(school_class.grade.number),
                school_class.year.name, teacher.full_name if teacher else "", school_class.students,
            ]  # fmt: skip

    return workbook_bytes(formats.SHEET, _columns(formats.CLASS_COLUMNS), lines())


def staff_workbook() -> bytes:
    def lines():
        for number, (member, user) in enumerate(sector_staff(), start=1):
            position, group = formats.role_wording(member.roles)
            subjects = ", ".join(subject.name for subject in member.subjects.all())
            yield [
                number, member.full_name, normalize_phone(user.phone).national, user.email,
                formats.STAFF_SERVING, position, group, subjects,
            ]  # fmt: skip

    return workbook_bytes(formats.SHEET, _columns(formats.STAFF_COLUMNS), lines())
