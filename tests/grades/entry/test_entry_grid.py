"""The secondary entry grid over HTTP: the gradebook home with fill progress, the
grid page, the JSON save of static/js/gradebook.js (per-cell results, conflicts, deadlines and unlocks,
averages), cell history, and who gets 404. Query counts must not grow with the class."""

import json
import re
from datetime import timedelta
from decimal import Decimal
from functools import partial
from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from grades.entry.services import entry_unlock
from grades.models import AssessmentPlan, EntryDeadline, Score, ScoreChange
from students.models import (
    Enrolment,
    GradeLevel,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    Subject,
    TeachingAssignment,
)
from tests.conftest import paste_from_excel, without_tokens
from tests.factories import parent_make, staff_make, student_enrol
from tests.gradebook_world import (
    GradebookWorld,
    cells_from,
    gradebook_world,
    grid_cell,
    page_queries,
    plans_generate_undoable,
)


@pytest.fixture
def eg(world):
    """School A: 6A1 (homeroom: Trần Chủ Nhiệm) with three students; Vũ Giáo Viên teaches Toán (4 TX) and
    Giáo dục thể chất (Đ/CĐ, 2 TX) there; 6A2 has one student of its own."""
    with schema_context(world.school_a.schema_name):
        homeroom = staff_make(world, "0900000081", "Trần Chủ Nhiệm")
        other = staff_make(world, "0900000082", "Ngô Giáo Viên Khác")
        names = [f"Học Sinh {chr(67 - n)}" for n in range(3)]  # C, B, A
        g = gradebook_world(world, students=names, outsider="Học Sinh Lớp Khác", homeroom=homeroom)
        g.homeroom, g.other = homeroom, other
        yield g


def _grid(g, assignment=None, page=""):
    return f"/s/test-a/grades/assignments/{(assignment or g.math).pk}/terms/{g.term.pk}/{page}"


def _post(client, g, cells, assignment=None):
    body = {"cells": cells_from(cells)}
    return client.post(_grid(g, assignment, "save/"), json.dumps(body), content_type="application/json")


def _by_cell(response):
    return {(cell["student_id"], cell["column"]): cell for cell in response.json()["cells"]}


# --- the grid page ----------------------------------------------------------------------------------------


def test_the_teacher_sees_an_editable_grid_of_the_plan_by_name(client, eg):
    client.force_login(eg.world.teacher_a)
    response = client.get(_grid(eg))
    page = without_tokens(response)
    assert response.status_code == 200
    assert f'data-save-url="{_grid(eg, page="save/")}"' in page
    for column in ("TX1", "TX2", "TX3", "TX4", "GK", "CK"):
        assert f'data-col="{column}"' in page
    assert "TX5" not in page  # Toán 6 has 4 regular assessments
    assert page.count('class="publish-controls"') == 6  # one per column, with its publish button
    assert page.count(f'action="/s/test-a/grades/assignments/{eg.math.pk}/publish/"') == 6
    # by name: A, B, C; each with a computed average cell
    names = [page.index(f"Học Sinh {letter}") for letter in "ABC"]
    assert names == sorted(names)
    assert page.count('data-field="average"') == 3 and "readonly" not in page
    assert "Học Sinh Lớp Khác" not in page
    assert "static/js/gradebook.js" in page or "js/gradebook.js" in page


def test_managers_and_the_homeroom_teacher_see_it_read_only(client, eg):
    _post_as_teacher(client, eg, [(eg.students[0], "TX1", "7,5", None)])
    for user in (eg.world.principal_a, eg.world.admin_a, eg.homeroom.user):
        client.force_login(user)
        page = client.get(_grid(eg)).content.decode()
        assert "data-save-url" not in page and page.count("readonly") == 18, user
        assert 'value="7,5"' in page
        response = _post(client, eg, [(eg.students[0], "TX2", "8", None)])
        assert response.status_code == 404, user
    assert not Score.objects.filter(column="TX2").exists()


def test_outsiders_get_404_on_the_grid_save_and_history(client, eg):
    _post_as_teacher(client, eg, [(eg.students[0], "TX1", "7", None)])
    score = Score.objects.get()
    parent = parent_make(eg.world, eg.students[0], "0900000083", "Phụ Huynh 6A1")
    for user in (eg.other.user, parent, eg.world.staff_b):
        client.force_login(user)
        for path in (_grid(eg), f"/s/test-a/grades/scores/{score.pk}/history/", "/s/test-a/grades/"):
            if user == eg.other.user and path == "/s/test-a/grades/":
                continue  # a teacher has a gradebook home (empty), tested below
            assert client.get(path).status_code == 404, (user, path)
        assert _post(client, eg, [(eg.students[0], "TX1", "9", 1)]).status_code == 404
    assert Score.objects.get().value == Decimal("7.0")


