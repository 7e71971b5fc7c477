"""Changes over time: a class change mid-year and the year rollover (a transfer to
another school: tests/students/transfers/test_transfers.py)."""

from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context

from schoolbook.audit.models import AuditEvent
from students.models import (
    Enrolment,
    GradeLevel,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentStatus,
)
from students.roster.services import (
    RosterError,
    enrolment_move,
    promoted_class_name,
    year_rollover,
)
from tests.factories import student_enrol


def current_year() -> SchoolYear:
    return SchoolYear.objects.get(is_current=True)


def make_class(name: str, grade: int, year: SchoolYear | None = None, homeroom=None) -> SchoolClass:
    return SchoolClass.objects.create(
        name=name, grade=GradeLevel.objects.get(number=grade), year=year or current_year(),
        homeroom_teacher=homeroom,
    )  # fmt: skip


def make_student(code: str, school_class: SchoolClass, name: str = "Nguyễn Văn An", **extra) -> Student:
    return student_enrol(
        code, school_class, name, born=date(2014, 3, 2), starts_on=school_class.year.starts_on, **extra
    )


# --- moving class -------------------------------------------------------------------------------------


def test_move_ends_the_enrolment_the_day_before_and_starts_a_new_one(world):
    with schema_context(world.school_a.schema_name):
        a1, a2 = make_class("6A1", 6), make_class("6A2", 6)
        student = make_student("HS001", a1)
        on = a1.year.starts_on + timedelta(days=40)
        enrolment_move(actor=world.admin_a, student=student, to_class=a2, on_date=on)
        old, new = (Enrolment.objects.get(student=student, school_class=c) for c in (a1, a2))
        assert old.ends_on == on - timedelta(days=1)
        assert (new.starts_on, new.ends_on) == (on, None)
        event = AuditEvent.objects.get(action="enrolment.move")
        assert (event.before, event.after["class"]) == ({"class": "6A1"}, "6A2")


@pytest.mark.parametrize("case", ["same class", "other year", "not after start", "been there", "no class"])
def test_move_refusals(world, case):
    with schema_context(world.school_a.schema_name):
        year = current_year()
        a1, a2 = make_class("6A1", 6), make_class("6A2", 6)
        student = make_student("HS001", a1)
        on = year.starts_on + timedelta(days=40)
        target = a2
        if case == "same class":
            target = a1
        elif case == "other year":
            old_year = SchoolYear.objects.create(
                name="2000-2001", starts_on=date(2000, 9, 5), ends_on=date(2001, 5, 31)
            )
            target = make_class("6A3", 6, year=old_year)
        elif case == "not after start":
            on = year.starts_on
        elif case == "been there":
            enrolment_move(actor=world.admin_a, student=student, to_class=a2, on_date=on)
            target, on = a1, on + timedelta(days=10)
        elif case == "no class":
            student = Student.objects.create(
                student_code="HS002", full_name="Lê Thị Bình", date_of_birth=date(2014, 1, 1), gender="female"
            )
        before = list(Enrolment.objects.values_list("pk", "ends_on"))
        with pytest.raises(RosterError) as error:
            enrolment_move(actor=world.admin_a, student=student, to_class=target, on_date=on)
        assert str(error.value)  # a Vietnamese sentence, e.g. "Học sinh đang học lớp 6A1."
        assert list(Enrolment.objects.values_list("pk", "ends_on")) == before


# --- year rollover ------------------------------------------------------------------------------------


def test_promoted_class_names():
    assert promoted_class_name("6A1", 6) == "7A1"
    assert promoted_class_name("9A10", 9) == "10A10"
    assert promoted_class_name("10 Chuyên Toán", 10) == "11 Chuyên Toán"
    with pytest.raises(RosterError):
        promoted_class_name("Lớp 6A1", 6)
    with pytest.raises(RosterError):
        promoted_class_name("7A1", 6)


