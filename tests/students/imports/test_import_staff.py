"""Staff import: shares the student import's reading, headers and report; staff, roles, subjects, homeroom
and teaching assignments from one file, all or nothing, idempotent; the command and the page."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from accounts.models import User
from grades.models import AssessmentPlan
from schoolbook.audit.models import AuditEvent
from students.imports.staff import STAFF_COLUMNS, staff_check, staff_import
from students.models import SchoolClass, StaffMember, TeachingAssignment
from tenants.models import SchoolAffiliation
from tests.students.imports.test_import import xlsx as student_xlsx

HEADER = [header for _key, header, _required in STAFF_COLUMNS]
GOOD = [
    [
        "Trần Thị Hoa",
        "0912 000 111",
        "Giáo viên",
        "Tổ trưởng",
        "Toán; tin hoc",
        "6A1",
        "Toán: 6A1, 6A2; Tin học: 6A1",
    ],
    ["Phạm Văn Nam", "0168 345 6789", "giao vien, Pho hieu truong", "", "ngu-van", "", "Ngữ văn: 6A2"],
    # the school's principal, already staff: a role is added, nothing else changes
    ["Hoàng Hiệu Trưởng", "0900000012", "Hiệu trưởng; Giáo viên", "", "", "", ""],
]


def xlsx(rows, header=HEADER) -> bytes:
    return student_xlsx(rows, header)


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (StaffMember, TeachingAssignment, User, SchoolAffiliation, AuditEvent)
    } | {"homerooms": SchoolClass.objects.exclude(homeroom_teacher=None).count()}


def _import(world, data):
    return staff_import(actor=world.admin_a, school=world.school_a, data=data, filename="cb.xlsx")


def test_good_file_creates_staff_roles_subjects_homeroom_assignments_users(school):
    before = _counts()
    preview = staff_check(xlsx(GOOD), "cb.xlsx")
    assert preview.ok, preview.problems
    assert _counts() == before
    AssessmentPlan.objects.all().delete()  # a new school: no manager opened the assessment-plan page
    s = preview.summary
    assert (s.staff_created, s.staff_updated, s.users_created, s.homerooms_set, s.assignments_created) == (
        2, 1, 2, 1, 4,
    )  # fmt: skip
    report = _import(school, xlsx(GOOD))
    assert report.committed and vars(report.summary) == vars(preview.summary)
    hoa = StaffMember.objects.get(user__phone="+84912000111")
    assert hoa.roles == ["teacher"] and hoa.position == "Tổ trưởng"
    assert sorted(s.code for s in hoa.subjects.all()) == ["tin-hoc", "toan"]
    assert SchoolClass.objects.get(name="6A1").homeroom_teacher == hoa
    assert sorted(
        (a.school_class.name, a.subject.name) for a in TeachingAssignment.objects.filter(teacher=hoa)
    ) == [("6A1", "Tin học"), ("6A1", "Toán"), ("6A2", "Toán")]
    # the year's plans are made with the assignments, so each teacher's grid opens at once
    assert (
        AssessmentPlan.objects.filter(
            grade__number=6, subject__code__in=["toan", "tin-hoc", "ngu-van"]
        ).count()
        == 3
    )
    nam = StaffMember.objects.get(user__phone="+84383456789")
    assert nam.roles == ["teacher", "vice_principal"] and not nam.user.has_usable_password()
    assert SchoolAffiliation.objects.get(user=nam.user, school=school.school_a).is_staff
    principal = StaffMember.objects.get(user=school.principal_a)
    assert set(principal.roles) >= {"principal", "teacher"}
    assert any("0383456789" in n.message for n in report.notices)
    event = AuditEvent.objects.get(action="staff.import")
    assert event.after["staff_created"] == 2 and event.action_label == "nhập danh sách cán bộ"


def test_reimporting_the_same_file_changes_nothing(school):
    _import(school, xlsx(GOOD))
    before = _counts()
    report = _import(school, xlsx(GOOD))
    assert report.committed and not report.summary.has_changes
    assert report.summary.staff_unchanged == 3
    assert _counts() == {**before, "AuditEvent": before["AuditEvent"] + 1}


@pytest.mark.parametrize(
    ("row", "column", "value", "reason"),
    [
        (["Lê An", "0912000222", "Bảo vệ", "", "", "", ""], "Vai trò", "Bảo vệ", "Vai trò “Bảo vệ”"),
        (["Lê An", "0912000222", "Giáo viên", "", "Hoá", "", ""], "Môn dạy", "Hoá", "Môn “Hoá”"),
        (["Lê An", "0912000222", "Giáo viên", "", "", "3Z9", ""], "Chủ nhiệm lớp", "3Z9", "Lớp “3Z9”"),
        (["Lê An", "0912000222", "Giáo viên", "", "", "", "Toán: 3Z9"], "Phân công giảng dạy", "3Z9",
         "Lớp “3Z9”"),
        (["Lê An", "0912 000 111", "Giáo viên", "", "", "", ""], "Số điện thoại", "0912 000 111", "Trùng số"),
        (["Lê An", "12345", "Giáo viên", "", "", "", ""], "Số điện thoại", "12345", ""),
        (["Lê An", "0912000222", "Giáo viên", "", "", "", "Toán: 6A1"], "Phân công giảng dạy", "Toán: 6A1",
         "đã phân công cho Trần Thị Hoa (dòng 2)"),
        (["Lê An", "0912000222", "Giáo viên", "", "", "6A1", ""], "Chủ nhiệm lớp", "6A1", "Trần Thị Hoa"),
    ],
)  # fmt: skip
def test_bad_input_is_reported_with_line_and_column_and_nothing_is_written(
    school, row, column, value, reason
):
    before = _counts()
    first = ["Trần Thị Hoa", "0912 000 111", "Giáo viên", "", "Toán", "6A1", "Toán: 6A1"]
    report = _import(school, xlsx([first, row]))
    assert not report.committed and _counts() == before
    assert [(p.line, p.column, p.value) for p in report.problems] == [(3, column, value)], report.problems
    assert reason in report.problems[0].reason


def test_an_assignment_held_by_someone_in_the_school_is_refused(school):
    _import(school, xlsx(GOOD[:1]))
    before = _counts()
    report = _import(school, xlsx([["Lê An", "0912000222", "Giáo viên", "", "", "", "Toán: 6A2"]]))
    assert [(p.line, p.column, p.reason) for p in report.problems] == [
        (2, "Phân công giảng dạy", "Lớp 6A2 môn Toán đã phân công cho Trần Thị Hoa.")
    ]
    assert _counts() == before


def test_a_missing_header_is_reported(school):
    report = _import(school, xlsx([GOOD[0][:2] + GOOD[0][3:]], header=HEADER[:2] + HEADER[3:]))
    assert [(p.line, p.column, p.reason) for p in report.problems] == [
        (1, "Vai trò", "Thiếu cột bắt buộc “Vai trò”.")
    ]
    assert not StaffMember.objects.filter(user__phone="+84912000111").exists()


def test_command_dry_run_commit_and_failure(school, tmp_path, capsys):
    path = tmp_path / "cb.xlsx"
    path.write_bytes(xlsx(GOOD))
    call_command("import_roster", "--school", "test-a", "--staff", str(path))
    out = capsys.readouterr().out
    assert "staff 2 to create" in out and "assignments 4 to create" in out and "dry run" in out
    assert not StaffMember.objects.filter(user__phone="+84912000111").exists()
    call_command("import_roster", "--school", "test-a", "--staff", str(path), "--commit")
    assert "committed" in capsys.readouterr().out
    assert TeachingAssignment.objects.count() == 4
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["Lê An", "0912000222", "Bảo vệ", "", "", "", ""]]))
    with pytest.raises(CommandError):
        call_command("import_roster", "--school", "test-a", "--staff", str(bad), "--commit")
    assert "line 2\tVai trò\t" in capsys.readouterr().out


URL = "/s/test-a/students/import/"


def _file(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_principal_imports_staff_on_the_page(client, school):
    client.force_login(school.principal_a)
    page = client.get(URL).content.decode()
    assert "Cán bộ, giáo viên" in page and "kind=staff" in page
    template = client.get(f"{URL}template.xlsx?kind=staff")
    assert template.status_code == 200 and "can-bo" in template["Content-Disposition"]
    assert [c.value for c in load_workbook(io.BytesIO(template.content)).active[1]] == HEADER
    preview = client.post(URL, {"kind": "staff", "file": _file(xlsx(GOOD), "cb.xlsx")})
    body = preview.content.decode()
    assert preview.status_code == 200 and 'data-count="assignments_created">4<' in body
    assert not StaffMember.objects.filter(user__phone="+84912000111").exists()
    done = client.post(URL, {"token": preview.context["token"], "sha256": preview.context["pending"].sha256})
    assert done.status_code == 302
    assert StaffMember.objects.filter(user__phone="+84912000111").exists()
    assert "2 cán bộ mới" in client.get(URL).content.decode()


def test_a_teacher_gets_404(client, school):
    client.force_login(school.teacher_a)
    assert client.get(f"{URL}template.xlsx?kind=staff").status_code == 404
    assert client.post(URL, {"kind": "staff", "file": _file(xlsx(GOOD), "cb.xlsx")}).status_code == 404
    assert not StaffMember.objects.filter(user__phone="+84912000111").exists()