def test_a_term_of_another_year_or_a_primary_assignment_is_404(client, eg):
    client.force_login(eg.world.teacher_a)
    other_year = SchoolYear.objects.create(
        name="2099-2100", starts_on="2099-09-01", ends_on="2100-05-31", is_current=False
    )
    term = other_year.terms.first() or other_year.terms.create(
        number=1, starts_on="2099-09-01", ends_on="2100-01-15"
    )
    assert client.get(f"/s/test-a/grades/assignments/{eg.math.pk}/terms/{term.pk}/").status_code == 404


def test_grid_queries_do_not_grow_with_the_class(client, eg):
    client.force_login(eg.world.teacher_a)
    _post_as_teacher(client, eg, [(s, "TX1", "8", None) for s in eg.students])

    page_queries(client, _grid(eg))  # warm-up: the first request caches the school and the access check
    few = page_queries(client, _grid(eg))
    more = [student_enrol(f"HS-MORE{n}", eg.a1, f"Học Sinh Thêm {n:02}") for n in range(27)]
    _post_as_teacher(client, eg, [(s, "TX1", "8", None) for s in more])
    assert page_queries(client, _grid(eg)) == few


def test_without_an_assessment_plan_the_grid_says_so_and_saving_is_refused(client, eg):
    AssessmentPlan.objects.filter(year=eg.year, grade__number=6, subject=eg.toan).delete()
    client.force_login(eg.world.teacher_a)
    page = client.get(_grid(eg)).content.decode()
    assert "Chưa có kế hoạch đánh giá" in page and "data-save-url" not in page
    refused = _post(client, eg, [(eg.students[0], "TX1", "7", None)])
    assert refused.status_code == 400 and "Chưa có kế hoạch đánh giá" in refused.json()["error"]


# --- saving over HTTP -------------------------------------------------------------------------------------


def _post_as_teacher(client, g, cells, assignment=None):
    client.force_login(g.world.teacher_a)
    return _post(client, g, cells, assignment)


def test_bad_cells_are_marked_with_the_reason_and_valid_cells_save(client, eg):
    s0, s1, s2 = eg.students
    response = _post_as_teacher(
        client,
        eg,
        [(s0, "TX1", "11", None), (s0, "TX2", "abc", None), (s1, "TX1", "7,55", None),
         (s1, "TX2", "-1", None), (s2, "TX1", "7,5", None), (s2, "GK", "9", None)],
    )  # fmt: skip
    assert response.status_code == 200
    cells = _by_cell(response)
    assert {key: cell["status"] for key, cell in cells.items()} == {
        (s0.pk, "TX1"): "invalid", (s0.pk, "TX2"): "invalid", (s1.pk, "TX1"): "invalid",
        (s1.pk, "TX2"): "invalid", (s2.pk, "TX1"): "saved", (s2.pk, "GK"): "saved",
    }  # fmt: skip
    assert "thang điểm 10" in cells[(s0.pk, "TX1")]["reason"]
    assert "không phải là điểm hợp lệ" in cells[(s0.pk, "TX2")]["reason"]
    assert "quá một chữ số thập phân" in cells[(s1.pk, "TX1")]["reason"]
    assert cells[(s1.pk, "TX2")]["reason"]
    saved = cells[(s2.pk, "TX1")]
    assert (saved["text"], saved["version"]) == ("7,5", 1) and saved["history_url"].endswith("/history/")
    assert Score.objects.get(student=s2, column="TX1").value == Decimal("7.5")
    assert Score.objects.count() == 2
    assert response.json()["rows"] == {str(s2.pk): {"average": ""}}  # not every required cell is filled yet


def test_the_average_of_a_completed_row_comes_back(client, eg):
    AssessmentPlan.objects.filter(year=eg.year, grade__number=6, subject=eg.toan).update(regular_count=3)
    s0 = eg.students[0]
    response = _post_as_teacher(
        client,
        eg,
        [(s0, "TX1", "7", None), (s0, "TX2", "8", None), (s0, "TX3", "9", None), (s0, "GK", "9", None),
         (s0, "CK", "8", None)],
    )  # fmt: skip
    assert response.json()["rows"] == {str(s0.pk): {"average": "8,3"}}  # 66 / 8 = 8.25 → 8,3
    page = client.get(_grid(eg)).content.decode()
    assert 'data-field="average">8,3<' in page