def test_rollover_promotes_classes_and_graduates_the_last_grade(world):
    with schema_context(world.school_a.schema_name):
        year = current_year()
        teacher = StaffMember.objects.get(full_name="Vũ Giáo Viên")
        c6, c8, c9 = make_class("6A1", 6, homeroom=teacher), make_class("8A2", 8), make_class("9A1", 9)
        sixth = [make_student(f"S6-{i}", c6, name=f"Nguyễn Văn Sáu {i}") for i in range(3)]
        eighth = make_student("S8", c8)
        ninth = [make_student(f"S9-{i}", c9, name=f"Lê Thị Chín {i}") for i in range(2)]
        gone = make_student("S6-x", c6, name="Đỗ Đã Chuyển")
        Student.objects.filter(pk=gone.pk).update(status=StudentStatus.TRANSFERRED)
        name = f"{year.starts_on.year + 1}-{year.starts_on.year + 2}"
        starts, ends = date(year.starts_on.year + 1, 9, 5), date(year.starts_on.year + 2, 5, 31)

        report = year_rollover(
            actor=world.admin_a, from_year=year, new_year_name=name, starts_on=starts, ends_on=ends
        )

        assert (report.classes_created, report.promoted, report.graduated) == (2, 4, 2)
        assert report.classes_not_promoted == ["9A1"]
        assert name in str(report)
        new_year = SchoolYear.objects.get(is_current=True)
        assert new_year.name == name and new_year == report.year
        assert not SchoolYear.objects.get(pk=year.pk).is_current
        terms = list(new_year.terms.order_by("number"))
        assert [(t.number, t.starts_on, t.ends_on) for t in terms] == [
            (1, starts, date(starts.year + 1, 1, 14)),
            (2, date(starts.year + 1, 1, 15), ends),
        ]
        c7 = SchoolClass.objects.get(year=new_year, name="7A1")
        assert (c7.grade.number, c7.homeroom_teacher) == (7, teacher)
        assert SchoolClass.objects.get(year=new_year, name="9A2").grade.number == 9
        assert sorted(c7.enrolments.values_list("student__student_code", flat=True)) == [
            "S6-0",
            "S6-1",
            "S6-2",
        ]
        for student in [*sixth, eighth]:
            old, new = student.enrolments.order_by("starts_on")
            assert old.ends_on == year.ends_on and (new.starts_on, new.ends_on) == (starts, None)
            assert Student.objects.get(pk=student.pk).status == StudentStatus.STUDYING
        for student in ninth:
            student.refresh_from_db()
            assert student.status == StudentStatus.GRADUATED
            assert student.enrolments.get().ends_on == year.ends_on
        assert gone.enrolments.count() == 1  # not studying: not promoted
        event = AuditEvent.objects.get(action="year.rollover")
        assert event.after == {"year": name, "classes_created": 2, "promoted": 4, "graduated": 2}


@pytest.mark.parametrize("case", ["year exists", "not current", "starts too early", "bad name", "bad class"])
def test_rollover_refusals_change_nothing(world, case):
    with schema_context(world.school_a.schema_name):
        year = current_year()
        make_student("S6", make_class("6A1", 6))
        name = f"{year.starts_on.year + 1}-{year.starts_on.year + 2}"
        starts, ends = date(year.starts_on.year + 1, 9, 5), date(year.starts_on.year + 2, 5, 31)
        from_year = year
        if case == "year exists":
            SchoolYear.objects.create(name=name, starts_on=starts, ends_on=ends)
        elif case == "not current":
            from_year = SchoolYear.objects.create(
                name="2000-2001", starts_on=date(2000, 9, 5), ends_on=date(2001, 5, 31)
            )
        elif case == "starts too early":
            starts = year.ends_on
        elif case == "bad name":
            name = "2026/2027"
        elif case == "bad class":
            make_class("Lớp chọn", 7)
        years, classes = SchoolYear.objects.count(), SchoolClass.objects.count()
        with pytest.raises(RosterError) as error:
            year_rollover(
                actor=world.admin_a, from_year=from_year, new_year_name=name, starts_on=starts, ends_on=ends
            )
        assert str(error.value)
        assert (SchoolYear.objects.count(), SchoolClass.objects.count()) == (years, classes)
        assert SchoolYear.objects.get(is_current=True) == year
