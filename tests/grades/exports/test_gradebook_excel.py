"""Excel export and import of a class's gradebook for a term: a sheet per subject, the
round trip changes nothing, an edited file changes exactly its cells (with history, through scores_save),
every problem is reported with its sheet, line, column and reason and nothing is applied, a file of another
class or term is refused, cells changed in the app after the export are conflicts, and who may do what."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from accounts.models import User
from grades.cells import GradeError
from grades.entry.services import scores_save
from grades.exports.services import gradebook_check, gradebook_import, gradebook_workbook, sheet_titles
from grades.models import AssessmentPlan, EntryDeadline, Score, ScoreChange
from schoolbook.audit.models import AuditEvent
from students.models import Student
from tests.factories import assignment_make, staff_make, student_enrol
from tests.gradebook_world import gradebook_world


@pytest.fixture
def gb(world):
    """School A, class 6A1 (homeroom: Ngô Chủ Nhiệm, who teaches Ngữ văn): Vũ Giáo Viên teaches Toán (4 TX)
    and Giáo dục thể chất (Đ / CĐ, 2 TX); three students. 6A2 has one student and Toán by Vũ Giáo Viên."""
    with schema_context(world.school_a.schema_name):
        homeroom = staff_make(world, "0900000091", "Ngô Chủ Nhiệm")
        names = [f"Học Sinh {chr(65 + n)}" for n in range(3)]  # A, B, C
        g = gradebook_world(world, students=names, outsider="Học Sinh Khác", homeroom=homeroom)
        g.homeroom = homeroom
        g.literature = assignment_make(g.homeroom, g.a1, "ngu-van")
        g.math_a2 = assignment_make(g.teacher, g.a2, "toan")
        g.unenrolled = Student.objects.create(
            student_code="HS-NONE", full_name="Chưa Xếp Lớp", date_of_birth="2014-01-01", gender="male"
        )
        yield g


def _fill(g, when):
    """Toán: full rows for the first two students; GDTC: TX1 Đ for the first."""
    s0, s1, _ = g.students
    cells = [
        {"student_id": s.pk, "column": column, "text": text, "version": None}
        for s, texts in ((s0, ["7", "8", "9", "9", "9", "8"]), (s1, ["6,5", "7", "7", "8", "7,5", "6"]))
        for column, text in zip(["TX1", "TX2", "TX3", "TX4", "GK", "CK"], texts, strict=True)
    ]
    assert not scores_save(
        actor_staff=g.teacher, assignment=g.math, term=g.term1, cells=cells, now=when
    ).invalid
    pe = [{"student_id": s0.pk, "column": "TX1", "text": "Đ", "version": None}]
    assert scores_save(actor_staff=g.teacher, assignment=g.pe, term=g.term1, cells=pe, now=when).saved


def _export(g, *, school_class=None, term=None, assignments=None, now=None) -> bytes:
    school_class = school_class or g.a1
    return gradebook_workbook(
        actor=g.world.principal_a,
        school=g.world.school_a,
        assignments=assignments or [g.math, g.pe, g.literature],
        school_class=school_class,
        term=term or g.term1,
        now=now,
    )


def _edit(data: bytes, edits) -> bytes:
    """edits: [(sheet, student code or line, header, value)]; a missing header is added at the end."""
    workbook = load_workbook(io.BytesIO(data))
    for sheet_name, who, header, value in edits:
        sheet = workbook[sheet_name]
        headers = [cell.value for cell in sheet[1]]
        if header not in headers:
            sheet.cell(row=1, column=len(headers) + 1, value=header)
            headers.append(header)
        if isinstance(who, int):
            line = who
        else:
            line = next(
                (row[0].row for row in sheet.iter_rows(min_row=2) if row[1].value == who), sheet.max_row + 1
            )
        sheet.cell(row=line, column=headers.index(header) + 1, value=value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _import(g, data, staff=None, now=None, check=False, filename="so-diem.xlsx"):
    kwargs = {"staff": staff or g.principal, "school_class": g.a1, "term": g.term1, "data": data}
    if check:
        return gradebook_check(filename=filename, now=now, **kwargs)
    return gradebook_import(filename=filename, now=now, **kwargs)


def _problems(report):
    return [(p.sheet, p.line, p.column, p.value) for p in report.problems]


def _scores():
    return sorted(
        (s.student_id, s.subject_id, s.column, str(s.value), s.rating, s.version) for s in Score.objects.all()
    )


# --- export ------------------------------------------------------------------------------------------------


def test_export_has_a_sheet_per_subject_with_the_schools_layout(gb):
    now = timezone.now()
    _fill(gb, now - timedelta(minutes=5))
    workbook = load_workbook(io.BytesIO(_export(gb, now=now)))
    assert workbook.sheetnames == ["Ngữ văn", "Toán", "Giáo dục thể chất", "Thông tin"]
    assert workbook["Thông tin"].sheet_state == "hidden"
    math = workbook["Toán"]
    rows = [[cell.value for cell in row] for row in math.iter_rows()]
    assert rows[0] == ["STT", "Mã học sinh", "Họ và tên", "TX1", "TX2", "TX3", "TX4", "GK", "CK", "ĐTBmhk"]
    # (6.5 + 7 + 7 + 8 + 2·7.5 + 3·6) / 9 = 61.5 / 9 = 6.83… → 6.8; numbers shown "0.0" (7,5 in Excel vi-VN)
    assert rows[1][:3] == [1, "HS0", "Học Sinh A"] and rows[2][3:] == [6.5, 7, 7, 8, 7.5, 6, 6.8]
    assert rows[3][3:] == [None] * 7
    assert math["D2"].number_format == "0.0"
    pe = [[cell.value for cell in row] for row in workbook["Giáo dục thể chất"].iter_rows()]
    assert pe[0][3:] == ["TX1", "TX2", "GK", "CK", "ĐTBmhk"] and pe[1][3] == "Đ"
    meta = {row[0].value: row[1].value for row in workbook["Thông tin"].iter_rows()}
    assert meta["Lớp"] == "6A1" and meta["Trường"] == "Trường THCS Thử Nghiệm A" and meta["Mã xác thực"]
    assert AuditEvent.objects.filter(action="gradebook.export", object_id=str(gb.a1.pk)).count() == 1


def test_sheet_names_are_excel_safe_and_unique(gb):
    class Fake:
        def __init__(self, name):
            self.subject = type("S", (), {"name": name, "code": "x"})

    names = list(
        sheet_titles(
            [Fake("Nội dung giáo dục của địa phương: A/B"), Fake("Nội dung giáo dục của địa phương: A/C")]
        )
    )
    assert names == ["Nội dung giáo dục của địa phươn", "Nội dung giáo dục của địa phư 2"]
    assert all(len(name) <= 31 and "/" not in name and ":" not in name for name in names)


# --- import ------------------------------------------------------------------------------------------------


def test_round_trip_changes_nothing(gb):
    now = timezone.now()
    _fill(gb, now - timedelta(minutes=5))
    before, history = _scores(), ScoreChange.objects.count()
    data = _export(gb, now=now)
    report = _import(gb, data, check=True)
    assert report.ok and report.changed == 0
    assert {s.sheet: s.unchanged for s in report.sheets} == {"Ngữ văn": 0, "Toán": 12, "Giáo dục thể chất": 1}
    report = _import(gb, data)
    assert report.committed and report.changed == 0
    assert _scores() == before and ScoreChange.objects.count() == history


def test_an_edited_file_changes_exactly_those_cells_with_history(gb):
    now = timezone.now()
    _fill(gb, now - timedelta(minutes=5))
    s0, s1, s2 = gb.students
    data = _edit(
        _export(gb, now=now),
        [
            ("Toán", "HS0", "TX1", "9,5"),  # text with a decimal comma
            ("Toán", "HS2", "GK", 8),  # a number, in an empty cell
            ("Toán", "HS1", "TX2", None),  # emptied: never clears
            ("Giáo dục thể chất", "HS1", "TX1", "cđ"),
            ("Ngữ văn", "HS2", "CK", "7.5"),  # on behalf of the homeroom teacher
            ("Toán", "HS1", "ĐTBmhk", 10),  # computed: ignored
        ],
    )
    preview = _import(gb, data, check=True)
    assert preview.ok and {s.sheet: s.changed for s in preview.sheets} == {
        "Ngữ văn": 1, "Toán": 2, "Giáo dục thể chất": 1,
    }  # fmt: skip
    history = ScoreChange.objects.count()
    report = _import(gb, data, now=now + timedelta(minutes=1))
    assert report.committed and report.changed == 4
    changes = ScoreChange.objects.order_by("id")[history:]
    assert sorted((c.score.student_id, c.score.column, c.old_value, c.new_value) for c in changes) == sorted([
        (s0.pk, "TX1", "7,0", "9,5"), (s2.pk, "GK", "", "8,0"), (s1.pk, "TX1", "", "CĐ"),
        (s2.pk, "CK", "", "7,5"),
    ])  # fmt: skip
    assert {c.changed_by for c in changes} == {gb.principal}  # who really saved
    literature = Score.objects.get(student=s2, subject=gb.literature.subject, column="CK")
    assert literature.value == Decimal("7.5") and literature.updated_by == gb.principal
    assert Score.objects.get(student=s1, subject=gb.math.subject, column="TX2").value == Decimal("7.0")
    event = AuditEvent.objects.get(action="gradebook.import")
    assert event.after["changed"] == {"Ngữ văn": 1, "Toán": 2, "Giáo dục thể chất": 1}
    assert _import(gb, data, now=now + timedelta(minutes=2)).changed == 0  # importing it again: nothing


def test_every_bad_input_is_reported_and_nothing_is_applied(gb):
    now = timezone.now()
    _fill(gb, now - timedelta(minutes=5))
    data = _export(gb, now=now)
    workbook = load_workbook(io.BytesIO(data))
    workbook.create_sheet("Âm nhạc")  # no such subject in the class
    out = io.BytesIO()
    workbook.save(out)
    data = _edit(
        out.getvalue(),
        [
            ("Toán", "HS0", "TX1", "10"),  # a valid change, not applied because of the others
            ("Toán", "HS1", "TX3", "11"),
            ("Toán", "HS2", "CK", "8,25"),
            ("Toán", "HS2", "TX5", None),  # a column beyond the plan's 4 TX
            ("Toán", 6, "Mã học sinh", "HS-UNKNOWN"),
            ("Toán", 7, "Mã học sinh", "HS-OTHER"),
            ("Toán", 7, "GK", "9"),
            ("Toán", 8, "Mã học sinh", "HS-NONE"),
            ("Giáo dục thể chất", "HS0", "GK", "7"),
            ("Ngữ văn", "HS0", "TX1", "abc"),
        ],
    )
    before = _scores()
    report = _import(gb, data)
    assert not report.committed and _scores() == before
    assert not AuditEvent.objects.filter(action="gradebook.import").exists()
    problems = _problems(report)
    assert problems == [
        ("Ngữ văn", 2, "TX1", "abc"),
        ("Toán", 1, "TX5", "TX5"),
        ("Toán", 3, "TX3", "11"),
        ("Toán", 4, "CK", "8,25"),
        ("Toán", 6, "Mã học sinh", "HS-UNKNOWN"),
        ("Toán", 7, "Mã học sinh", "HS-OTHER"),
        ("Toán", 8, "Mã học sinh", "HS-NONE"),
        ("Giáo dục thể chất", 2, "GK", "7"),
        ("Âm nhạc", 0, "", "Âm nhạc"),
    ]
    reasons = [p.reason for p in report.problems]
    assert "không phải là điểm hợp lệ" in reasons[0]
    assert "không có trong kế hoạch đánh giá" in reasons[1]
    assert "thang điểm 10" in reasons[2] and "quá một chữ số thập phân" in reasons[3]
    assert "Không có học sinh nào mang mã này" in reasons[4]
    assert "không thuộc lớp 6A1" in reasons[5] and "không thuộc lớp 6A1" in reasons[6]
    assert "Đ (Đạt) hoặc CĐ (Chưa đạt)" in reasons[7]
    assert "không có môn học nào ứng với trang này" in reasons[8]


def test_a_file_of_another_class_or_term_or_altered_or_not_exported_is_refused(gb):
    other_class = _export(gb, school_class=gb.a2, assignments=[gb.math_a2])
    other_term = _export(gb, term=gb.term2)
    for data, expected in ((other_class, "lớp 6A2, Học kỳ I"), (other_term, "lớp 6A1, Học kỳ II")):
        report = _import(gb, data)
        assert not report.committed and len(report.problems) == 1
        assert (
            expected in report.problems[0].reason
            and "không nhập được vào lớp 6A1" in report.problems[0].reason
        )
    tampered = load_workbook(io.BytesIO(_export(gb)))
    token = tampered["Thông tin"]["B6"]
    token.value = token.value[:-3] + "abc"
    out = io.BytesIO()
    tampered.save(out)
    for data, filename in ((out.getvalue(), "so-diem.xlsx"), (b"Ma hoc sinh,TX1\nHS0,7\n", "so-diem.csv")):
        report = _import(gb, data, filename=filename)
        assert not report.committed and "không phải sổ điểm xuất từ Schoolbook" in report.problems[0].reason
    assert "Không phải tệp bảng tính" in _import(gb, b"PK\x03\x04 broken").problems[0].reason


def test_a_cell_changed_in_the_app_after_the_export_is_a_conflict(gb):
    now = timezone.now()
    _fill(gb, now - timedelta(minutes=10))
    data = _export(gb, now=now - timedelta(minutes=5))
    s0, s1, _ = gb.students
    math = Score.objects.get(student=s0, subject=gb.math.subject, column="TX1")
    scores_save(
        actor_staff=gb.teacher, assignment=gb.math, term=gb.term1, now=now,
        cells=[{"student_id": s0.pk, "column": "TX1", "text": "8", "version": math.version},
               {"student_id": s1.pk, "column": "TX1", "text": "5", "version": 1}],
    )  # fmt: skip
    edited = _edit(data, [("Toán", "HS0", "TX1", "10"), ("Toán", "HS1", "TX1", 5), ("Toán", "HS1", "GK", 9)])
    report = _import(gb, edited)
    assert _problems(report) == [("Toán", 2, "TX1", "10")]  # HS1 TX1 = 5 in both: no conflict
    assert "Vũ Giáo Viên" in report.problems[0].reason and "sau khi xuất" in report.problems[0].reason
    assert Score.objects.get(student=s1, subject=gb.math.subject, column="GK").value == Decimal("7.5")


def test_a_subject_teacher_imports_only_their_own_sheets(gb):
    now = timezone.now()
    own = _export(gb, assignments=[gb.math, gb.pe], now=now)
    report = _import(gb, _edit(own, [("Toán", "HS0", "TX1", "9")]), staff=gb.teacher)
    assert report.committed and report.changed == 1
    assert Score.objects.get(column="TX1").updated_by == gb.teacher
    whole = _edit(_export(gb, now=now + timedelta(seconds=1)), [("Toán", "HS0", "TX2", "9")])
    report = _import(gb, whole, staff=gb.teacher)
    assert _problems(report) == [("Ngữ văn", 0, "", "Ngữ văn")]
    assert "không được nhập điểm môn Ngữ văn" in report.problems[0].reason
    assert not Score.objects.filter(column="TX2").exists()


def test_an_entry_deadline_passed_refuses_the_sheet(gb):
    now = timezone.now()
    EntryDeadline.objects.create(term=gb.term1, subject=gb.math.subject, deadline=now - timedelta(days=1))
    report = _import(gb, _edit(_export(gb, now=now), [("Toán", "HS0", "TX1", "9")]))
    assert _problems(report) == [("Toán", 0, "", "Toán")] and "quá hạn nhập điểm" in report.problems[0].reason


def test_scores_save_on_behalf_only_for_admins_and_principals(gb):
    cell = [{"student_id": gb.students[0].pk, "column": "TX1", "text": "8", "version": None}]
    with pytest.raises(GradeError):
        scores_save(actor_staff=gb.principal, assignment=gb.math, term=gb.term1, cells=cell)
    with pytest.raises(GradeError):
        scores_save(actor_staff=gb.homeroom, assignment=gb.math, term=gb.term1, cells=cell, on_behalf=True)
    result = scores_save(actor_staff=gb.admin, assignment=gb.math, term=gb.term1, cells=cell, on_behalf=True)
    assert result.saved and ScoreChange.objects.get().changed_by == gb.admin


# --- pages -------------------------------------------------------------------------------------------------


def _url(g, page, school_class=None):
    return f"/s/test-a/grades/classes/{(school_class or g.a1).pk}/terms/{g.term1.pk}/{page}"


def _sheets(response):
    return load_workbook(io.BytesIO(response.content)).sheetnames


def test_export_page_per_role(client, gb):
    client.force_login(gb.world.principal_a)
    assert _sheets(client.get(_url(gb, "export.xlsx"))) == [
        "Ngữ văn",
        "Toán",
        "Giáo dục thể chất",
        "Thông tin",
    ]
    client.force_login(User.objects.get(phone="+84900000091"))  # homeroom teacher: the whole class
    assert _sheets(client.get(_url(gb, "export.xlsx"))) == [
        "Ngữ văn",
        "Toán",
        "Giáo dục thể chất",
        "Thông tin",
    ]
    client.force_login(gb.world.teacher_a)  # subject teacher: own subjects only
    response = client.get(_url(gb, "export.xlsx"))
    assert response["Content-Disposition"].startswith('attachment; filename="so-diem-6a1-hk1-')
    assert _sheets(response) == ["Toán", "Giáo dục thể chất", "Thông tin"]
    staff_make(gb.world, "0900000099", "Ngô Khác")
    client.force_login(User.objects.get(phone="+84900000099"))  # teaches nothing in 6A1
    assert client.get(_url(gb, "export.xlsx")).status_code == 404
    assert client.get(_url(gb, "import/")).status_code == 404
    client.force_login(gb.world.staff_b)
    assert client.get(_url(gb, "export.xlsx")).status_code == 404
    assert client.get(_url(gb, "import/")).status_code == 404
    client.force_login(gb.world.principal_a)
    wrong_term = f"/s/test-a/grades/classes/{gb.a1.pk}/terms/999999/export.xlsx"
    assert client.get(wrong_term).status_code == 404


def test_export_without_assessment_plans_says_so_instead_of_failing(client, gb):
    """A class whose subjects have no assessment plan yet has nothing to export: a message, not a 500."""
    with schema_context(gb.world.school_a.schema_name):
        AssessmentPlan.objects.filter(year=gb.a1.year, grade=gb.a1.grade).delete()
    client.force_login(gb.world.principal_a)
    response = client.get(_url(gb, "export.xlsx"), follow=True)
    assert response.status_code == 200
    assert "chưa có kế hoạch đánh giá" in response.content.decode()


def test_upload_preview_confirm_in_the_browser(client, gb):
    now = timezone.now()
    _fill(gb, now - timedelta(minutes=5))
    client.force_login(gb.world.teacher_a)
    exported = client.get(_url(gb, "export.xlsx")).content
    page = client.get(_url(gb, "import/"))
    assert page.status_code == 200 and "Xuất sổ điểm (.xlsx)" in page.content.decode()
    bad = _edit(exported, [("Toán", "HS0", "TX1", "12")])
    preview = client.post(_url(gb, "import/"), {"file": _upload(bad)})
    text = preview.content.decode()
    assert preview.status_code == 200 and "thang điểm 10" in text and "Xác nhận nhập" not in text
    token = preview.context["token"]
    csv = client.get(_url(gb, f"import/problems.csv?token={token}")).content.decode("utf-8-sig")
    assert csv.splitlines()[0] == "Trang,Dòng,Cột,Giá trị,Lý do" and csv.splitlines()[1].startswith(
        "Toán,2,TX1,12,"
    )
    good = _edit(exported, [("Toán", "HS0", "TX1", "9,5"), ("Toán", "HS2", "TX1", "6")])
    preview = client.post(_url(gb, "import/"), {"file": _upload(good)})
    assert 'data-changed="Toán">2<' in preview.content.decode()
    pending = preview.context["pending"]
    done = client.post(_url(gb, "import/"), {"token": preview.context["token"], "sha256": pending.sha256})
    assert done.status_code == 302
    assert Score.objects.get(student=gb.students[0], column="TX1", subject=gb.math.subject).value == Decimal(
        "9.5"
    )
    client.force_login(gb.world.principal_a)  # another user cannot confirm the teacher's upload
    again = client.post(_url(gb, "import/"), {"token": preview.context["token"], "sha256": pending.sha256})
    assert again.status_code == 302 and AuditEvent.objects.filter(action="gradebook.import").count() == 1


def _upload(data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("so-diem.xlsx", data)


def test_export_and_check_query_counts_do_not_grow_with_the_class(gb):
    def measure():
        with CaptureQueriesContext(connection) as export:
            data = _export(gb)
        with CaptureQueriesContext(connection) as check:
            assert _import(gb, data, check=True).ok
        return len(export), len(check)

    small = measure()
    for n in range(20):
        student_enrol(f"HS-MORE{n:02}", gb.a1, f"Học Sinh Thêm {n:02}")
    assert measure() == small
