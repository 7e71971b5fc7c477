"""The sector database exchange: the three files in the sector's layout, and its student list imported back
for the identifiers (matching, refusals, all-or-nothing, the page's upload → preview → confirm)."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from openpyxl import Workbook, load_workbook

from accounts.roles import Role
from schoolbook.audit.models import AuditEvent
from students.models import SchoolClass, Student
from students.sector import formats
from students.sector.imports import SECTOR_IDS
from tests.factories import staff_make, student_enrol, student_make

URL = "/s/test-a/students/sector/"

# The sector database's own class list, as Hồ Chí Minh City's export shows it: title lines, then a header
# with many columns Schoolbook does not read.
TITLE = [["SỞ GIÁO DỤC VÀ ĐÀO TẠO"], ["DANH SÁCH HỌC SINH"], []]
SECTOR_HEADER = [
    "STT", "Mã định danh Bộ GD&ĐT", "Họ tên", "Ngày sinh", "Giới tính", "Dân tộc", "Trạng thái",
    "SĐT liên hệ", "Lớp học", "Khối học", "Số định danh cá nhân",
]  # fmt: skip


def sector_line(number, sector_id, name, born, class_name="6A1", national_id=""):
    return [number, sector_id, name, born, "Nam", "Kinh", "Đang học", "", class_name, "Khối 6", national_id]


def sector_list(lines, header=SECTOR_HEADER, title=TITLE) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    for row in [*title, header, *lines]:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def pupils(school):
    """Three students of 6A1 and one of 6A2 in school A; two share a name and birth date across classes."""
    classes = {c.name: c for c in SchoolClass.objects.all()}
    return {
        "an": student_enrol("HS01", classes["6A1"], "Nguyễn Văn An", born="2014-09-05"),
        "binh": student_enrol(
            "HS02",
            classes["6A1"],
            "Trần Thị Bình",
            born="2014-03-12",
            gender="female",
            national_id="001214000222",
        ),
        "cuong_1": student_enrol("HS03", classes["6A1"], "Lê Văn Cường", born="2014-01-20"),
        "cuong_2": student_enrol("HS04", classes["6A2"], "Lê Văn Cường", born="2014-01-20"),
    }


def _problems(report):
    return [(p.line, p.column, p.reason) for p in report.problems]


# --- pure rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "wording"),
    [
        (["teacher"], ("Giáo viên", "Giáo viên")),
        (["teacher", "principal"], ("Cán bộ quản lý", "Hiệu trưởng")),
        (["vice_principal"], ("Cán bộ quản lý", "Phó hiệu trưởng")),
        (["accountant"], ("Nhân viên", "Kế toán")),
        (["school_admin"], ("Nhân viên", "Nhân viên")),
        ([], ("", "")),
    ],
)
def test_role_wording_takes_the_most_senior_role(roles, wording):
    assert formats.role_wording(roles) == wording


def test_dates_are_written_day_first():
    assert formats.date_text(date(2014, 3, 5)) == "05/03/2014" and formats.date_text(None) == ""


# --- the files out ---------------------------------------------------------------------------------------


def _sheet(response):
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content))["Sheet1"]
    return [[cell.value for cell in row] for row in sheet.iter_rows()], sheet


def test_students_file_in_the_sector_layout(client, school, pupils):
    with schema_context(school.school_a.schema_name):
        Student.objects.filter(pk=pupils["an"].pk).update(sector_id="0107137235")
        gone = student_enrol("HS09", SchoolClass.objects.get(name="6A1"), "Đã Thôi Học")
        Student.objects.filter(pk=gone.pk).update(status="dropped_out")
        student_make("HS10", "Chưa Xếp Lớp")
    client.force_login(school.principal_a)
    rows, sheet = _sheet(client.get(URL + "students.xlsx"))
    assert rows[0] == [header for header, _width, _text in formats.STUDENT_COLUMNS]
    # current students in a class only, by class then in class-list order (given name first: An, Bình, Cường)
    assert [row[1:6] + row[8:] for row in rows[1:]] == [
        ["6A1", "0107137235", "Nguyễn Văn An", "05/09/2014", "Nam", None, "Đang học", "Khối 6"],
        ["6A1", None, "Trần Thị Bình", "12/03/2014", "Nữ", "001214000222", "Đang học", "Khối 6"],
        ["6A1", None, "Lê Văn Cường", "20/01/2014", "Nam", None, "Đang học", "Khối 6"],
        ["6A2", None, "Lê Văn Cường", "20/01/2014", "Nam", None, "Đang học", "Khối 6"],
    ]
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4]
    # identifiers are text cells in text-formatted columns: Excel keeps the leading zero
    assert sheet["C2"].data_type == "s" and sheet["C2"].number_format == "@"
    with schema_context(school.school_a.schema_name):
        event = AuditEvent.objects.get(action="sector.export")
    assert event.actor == school.principal_a and event.object_repr == "students"
    assert event.action_label == "xuất dữ liệu cho CSDL ngành"


def test_classes_and_staff_files(client, school, pupils):
    with schema_context(school.school_a.schema_name):
        teacher = staff_make(school, "0912000111", "Phạm Thu Hà", roles=(Role.TEACHER,))
        SchoolClass.objects.filter(name="6A1").update(homeroom_teacher=teacher)
    client.force_login(school.admin_a)
    classes, _ = _sheet(client.get(URL + "classes.xlsx"))
    year = classes[1][3]
    assert classes[1:] == [[1, "6A1", "Khối 6", year, "Phạm Thu Hà", 3], [2, "6A2", "Khối 6", year, None, 1]]
    staff, _ = _sheet(client.get(URL + "staff.xlsx"))
    assert staff[0] == [header for header, _width, _text in formats.STAFF_COLUMNS]
    by_name = {row[1]: row for row in staff[1:]}
    assert by_name["Phạm Thu Hà"][2:7] == ["0912000111", None, "Đang làm việc", "Giáo viên", "Giáo viên"]
    assert by_name["Hoàng Hiệu Trưởng"][5:7] == ["Cán bộ quản lý", "Hiệu trưởng"]


def test_the_students_file_comes_back_with_the_sector_identifiers(client, school, pupils):
    """The round trip: the sector database takes our file, gives each student an identifier and lists them;
    that list, uploaded back, sets them."""
    client.force_login(school.admin_a)
    rows, _ = _sheet(client.get(URL + "students.xlsx"))
    header, lines = rows[0], rows[1:]
    for number, line in enumerate(lines, start=1):
        line[2] = f"01071372{number:02d}"
    workbook = Workbook()
    workbook.active.append(header)
    for line in lines:
        workbook.active.append(line)
    out = io.BytesIO()
    workbook.save(out)
    with schema_context(school.school_a.schema_name):
        report = SECTOR_IDS.commit(
            actor=school.admin_a, school=school.school_a, data=out.getvalue(), filename="x"
        )
        assert report.committed, report.problems
        assert (report.summary.ids_set, report.summary.rows_unmatched) == (4, 0)
        assert sorted(Student.objects.exclude(sector_id="").values_list("sector_id", flat=True)) == [
            f"01071372{n:02d}" for n in range(1, 5)
        ]


# --- the identifiers back -----------------------------------------------------------------------------------


def test_lines_are_matched_by_national_id_then_name_and_birth_then_class(school, pupils):
    data = sector_list(
        [
            sector_line(1, "0107137201", "NGUYỄN VĂN AN", "05/09/2014"),  # case and accents do not count
            sector_line(2, "0107137202", "Trần Bình", "12/03/2014", national_id="001214000222"),
            sector_line(3, "0107137203", "Lê Văn Cường", date(2014, 1, 20), class_name="6A2"),
            sector_line(4, "0107137204", "Học Sinh Lạ", "01/01/2014"),
        ]
    )
    with schema_context(school.school_a.schema_name):
        report = SECTOR_IDS.commit(
            actor=school.admin_a, school=school.school_a, data=data, filename="C1.xlsx"
        )
        assert report.committed, report.problems
        summary = report.summary
        assert (summary.rows, summary.ids_set, summary.ids_unchanged, summary.rows_unmatched) == (4, 3, 0, 1)
        ids = dict(Student.objects.values_list("student_code", "sector_id"))
        assert (ids["HS01"], ids["HS02"], ids["HS03"], ids["HS04"]) == (
            "0107137201",
            "0107137202",
            "",
            "0107137203",
        )
        notices = {n.line: n.message for n in report.notices}
        assert "Ghép theo số định danh cá nhân với học sinh Trần Thị Bình" in notices[6]
        assert "Không tìm thấy học sinh" in notices[8]
        event = AuditEvent.objects.get(action="sector.ids_import")
        assert event.after["ids_set"] == 3 and event.action_label == "nhập mã định danh từ CSDL ngành"

        again = SECTOR_IDS.commit(actor=school.admin_a, school=school.school_a, data=data, filename="C1.xlsx")
        assert again.committed and (again.summary.ids_set, again.summary.ids_unchanged) == (0, 3)


def test_every_bad_line_is_reported_and_nothing_is_written(school, pupils):
    with schema_context(school.school_a.schema_name):
        Student.objects.filter(pk=pupils["binh"].pk).update(sector_id="0107137299")
    data = sector_list(
        [
            sector_line(1, "0107137201", "Nguyễn Văn An", "05/09/2014"),  # good, but the file is refused
            sector_line(2, "0107137202", "Trần Thị Bình", "12/03/2014"),  # she has another identifier
            sector_line(3, "0107137203", "Lê Văn Cường", "20/01/2014", class_name=""),  # two of them
            sector_line(4, "0107137299", "Lê Văn Cường", "20/01/2014", class_name="6A2"),  # Bình's
            sector_line(5, "0107137201", "Học Sinh Khác", "01/01/2014"),  # repeated in the file
            sector_line(6, "HS-12", "Nguyễn Văn An", "05/09/2014"),  # not digits
            sector_line(7, "123456789", "Nguyễn Văn An", "05/09/2014"),  # 9 digits
            sector_line(8, "0107137208", "", "31/02/2014"),  # no name, impossible date
            sector_line(9, "", "Nguyễn Văn An", "05/09/2014"),
        ]
    )
    with schema_context(school.school_a.schema_name):
        before = list(Student.objects.order_by("pk").values_list("sector_id", flat=True))
        report = SECTOR_IDS.commit(
            actor=school.admin_a, school=school.school_a, data=data, filename="C1.xlsx"
        )
        assert not report.committed
        assert list(Student.objects.order_by("pk").values_list("sector_id", flat=True)) == before
    invalid = "Mã định danh Bộ GD&ĐT chỉ gồm chữ số, từ 10 đến 20 số."
    assert _problems(report) == [
        (6, "Mã định danh Bộ GD&ĐT", "Học sinh Trần Thị Bình (mã HS02) đã có mã định danh 0107137299. "
         "Mã định danh không thay đổi: nếu mã đã lưu bị gõ sai, hãy sửa ở hồ sơ học sinh rồi nhập lại."),
        (7, "Họ tên", "Có 2 học sinh cùng họ tên và ngày sinh: thêm cột Số định danh cá nhân để phân biệt."),
        (8, "Mã định danh Bộ GD&ĐT", "Mã định danh này đã thuộc học sinh Trần Thị Bình (mã HS02)."),
        (9, "Mã định danh Bộ GD&ĐT", "Trùng mã định danh với dòng 5."),
        (10, "Mã định danh Bộ GD&ĐT", invalid),
        (11, "Mã định danh Bộ GD&ĐT", invalid),
        (12, "Họ tên", "Thiếu họ và tên."),
        (12, "Ngày sinh", "Ngày không tồn tại."),
        (13, "Mã định danh Bộ GD&ĐT", "Thiếu mã định danh."),
    ]  # fmt: skip


def test_two_lines_for_one_student_are_refused(school, pupils):
    data = sector_list(
        [
            sector_line(1, "0107137201", "Nguyễn Văn An", "05/09/2014"),
            sector_line(2, "0107137202", "Nguyễn Văn An", "05/09/2014"),
        ]
    )
    with schema_context(school.school_a.schema_name):
        report = SECTOR_IDS.check(data, "C1.xlsx")
    assert _problems(report) == [(6, "Họ tên", "Dòng này và dòng 5 cùng ứng với học sinh Nguyễn Văn An.")]


def test_a_file_that_is_not_the_sector_list_names_the_missing_columns(school, pupils):
    data = sector_list([["HS01", "Nguyễn Văn An"]], header=["Mã học sinh trường", "Tên"], title=[])
    with schema_context(school.school_a.schema_name):
        report = SECTOR_IDS.check(data, "khac.xlsx")
    assert [p.reason for p in report.problems] == [
        "Thiếu cột bắt buộc “Mã định danh Bộ GD&ĐT”.",
        "Thiếu cột bắt buộc “Họ tên”.",
        "Thiếu cột bắt buộc “Ngày sinh”.",
    ]


def test_the_primary_school_list_headers_read_too(school, pupils):
    """The sector's C1-HocSinh file calls the identifier "Mã học sinh" and the class "Mã lớp"."""
    header = ["STT", "Mã lớp", "Mã học sinh", "Họ tên", "Ngày sinh", "Giới tính", "Trạng thái HS"]
    data = sector_list(
        [[1, "6A1", "0107137201", "Nguyễn Văn An", "05/09/2014", "Nam", "Đang học"]], header=header
    )
    with schema_context(school.school_a.schema_name):
        report = SECTOR_IDS.check(data, "C1-HocSinh.xlsx")
    assert report.ok and report.summary.ids_set == 1, report.problems