def test_comment_only_subject_takes_dat_and_chua_dat(client, eg):
    s0, s1, _ = eg.students
    cells = [(s0, c, "đ", None) for c in ("TX1", "TX2", "GK", "CK")] + [
        (s1, "TX1", "cđ", None),
        (s1, "TX2", "8", None),
    ]
    response = _post_as_teacher(client, eg, cells, assignment=eg.pe)
    result = _by_cell(response)
    assert result[(s0.pk, "TX1")]["text"] == "Đ" and result[(s1.pk, "TX1")]["text"] == "CĐ"
    assert result[(s1.pk, "TX2")]["status"] == "invalid"
    assert response.json()["rows"][str(s0.pk)] == {"average": "Đ"}
    page = client.get(_grid(eg, eg.pe)).content.decode()
    assert "Kết quả học kỳ" in page and 'value="CĐ"' in page


def test_a_pasted_block_saves_in_one_request_with_constant_queries(client, eg):
    columns = ("TX1", "TX2", "TX3", "TX4", "GK", "CK")

    def paste(students):
        cells = [
            (s, c, f"{(n + i) % 10},5", None) for n, s in enumerate(students) for i, c in enumerate(columns)
        ]
        with CaptureQueriesContext(connection) as captured:
            response = _post(client, eg, cells)
        assert response.status_code == 200
        assert {cell["status"] for cell in response.json()["cells"]} == {"saved"}
        assert len(response.json()["rows"]) == len(students)
        return len(captured)

    client.force_login(eg.world.teacher_a)
    paste(eg.students)  # warm-up: the first save also locks the plan, the first request caches the access
    assert Score.objects.count() == 18
    Score.objects.all().delete()
    few = paste(eg.students)
    more = [student_enrol(f"HS-PASTE{n}", eg.a1, f"Học Sinh Dán {n:02}") for n in range(27)]
    Score.objects.all().delete()
    many = paste(eg.students + more)
    assert Score.objects.count() == 180 and ScoreChange.objects.count() == 180
    assert many == few, (few, many)


def test_a_stale_version_is_a_conflict_naming_who_saved_and_nothing_is_overwritten(client, eg):
    s = eg.students[0]
    _post_as_teacher(client, eg, [(s, "CK", "6", None)])
    # another editor (in another tab) changes the cell behind the first one's back
    Score.objects.filter(student=s, column="CK").update(value=Decimal("9.0"), version=2, updated_by=eg.other)
    response = _post(client, eg, [(s, "CK", "4", 1)])
    cell = _by_cell(response)[(s.pk, "CK")]
    assert (cell["status"], cell["text"], cell["version"]) == ("conflict", "9,0", 2)
    assert cell["updated_by"] == "Ngô Giáo Viên Khác" and "Ngô Giáo Viên Khác" in cell["reason"]
    assert Score.objects.get(student=s, column="CK").value == Decimal("9.0")
    # "Dùng giá trị của tôi": the same text against the new version
    again = _by_cell(_post(client, eg, [(s, "CK", "4", 2)]))[(s.pk, "CK")]
    assert (again["status"], again["version"]) == ("saved", 3)


