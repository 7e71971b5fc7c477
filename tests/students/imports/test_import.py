"""Roster import: students with guardians from .xlsx/.csv — preview, all-or-nothing commit, idempotent
re-import, a report for every kind of bad input, the command and the upload pages."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import schema_context
from openpyxl import Workbook, load_workbook

from accounts.models import User
from schoolbook.audit.models import AuditEvent
from students.imports.roster import STUDENT_COLUMNS, roster_check, roster_import
from students.models import (
    Enrolment,
    Guardian,
    Relationship,
    SchoolYear,
    Student,
    StudentGuardian,
)
from tenants.models import SchoolAffiliation
from tests.conftest import WORLD_CHILD_A

HEADER = [header for _key, header, _required in STUDENT_COLUMNS]


def student(
    code="HS001",
    name="Nguyễn Văn An",
    born="05/09/2014",
    gender="Nam",
    school_class="6A1",
    national_id="",
    g1=("Nguyễn Văn Bình", "Bố", "0912 345 678", ""),
    g2=("", "", "", ""),
    sector_id="",
):
    return [code, name, born, gender, school_class, national_id, sector_id, *g1, *g2]


GOOD = [
    student(),
    # a sibling: same father (the phone written differently), and a mother with a pre-2018 number
    student(
        "HS002",
        "Nguyễn Thị Bích",
        "2013-03-12",
        "nữ",
        "6a1",
        "001213000111",
        g1=("Nguyễn Văn Bình", "bố", "+84 912 345 678", "binh@example.com"),
        g2=("Trần Thị Cúc", "Mẹ", "0168 345 6789", ""),
    ),
    # the principal of the school is also a parent: the existing user is linked
    student(
        "HS003",
        "Lê Minh Đức",
        date(2014, 1, 20),
        "Nam",
        "6A2",
        g1=("Hoàng Hiệu Trưởng", "Mẹ", "0900000012", ""),
    ),
]


def xlsx(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, bom=True) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Student, Guardian, Enrolment, StudentGuardian, User, SchoolAffiliation)
    }


def _students_imported():
    """School A's students but the session world's child (tests.conftest.WORLD_CHILD_A)."""
    return Student.objects.exclude(student_code=WORLD_CHILD_A[0])


def _links_imported():
    return StudentGuardian.objects.exclude(student__student_code=WORLD_CHILD_A[0])


def _import(world, data, filename="ds.xlsx"):
    return roster_import(actor=world.admin_a, school=world.school_a, data=data, filename=filename)


def _open_class(code):
    return Enrolment.objects.get(student__student_code=code, ends_on=None).school_class.name


# --- the good file ------------------------------------------------------------------------------------


def test_preview_counts_and_writes_nothing(school):
    before = _counts()
    report = roster_check(xlsx(GOOD), "ds.xlsx")
    assert report.ok, report.problems
    s = report.summary
    assert (s.rows, s.students_created, s.students_updated, s.students_unchanged) == (3, 3, 0, 0)
    assert (s.guardians_created, s.users_created, s.links_created, s.enrolments_created) == (3, 2, 4, 3)
    assert _counts() == before


def test_good_file_creates_students_guardians_enrolments_links_users(school):
    report = _import(school, xlsx(GOOD))
    assert report.committed and report.ok
    an, bich, duc = (Student.objects.get(student_code=code) for code in ("HS001", "HS002", "HS003"))
    assert (bich.full_name, bich.date_of_birth, bich.gender, bich.national_id) == (
        "Nguyễn Thị Bích",
        date(2013, 3, 12),
        "female",
        "001213000111",
    )
    assert bich.full_name_folded == "nguyen thi bich"
    assert duc.date_of_birth == date(2014, 1, 20) and an.date_of_birth == date(2014, 9, 5)
    year = SchoolYear.objects.get(is_current=True)
    assert [
        (_open_class(c), Enrolment.objects.get(student__student_code=c).starts_on)
        for c in ("HS001", "HS002", "HS003")
    ] == [("6A1", year.starts_on), ("6A1", year.starts_on), ("6A2", year.starts_on)]

    father = Guardian.objects.get(phone="+84912345678")
    assert father.email == "binh@example.com"  # the sibling's row brought it
    assert set(father.students.values_list("student_code", flat=True)) == {"HS001", "HS002"}
    mother = Guardian.objects.get(phone="+84383456789")  # 0168… converted to 038…
    links = {(link.student.student_code, link.guardian.phone): link for link in _links_imported()}
    assert len(links) == 4
    assert links[("HS002", father.phone)].is_primary_contact
    assert not links[("HS002", mother.phone)].is_primary_contact
    assert links[("HS002", mother.phone)].relationship == Relationship.MOTHER
    assert all(link.receives_notifications for link in links.values())

    for guardian in Guardian.objects.exclude(phone=school.parent.phone):
        assert guardian.user is not None and guardian.user.phone == guardian.phone
        if guardian.user != school.principal_a:
            assert not guardian.user.has_usable_password()  # they log in with a one-time code
        assert SchoolAffiliation.objects.get(user=guardian.user, school=school.school_a).is_guardian
    principal = Guardian.objects.get(phone="+84900000012")
    assert principal.user == school.principal_a
    affiliation = SchoolAffiliation.objects.get(user=school.principal_a, school=school.school_a)
    assert affiliation.is_staff and affiliation.is_guardian

    event = AuditEvent.objects.get(action="roster.import")
    assert event.actor == school.admin_a and event.after["students_created"] == 3


def test_legacy_numbers_are_converted_and_reported(school):
    report = roster_check(xlsx(GOOD), "ds.xlsx")
    assert [(n.line, n.column, n.message) for n in report.notices] == [
        (3, "SĐT phụ huynh 2", "Số cũ 11 chữ số đã được đổi: 01683456789 → 0383456789")
    ]


def test_reimporting_the_same_file_changes_nothing(school):
    _import(school, xlsx(GOOD))
    before = _counts()
    rows_before = (
        list(Student.objects.values()),
        list(Guardian.objects.values()),
        list(Enrolment.objects.values()),
        list(StudentGuardian.objects.values()),
    )
    report = _import(school, xlsx(GOOD))
    assert report.committed
    s = report.summary
    assert (s.students_unchanged, s.guardians_unchanged) == (3, 3)
    assert not s.has_changes, s
    assert _counts() == before
    assert rows_before == (
        list(Student.objects.values()),
        list(Guardian.objects.values()),
        list(Enrolment.objects.values()),
        list(StudentGuardian.objects.values()),
    )
    # the same file as CSV is the same roster
    assert not roster_check(csv_bytes(GOOD), "ds.csv").summary.has_changes


def test_an_edited_file_updates_only_what_changed(school):
    _import(school, xlsx(GOOD))
    edited = [
        student(name="Nguyễn Văn  Ân"),  # renamed (and double space)
        student(
            "HS002",
            "Nguyễn Thị Bích",
            "12/03/2013",
            "Nữ",
            "6A2",
            "001213000111",  # moved to 6A2
            g1=("Trần Thị Cúc", "Mẹ", "0383456789", "cuc@example.com"),  # mother now primary
            g2=("Nguyễn Văn Bình", "Bố", "0912345678", ""),
        ),
        GOOD[2],
    ]
    preview = roster_check(xlsx(edited), "ds.xlsx").summary
    report = _import(school, xlsx(edited))
    s = report.summary
    assert preview == s
    assert (s.students_created, s.students_updated, s.students_unchanged) == (0, 1, 2)
    assert (s.enrolments_created, s.enrolments_moved) == (0, 1)
    assert (s.guardians_created, s.guardians_updated, s.links_created, s.links_updated) == (0, 1, 0, 2)
    assert Student.objects.get(student_code="HS001").full_name == "Nguyễn Văn Ân"
    today = timezone.localdate()
    assert _open_class("HS002") == "6A2"
    old = Enrolment.objects.filter(student__student_code="HS002", school_class__name="6A1").first()
    if old is not None:  # it had begun: it ends yesterday, so no day counts in two classes
        assert old.ends_on == today - timedelta(days=1)
    else:  # imported before the year opened: it never began, and went
        assert SchoolYear.objects.get(is_current=True).starts_on >= today
    assert Enrolment.objects.get(student__student_code="HS002", school_class__name="6A2").starts_on == today
    links = {
        link.guardian.phone: link for link in StudentGuardian.objects.filter(student__student_code="HS002")
    }
    assert links["+84383456789"].is_primary_contact and not links["+84912345678"].is_primary_contact
    assert Guardian.objects.get(phone="+84383456789").email == "cuc@example.com"
    assert Guardian.objects.get(phone="+84912345678").email == "binh@example.com"  # blank does not clear


def test_csv_without_bom_and_with_folded_headers_and_extra_column(school):
    header = ["STT"] + [h.lower().replace("ã", "a").replace("ọ", "o") for h in HEADER]
    rows = [["1", *GOOD[0]]]
    report = _import(school, csv_bytes(rows, header=header, bom=False), "ds.csv")
    assert report.committed, report.problems
    assert report.notices[0].column == "STT"
    assert Student.objects.get(student_code="HS001").full_name == "Nguyễn Văn An"


def test_excel_dates_serials_and_numeric_cells(school):
    rows = [
        student("HS010", born=datetime(2014, 2, 3)),
        student("HS011", born=41700, national_id=1214000222, g1=("Bố Số", "Bố", 912000111, "")),
    ]
    report = _import(school, xlsx(rows))
    assert report.committed, report.problems
    assert Student.objects.get(student_code="HS010").date_of_birth == date(2014, 2, 3)
    second = Student.objects.get(student_code="HS011")
    assert second.date_of_birth == date(2014, 3, 2) and second.national_id == "001214000222"
    assert Guardian.objects.filter(phone="+84912000111").exists()


# --- bad input: a report, and nothing imported ----------------------------------------------------------


def _bad_rows(**changes):
    return [student(), student(**({"code": "HS002"} | changes))]


def _with_formula() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(student())
    sheet.append(student("HS002", name='=A2&"x"'))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "line", "column", "reason"),
    [
        (
            xlsx([student()], header=HEADER[:2] + HEADER[3:]),
            "a.xlsx",
            1,
            "Ngày sinh",
            "Thiếu cột bắt buộc “Ngày sinh”.",
        ),
        (
            xlsx([student()], header=["Mã HS", *HEADER[1:8], "Mã học sinh", *HEADER[9:]]),
            "a.xlsx",
            1,
            "Mã học sinh",
            "Cột bị lặp lại.",
        ),
        (b"", "a.xlsx", 0, "", "Tệp trống."),
        (xlsx([]), "a.xlsx", 0, "", "Tệp không có dòng dữ liệu nào."),
        (csv_bytes([]), "a.csv", 0, "", "Tệp không có dòng dữ liệu nào."),
        (b"PK\x03\x04 this is not really a zip", "a.xlsx", 0, "", "Không phải tệp bảng tính"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", 0, "", "Không phải tệp bảng tính"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", 0, "", "Tệp .xls cũ"),
        (b"Ma\xde hoc sinh,Ho v\xe0 t\xean\n", "a.csv", 0, "", "UTF-8"),  # Windows-1258
        (b"x" * (10 * 1024 * 1024 + 1), "big.csv", 0, "", "Tệp lớn hơn 10 MB."),
        (_with_formula(), "a.xlsx", 3, "Họ và tên", "Công thức không được phép"),
        (csv_bytes(_bad_rows(code="HS001")), "a.csv", 3, "Mã học sinh", "Trùng mã học sinh với dòng 2."),
        (
            xlsx(_bad_rows(school_class="3Z9")),
            "a.xlsx",
            3,
            "Lớp",
            "Lớp “3Z9” không có trong năm học hiện tại và không tạo được: tên lớp phải bắt đầu bằng một "
            "khối của trường (6, 7, 8, 9).",
        ),
        (xlsx(_bad_rows(born="31/02/2015")), "a.xlsx", 3, "Ngày sinh", "Ngày không tồn tại."),
        (xlsx(_bad_rows(born="2015-02-29")), "a.xlsx", 3, "Ngày sinh", "Ngày không tồn tại."),
        (xlsx(_bad_rows(born="tháng 5")), "a.xlsx", 3, "Ngày sinh", "dd/mm/yyyy"),
        (xlsx(_bad_rows(born="01/01/1990")), "a.xlsx", 3, "Ngày sinh", "không hợp lý"),
        (
            xlsx(_bad_rows(g1=("Bố", "Bố", "0123", ""))),
            "a.xlsx",
            3,
            "SĐT phụ huynh 1",
            "Số điện thoại không hợp lệ: 0123 (quá ngắn)",
        ),
        (
            xlsx(_bad_rows(g2=("Mẹ", "Mẹ", "", ""))),
            "a.xlsx",
            3,
            "SĐT phụ huynh 2",
            "Thiếu số điện thoại phụ huynh.",
        ),
        (xlsx(_bad_rows(gender="X")), "a.xlsx", 3, "Giới tính", "Nam hoặc Nữ"),
        (xlsx(_bad_rows(g1=("Bố", "Chú", "0912000999", ""))), "a.xlsx", 3, "Quan hệ 1", "Quan hệ phải là"),
        (xlsx(_bad_rows(national_id="12345")), "a.xlsx", 3, "Số định danh cá nhân", "12 chữ số"),
        (
            xlsx(_bad_rows(g1=("Người Khác", "Bố", "0912345678", ""))),
            "a.xlsx",
            3,
            "SĐT phụ huynh 1",
            "phụ huynh khác tên ở dòng 2",
        ),
        (
            xlsx(_bad_rows(g1=("Bố", "Bố", "0912 000 999", "not-an-email"))),
            "a.xlsx",
            3,
            "Email phụ huynh 1",
            "Email không hợp lệ.",
        ),
    ],
)
def test_bad_input_is_reported_and_nothing_is_imported(school, data, filename, line, column, reason):
    before = _counts()
    report = _import(school, data, filename)
    assert not report.committed
    assert any((p.line, p.column) == (line, column) and reason in p.reason for p in report.problems), (
        report.problems
    )
    assert _counts() == before
    assert not AuditEvent.objects.filter(action="roster.import").exists()


def test_every_bad_row_is_reported_not_just_the_first(school):
    rows = [
        student(),
        student("HS001"),
        student("HS003", school_class="4B"),
        student("HS004", born="32/1/2014"),
    ]
    report = roster_check(xlsx(rows), "a.xlsx")
    assert [(p.line, p.column) for p in report.problems] == [(3, "Mã học sinh"), (4, "Lớp"), (5, "Ngày sinh")]


def test_a_national_id_of_another_student_is_refused(school):
    _import(school, xlsx([student(national_id="001214099999")]))
    report = _import(school, xlsx([student("HS009", national_id="001214099999")]))
    assert [(p.line, p.column, p.reason) for p in report.problems] == [
        (2, "Số định danh cá nhân", "Số định danh này đã thuộc học sinh mã HS001.")
    ]


# --- the sector identifier (mã định danh Bộ GD&ĐT) ---------------------------------------------------------


def test_the_sector_identifier_is_imported_and_an_empty_cell_keeps_the_one_on_file(school):
    rows = [student(sector_id="0101 2345 6789"), student("HS002", sector_id="79000000000000000012")]
    report = _import(school, xlsx(rows))
    assert report.committed, report.problems
    assert Student.objects.get(student_code="HS001").sector_id == "010123456789"  # spaces dropped
    assert Student.objects.get(student_code="HS002").sector_id == "79000000000000000012"  # 20 digits
    report = _import(school, xlsx([student(name="Nguyễn Văn Ân")]))  # the cell left empty
    assert report.committed and Student.objects.get(student_code="HS001").sector_id == "010123456789"


@pytest.mark.parametrize(
    "rows, line, reason",
    [
        ([student(sector_id="HS0001234567")], 2, "Mã định danh Bộ GD&ĐT chỉ gồm chữ số, từ 10 đến 20 số."),
        ([student(sector_id="012345678")], 2, "Mã định danh Bộ GD&ĐT chỉ gồm chữ số, từ 10 đến 20 số."),
        ([student(sector_id="0" * 21)], 2, "Mã định danh Bộ GD&ĐT chỉ gồm chữ số, từ 10 đến 20 số."),
        (
            [student(sector_id="010123456789"), student("HS002", sector_id="010123456789")],
            3,
            "Trùng mã định danh với dòng 2.",
        ),
        # Typed into a number cell, a 20-digit code keeps only Excel's 15 significant digits.
        ([student(sector_id=79000000000000000012)], 2, "Excel đã làm tròn mã"),
    ],
)
def test_a_bad_sector_identifier_is_reported_and_nothing_is_imported(school, rows, line, reason):
    before = _counts()
    report = _import(school, xlsx(rows))
    assert not report.committed
    assert [(p.line, p.column) for p in report.problems] == [(line, "Mã định danh Bộ GD&ĐT")]
    assert reason in report.problems[0].reason
    assert _counts() == before


def test_a_sector_identifier_of_another_student_is_refused(school):
    _import(school, xlsx([student(sector_id="010123456789")]))
    report = _import(school, xlsx([student("HS009", sector_id="010123456789")]))
    assert [(p.line, p.column, p.reason) for p in report.problems] == [
        (2, "Mã định danh Bộ GD&ĐT", "Mã định danh này đã thuộc học sinh mã HS001.")
    ]


# --- the command ---------------------------------------------------------------------------------------


def test_command_dry_run_then_commit(school, tmp_path, capsys):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(xlsx(GOOD))
    call_command("import_roster", "--school", "test-a", str(path))
    out = capsys.readouterr().out
    assert "students 3 to create" in out and "dry run" in out and "0168" in out
    assert not _students_imported().exists()
    call_command("import_roster", "--school", "test-a", str(path), "--commit")
    assert "committed" in capsys.readouterr().out
    assert _students_imported().count() == 3


def test_command_prints_problems_and_fails(school, tmp_path, capsys):
    path = tmp_path / "ds.csv"
    path.write_bytes(csv_bytes(_bad_rows(school_class="3Z9")))
    with pytest.raises(CommandError):
        call_command("import_roster", "--school", "test-a", str(path), "--commit")
    assert (
        "line 3\tLớp\tLớp “3Z9” không có trong năm học hiện tại và không tạo được" in capsys.readouterr().out
    )
    assert not _students_imported().exists()


def test_command_exit_code_is_1_on_problems(school, tmp_path):
    from django.core.management import ManagementUtility

    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_roster", "--school", "test-a", str(path)]).execute()
    assert exit_info.value.code == 1


# --- the pages -----------------------------------------------------------------------------------------

URL = "/s/test-a/students/import/"


def _file(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_principal_previews_then_confirms(client, school):
    client.force_login(school.principal_a)
    form = client.get(URL)
    assert form.status_code == 200 and "Tải tệp mẫu" in form.content.decode()
    preview = client.post(URL, {"file": _file(xlsx(GOOD), "ds.xlsx")})
    page = preview.content.decode()
    assert preview.status_code == 200 and "Xác nhận nhập" in page
    assert 'data-count="students_created">3<' in page and "01683456789 → 0383456789" in page
    with schema_context(school.school_a.schema_name):
        assert not _students_imported().exists()
    token = preview.context["token"]
    sha = preview.context["pending"].sha256
    done = client.post(URL, {"token": token, "sha256": sha})
    assert done.status_code == 302
    with schema_context(school.school_a.schema_name):
        assert _students_imported().count() == 3
    assert "Đã nhập 3 dòng" in client.get(URL).content.decode()
    again = client.post(URL, {"token": token, "sha256": sha})  # the token is spent
    assert again.status_code == 302
    assert "hết hạn" in client.get(URL).content.decode()


def test_preview_lists_problems_and_offers_them_as_csv(client, school):
    client.force_login(school.admin_a)
    preview = client.post(URL, {"file": _file(xlsx(_bad_rows(born="31/02/2015")), "ds.xlsx")})
    page = preview.content.decode()
    assert "Xác nhận nhập" not in page and "Ngày không tồn tại." in page and "31/02/2015" in page
    token = preview.context["token"]
    download = client.get(f"{URL}problems.csv?token={token}")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows == [
        ["Dòng", "Cột", "Giá trị", "Lý do"],
        ["3", "Ngày sinh", "31/02/2015", "Ngày không tồn tại."],
    ]
    # a forged confirmation of a bad file writes nothing
    client.post(URL, {"token": token, "sha256": preview.context["pending"].sha256})
    with schema_context(school.school_a.schema_name):
        assert not _students_imported().exists()
    assert client.get(f"{URL}problems.csv?token=forged").status_code == 404


def test_template_download_is_a_workbook_that_imports(client, school):
    client.force_login(school.principal_a)
    response = client.get(f"{URL}template.xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == HEADER
    with schema_context(school.school_a.schema_name):
        report = roster_check(response.content, "mau.xlsx")
    assert report.ok and report.summary.students_created == 1, report.problems


def test_an_upload_over_10_mb_is_refused_by_the_form(client, school):
    client.force_login(school.principal_a)
    response = client.post(URL, {"file": _file(b"x" * (10 * 1024 * 1024 + 1), "big.csv")})
    assert response.status_code == 200 and "Tệp lớn hơn 10 MB." in response.content.decode()


@pytest.mark.parametrize("path", ["", "template.xlsx", "problems.csv?token=x"])
def test_teacher_and_outsider_get_404(client, school, path):
    for user in (school.teacher_a, school.staff_b):
        client.force_login(user)
        assert client.get(URL + path).status_code == 404
    client.force_login(school.teacher_a)
    assert client.post(URL, {"file": _file(xlsx(GOOD), "ds.xlsx")}).status_code == 404