# --- the page -----------------------------------------------------------------------------------------------


def test_admin_uploads_previews_and_confirms(client, school, pupils):
    client.force_login(school.admin_a)
    page = client.get(URL)
    html = page.content.decode()
    assert page.status_code == 200 and "Trao đổi dữ liệu với CSDL ngành" in html
    assert 'data-count="students">4<' in html and 'data-figure="without-id"' in html
    data = sector_list([sector_line(1, "0107137201", "Nguyễn Văn An", "05/09/2014")])
    preview = client.post(URL, {"file": SimpleUploadedFile("C1.xlsx", data)})
    html = preview.content.decode()
    assert preview.status_code == 200 and 'data-count="ids_set">1<' in html and "Xác nhận nhập" in html
    assert f'href="{URL}"' in html  # "another file" comes back here
    with schema_context(school.school_a.schema_name):
        assert not Student.objects.exclude(sector_id="").exists()
    done = client.post(URL, {"token": preview.context["token"], "sha256": preview.context["pending"].sha256})
    assert done.status_code == 302 and done["Location"] == URL
    assert "Đã lưu 1 mã định danh" in client.get(URL).content.decode()
    with schema_context(school.school_a.schema_name):
        assert Student.objects.get(student_code="HS01").sector_id == "0107137201"