def test_after_the_deadline_400_then_the_principals_unlock_reason_is_in_the_history(client, eg):
    s = eg.students[0]
    EntryDeadline.objects.create(term=eg.term, subject=None, deadline=timezone.now() - timedelta(days=1))
    refused = _post_as_teacher(client, eg, [(s, "TX1", "7", None)])
    assert refused.status_code == 400 and "Đã quá hạn nhập điểm" in refused.json()["error"]
    assert not Score.objects.exists()
    page = client.get(_grid(eg)).content.decode()
    assert "data-locked" in page and "data-save-url" not in page  # the teacher sees why it is locked
    entry_unlock(
        actor_staff=eg.principal, term=eg.term, subject=eg.toan, school_class=eg.a1,
        reason="Bổ sung điểm kiểm tra lại", until=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    page = client.get(_grid(eg)).content.decode()
    assert "data-unlocked" in page and "Bổ sung điểm kiểm tra lại" in page and "data-save-url" in page
    saved = _post(client, eg, [(s, "TX1", "7", None)])
    assert _by_cell(saved)[(s.pk, "TX1")]["status"] == "saved"
    score = Score.objects.get()
    assert score.changes.get().reason == "Bổ sung điểm kiểm tra lại"
    fragment = client.get(f"/s/test-a/grades/scores/{score.pk}/history/", HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "Bổ sung điểm kiểm tra lại" in text and "Vũ Giáo Viên" in text and "<html" not in text


def test_malformed_requests_get_400_with_a_reason(client, eg):
    client.force_login(eg.world.teacher_a)
    url = _grid(eg, page="save/")
    for body in ("not json", json.dumps({"cells": "TX1"}), json.dumps([1, 2]), json.dumps({"cells": [1]})):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400 and "JSON" in response.json()["error"], body
    assert client.get(url).status_code == 405


# --- history --------------------------------------------------------------------------------------------


def test_cell_history_old_to_new_who_when_for_the_grids_readers(client, eg):
    s = eg.students[1]
    _post_as_teacher(client, eg, [(s, "GK", "5", None)])
    _post(client, eg, [(s, "GK", "6,5", 1)])
    score = Score.objects.get()
    url = f"/s/test-a/grades/scores/{score.pk}/history/"
    page = client.get(url).content.decode()
    assert "<html" in page and "Lịch sử ô GK" in page
    assert page.index("<td>5,0</td><td>6,5</td>") < page.index("<td>—</td><td>5,0</td>")  # newest first
    assert f'data-history-url="{url}"' in client.get(_grid(eg)).content.decode()
    for user in (eg.world.principal_a, eg.homeroom.user):
        client.force_login(user)
        assert client.get(url).status_code == 200


# --- the gradebook home -----------------------------------------------------------------------------------


def test_home_lists_the_teachers_assignments_with_progress(client, eg):
    _post_as_teacher(
        client, eg, [(s, "TX1", "8", None) for s in eg.students] + [(eg.students[0], "GK", "7", None)]
    )
    page = client.get("/s/test-a/grades/").content.decode()
    assert "Toán" in page and "Giáo dục thể chất" in page
    assert "4/18" in page  # 3 students × (4 TX + GK + CK), 4 filled in term I
    assert "0/12" in page  # Giáo dục thể chất: 3 × (2 + 2)
    assert _grid(eg) in page and "Tất cả các lớp" not in page
    client.force_login(eg.homeroom.user)  # the homeroom teacher sees the class's subjects, read-only
    page = client.get("/s/test-a/grades/").content.decode()
    assert "4/18" in page and "chỉ xem" in page
    client.force_login(eg.other.user)
    page = client.get("/s/test-a/grades/").content.decode()
    assert "Bạn chưa được phân công" in page and "Toán" not in page


def test_managers_see_every_class_with_constant_queries(client, eg):
    _post_as_teacher(client, eg, [(eg.students[0], "TX1", "8", None)])
    client.force_login(eg.world.principal_a)

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/s/test-a/grades/")
        assert response.status_code == 200
        return len(captured), response.content.decode()

    count()  # warm-up: the first request caches the school and the access check
    few, page = count()
    assert "Tất cả các lớp" in page and "1/18" in page and "Hạn nhập điểm" in page and "Mở khóa" in page
    grade = GradeLevel.objects.get(number=7)
    for n in range(6):
        school_class = SchoolClass.objects.create(name=f"7A{n}", grade=grade, year=eg.year)
        student_enrol(f"HS7-{n}", school_class, f"Học Sinh Bảy {n}")
        for subject in (eg.toan, eg.gdtc):
            subject7 = Subject.objects.get(level=subject.level, code=subject.code)
            TeachingAssignment.objects.create(teacher=eg.other, school_class=school_class, subject=subject7)
    many, page = count()
    assert "7A5" in page and many == few, (few, many)


# --- the spreadsheet behaviour (static/js/gradebook.js) in a real browser ----------------------------------


@pytest.fixture
def committed_grid(django_db_blocker):
    """A class of school A with three students where Vũ Giáo Viên teaches Toán, committed so that the live
    server sees it, and a session of that teacher; everything is removed afterwards."""
    from django.test import Client

    from tenants.models import School

    tag = uuid4().hex[:6]
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        teacher_user = User.objects.get(phone="+84900000013")
        client = Client()
        client.force_login(teacher_user)
        with schema_context(school.schema_name):
            year = SchoolYear.objects.get(is_current=True)
            g = GradebookWorld()
            g.teacher = StaffMember.objects.get(user=teacher_user)
            g.other = StaffMember.objects.exclude(pk=g.teacher.pk).first()
            g.term = year.terms.get(number=1)
            g.toan = Subject.objects.get(level="lower_secondary", code="toan")
            grade = GradeLevel.objects.get(number=6)
            _, plans_undo = plans_generate_undoable(year, grade, g.toan)
            g.school_class = SchoolClass.objects.create(name=f"6Z-{tag}", grade=grade, year=year)
            g.math = TeachingAssignment.objects.create(
                teacher=g.teacher, school_class=g.school_class, subject=g.toan
            )
            g.students = [
                student_enrol(f"BR-{tag}-{n}", g.school_class, f"Trình Duyệt {letter}")
                for n, letter in enumerate("ABC")
            ]
        g.session = client.cookies["sessionid"].value
        g.schema = school.schema_name
    yield g
    with django_db_blocker.unblock(), schema_context(school.schema_name):
        EntryDeadline.objects.filter(term=g.term, subject=g.toan).delete()
        Score.objects.filter(student__in=g.students).delete()
        Enrolment.objects.filter(student__in=g.students).delete()
        Student.objects.filter(pk__in=[s.pk for s in g.students]).delete()
        g.math.delete()
        g.school_class.delete()
        plans_undo()


@pytest.mark.browser
def test_the_grid_behaves_like_a_spreadsheet(browser, live_server_url, committed_grid, django_db_blocker):
    from playwright.sync_api import expect

    g = committed_grid
    a, b, c = g.students  # listed by name: Trình Duyệt A, B, C
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": g.session, "url": live_server_url}])
    page = context.new_page()
    page.goto(f"{live_server_url}/s/test-a/grades/assignments/{g.math.pk}/terms/{g.term.pk}/")

    cell = partial(grid_cell, page)

    # typing "7,5" then Enter saves it and moves down
    cell(a, "TX1").click()
    page.keyboard.type("7,5")
    page.keyboard.press("Enter")
    expect(cell(b, "TX1")).to_be_focused()
    expect(cell(a, "TX1")).to_have_attribute("data-version", "1")
    expect(cell(a, "TX1")).to_have_attribute("data-history-url", re.compile(r"/history/$"))
    # an invalid value is marked with the reason and kept; Escape puts back the saved (empty) value
    page.keyboard.type("11")
    page.keyboard.press("Tab")
    expect(cell(b, "TX1")).to_have_class(re.compile("is-invalid"))
    expect(page.locator(f'tr[data-student="{b.pk}"] .cell-note')).to_contain_text("thang điểm 10")
    expect(cell(b, "TX1")).to_have_value("11")
    cell(b, "TX1").focus()
    page.keyboard.press("Escape")
    expect(cell(b, "TX1")).to_have_value("")
    expect(cell(b, "TX1")).not_to_have_class(re.compile("is-invalid"))
    # arrows: right leaves the cell when its text is all selected, up moves to the row above
    page.keyboard.press("ArrowRight")
    expect(cell(b, "TX2")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(cell(a, "TX2")).to_be_focused()
    # a block pasted from Excel fills right and down, saved in one request; the average comes back
    paste_from_excel(page, f'.cell[data-row="{a.pk}"][data-col="TX2"]', "8\t9\t7\t6\t8\r\n5\t5\r\n")
    expect(cell(a, "CK")).to_have_attribute("data-version", "1")
    expect(cell(b, "TX3")).to_have_value("5,0")
    expect(page.locator(f'[data-row-value="{a.pk}"][data-field="average"]')).to_have_text("7,5")  # 67,5 / 9
    # someone else saved the cell meanwhile: a conflict naming them, then "Lấy giá trị mới"
    with django_db_blocker.unblock(), schema_context(g.schema):
        Score.objects.filter(student=a, column="TX1").update(
            value=Decimal("9.0"), version=2, updated_by=g.other
        )
    cell(a, "TX1").fill("5")
    cell(a, "TX1").press("Enter")
    expect(cell(a, "TX1")).to_have_class(re.compile("is-conflict"))
    expect(page.locator(f'tr[data-student="{a.pk}"] .cell-note')).to_contain_text(g.other.full_name)
    page.get_by_role("button", name="Lấy giá trị mới").click()
    expect(cell(a, "TX1")).to_have_value("9,0")
    expect(cell(a, "TX1")).to_have_attribute("data-version", "2")
    # Alt+H shows the history of the focused cell
    cell(a, "TX2").focus()
    page.keyboard.press("Alt+KeyH")
    expect(page.locator("[data-grid-history]")).to_contain_text("Lịch sử ô TX2")
    # after the deadline, the refusal is shown in the status bar and the cell keeps what was typed
    with django_db_blocker.unblock(), schema_context(g.schema):
        EntryDeadline.objects.create(
            term=g.term, subject=g.toan, deadline=timezone.now() - timedelta(hours=1)
        )
    cell(c, "GK").fill("6")
    cell(c, "GK").press("Enter")
    expect(page.locator("[data-grid-status]")).to_contain_text("Đã quá hạn nhập điểm")
    expect(cell(c, "GK")).to_have_value("6")
    with django_db_blocker.unblock(), schema_context(g.schema):
        assert Score.objects.filter(student__in=g.students).exclude(value=None).count() == 8
    context.close()
