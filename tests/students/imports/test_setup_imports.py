"""The roster and staff imports offer to create the classes their file names: listed in the
preview, created on confirm in the same all-or-nothing transaction; a name whose leading number is not one
of the school's grades is refused with the reason. The command behaves the same."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from schoolbook.audit.models import AuditEvent
from students.imports.roster import roster_check, roster_import
from students.imports.staff import staff_check, staff_import
from students.models import Enrolment, SchoolClass, SchoolYear, StaffMember, Student, TeachingAssignment
from tests.students.imports.test_import import _file, student, xlsx
from tests.students.imports.test_import_staff import xlsx as staff_xlsx

URL = "/s/test-a/students/import/"


def _classes():
    return sorted(SchoolClass.objects.filter(year__is_current=True).values_list("name", "grade__number"))


def test_roster_preview_lists_the_new_classes_and_the_commit_creates_them(school):
    rows = [student("HS001", school_class="6A1"), student("HS002", school_class="7a1"),
            student("HS003", school_class="7A1"), student("HS004", school_class="6A3")]  # fmt: skip
    before = _classes()
    preview = roster_check(xlsx(rows), "ds.xlsx")
    assert preview.ok, preview.problems
    assert [c.name for c in preview.new_classes.values()] == ["7A1", "6A3"]
    assert preview.summary.classes_created == 2 and preview.summary.enrolments_created == 4
    assert _classes() == before  # the preview wrote nothing
    report = roster_import(actor=school.admin_a, school=school.school_a, data=xlsx(rows), filename="ds.xlsx")
    assert report.committed and vars(report.summary) == vars(preview.summary)
    assert _classes() == [("6A1", 6), ("6A2", 6), ("6A3", 6), ("7A1", 7)]
    assert sorted(Enrolment.objects.values_list("student__student_code", "school_class__name")) == [
        ("HS001", "6A1"), ("HS002", "7A1"), ("HS003", "7A1"), ("HS004", "6A3"),
    ]  # fmt: skip
    assert AuditEvent.objects.get(action="class.bulk_create").after["created"] == ["7A1", "6A3"]


def test_roster_refuses_a_class_outside_the_schools_grades_and_creates_nothing(school):
    rows = [student("HS001", school_class="7A1"), student("HS002", school_class="10A1")]
    before = (_classes(), Student.objects.count())
    report = roster_import(actor=school.admin_a, school=school.school_a, data=xlsx(rows), filename="ds.xlsx")
    assert not report.committed
    assert [(p.line, p.column, p.value) for p in report.problems] == [(3, "Lớp", "10A1")]
    assert "tên lớp phải bắt đầu bằng một khối của trường (6, 7, 8, 9)" in report.problems[0].reason
    assert (_classes(), Student.objects.count()) == before  # 7A1 was not created either


def test_an_archived_class_is_refused(school):
    SchoolClass.objects.filter(name="6A2").update(archived_at=timezone.now())
    report = roster_check(xlsx([student(school_class="6a2")]), "ds.xlsx")
    assert [p.reason for p in report.problems] == ["Lớp “6A2” đã lưu trữ."]


def test_a_school_without_a_current_year_is_told_so(school):
    SchoolYear.objects.update(is_current=False)
    report = roster_check(xlsx([student(school_class="6A1")]), "ds.xlsx")
    assert [p.reason for p in report.problems] == ["Trường chưa có năm học hiện tại."]


def test_the_import_page_lists_the_new_classes_before_confirming(client, school):
    client.force_login(school.admin_a)
    rows = [student("HS001", school_class="6A3"), student("HS002", school_class="7A1")]
    preview = client.post(URL, {"file": _file(xlsx(rows), "ds.xlsx")})
    page = preview.content.decode()
    assert "Sẽ tạo các lớp mới" in page and 'data-new-class="6A3"' in page and 'data-new-class="7A1"' in page
    assert 'data-count="classes_created">2<' in page
    with schema_context(school.school_a.schema_name):
        assert not SchoolClass.objects.filter(name="6A3").exists()
    client.post(URL, {"token": preview.context["token"], "sha256": preview.context["pending"].sha256})
    with schema_context(school.school_a.schema_name):
        assert SchoolClass.objects.filter(name__in=["6A3", "7A1"], year__is_current=True).count() == 2


def test_staff_import_creates_the_classes_it_names_for_homerooms_and_assignments(school):
    rows = [["Trần Thị Hoa", "0912 000 111", "Giáo viên", "", "Toán", "8A1", "Toán: 8A1, 8a2, 6A1"]]
    preview = staff_check(staff_xlsx(rows), "cb.xlsx")
    assert preview.ok, preview.problems
    assert [c.name for c in preview.new_classes.values()] == ["8A1", "8A2"]
    summary = preview.summary
    assert (summary.classes_created, summary.assignments_created, summary.homerooms_set) == (2, 3, 1)
    report = staff_import(
        actor=school.admin_a, school=school.school_a, data=staff_xlsx(rows), filename="cb.xlsx"
    )
    assert report.committed and vars(report.summary) == vars(preview.summary)
    hoa = StaffMember.objects.get(user__phone="+84912000111")
    assert SchoolClass.objects.get(name="8A1").homeroom_teacher == hoa
    taught = TeachingAssignment.objects.filter(teacher=hoa).values_list("school_class__name", flat=True)
    assert sorted(taught) == ["6A1", "8A1", "8A2"]


def test_staff_import_two_rows_naming_the_same_new_class_as_homeroom_is_refused(school):
    rows = [
        ["Trần Thị Hoa", "0912 000 111", "Giáo viên", "", "", "8A1", ""],
        ["Lê An", "0912 000 222", "Giáo viên", "", "", "8a1", ""],
    ]
    before = _classes()
    report = staff_import(
        actor=school.admin_a, school=school.school_a, data=staff_xlsx(rows), filename="cb.xlsx"
    )
    assert not report.committed
    assert [(p.line, p.value) for p in report.problems] == [(3, "8a1")]
    assert "Trần Thị Hoa (dòng 2)" in report.problems[0].reason
    assert _classes() == before


def test_command_lists_then_creates_the_new_classes(school, tmp_path, capsys):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(xlsx([student("HS001", school_class="9A5")]))
    call_command("import_roster", "--school", "test-a", str(path))
    assert "classes 1 to create: 9A5" in capsys.readouterr().out
    assert not SchoolClass.objects.filter(name="9A5").exists()
    call_command("import_roster", "--school", "test-a", str(path), "--commit")
    assert SchoolClass.objects.get(name="9A5").grade.number == 9
    path.write_bytes(xlsx([student("HS002", school_class="1A1")]))
    with pytest.raises(CommandError):
        call_command("import_roster", "--school", "test-a", str(path), "--commit")
    assert not SchoolClass.objects.filter(name="1A1").exists()