def test_a_roster_preview_cannot_be_confirmed_on_the_sector_page(client, school, pupils):
    from tests.students.imports.test_import import GOOD, xlsx

    client.force_login(school.admin_a)
    preview = client.post("/s/test-a/students/import/", {"file": SimpleUploadedFile("ds.xlsx", xlsx(GOOD))})
    answer = client.post(
        URL, {"token": preview.context["token"], "sha256": preview.context["pending"].sha256}
    )
    assert answer.status_code == 302 and "hết hạn" in client.get(URL).content.decode()
    with schema_context(school.school_a.schema_name):
        assert not Student.objects.filter(student_code="HS001").exists()


def test_a_school_without_students_in_classes_gets_a_next_step(client, world):
    client.force_login(world.admin_a)
    page = client.get(URL)  # the world's only child of school A is in no class
    html = page.content.decode()
    assert 'id="no-students"' in html and 'href="/s/test-a/students/import/"' in html
    assert 'data-count="students">0<' in html


@pytest.mark.parametrize("path", ["", "students.xlsx", "classes.xlsx", "staff.xlsx"])
def test_teachers_parents_and_other_schools_get_404(client, school, path):
    for user in (school.teacher_a, school.staff_b, school.parent):
        client.force_login(user)
        assert client.get(URL + path).status_code == 404, (user, path)
    client.force_login(school.admin_a)
    assert client.get(URL + "unknown.xlsx").status_code == 404
