"""Primary entry by Circular 27: a subject teacher's ratings, written tests and comments per
checkpoint, the homeroom teacher's qualities, competencies and general comment, the class's end-of-year
results, with per-cell validation, conflicts, deadlines and unlocks, access (404) and fixed query counts.

School A is a lower secondary school; each test seeds the primary catalogue into it (grades 1–5 and their
subjects, students.services.catalogue_seed) inside the test's transaction, which is much faster than
onboarding a third school."""

import json
import re
import unicodedata
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from grades.cells import CONFLICT, INVALID, SAVED, UNCHANGED, GradeError
from grades.entry.services import entry_unlock
from grades.locks import lock_state
from grades.models import EntryDeadline, PrimaryQuality, PrimaryRating, PrimaryReview, Unlock
from grades.primary.services import SLUG_OF_ITEM, primary_qualities_save, primary_ratings_save
from grades.rules.circular27 import COMPETENCIES, QUALITIES, Checkpoint
from schoolbook.audit.models import AuditEvent
from students.models import GradeLevel, SchoolClass, SchoolYear, StaffMember, SubjectLoad, TeachingAssignment
from students.services import catalogue_seed
from tests.factories import assignment_make, parent_make, staff_make, student_enrol
from tests.gradebook_world import GradebookWorld, cells_from, page_queries

MID1, END1, MID2, END = (
    Checkpoint.MID_SEMESTER_I,
    Checkpoint.END_OF_SEMESTER_I,
    Checkpoint.MID_SEMESTER_II,
    Checkpoint.END_OF_YEAR,
)


@pytest.fixture
def pr(world):
    """School A with the primary catalogue: class 4A (Vũ Giáo Viên homeroom, teaching every grade-4 subject
    but Ngoại ngữ 1, which Ngô Khác teaches) with three students listed C, B, A; class 3A (Toán by Vũ Giáo
    Viên) with one student; a secondary class 6A1."""
    with schema_context(world.school_a.schema_name):
        p = GradebookWorld()
        p.world = world
        catalogue_seed(levels=["primary"], today=timezone.localdate())
        p.year = SchoolYear.objects.get(is_current=True)
        p.term1, p.term2 = p.year.terms.get(number=1), p.year.terms.get(number=2)
        p.teacher = StaffMember.objects.get(user=world.teacher_a)
        p.principal = StaffMember.objects.get(user=world.principal_a)
        p.other = staff_make(world, "0900000097", "Ngô Khác")
        grade4, grade3 = GradeLevel.objects.get(number=4), GradeLevel.objects.get(number=3)
        p.c4 = SchoolClass.objects.create(name="4A", grade=grade4, year=p.year, homeroom_teacher=p.teacher)
        p.c3 = SchoolClass.objects.create(name="3A", grade=grade3, year=p.year)
        p.secondary = SchoolClass.objects.create(
            name="6A1", grade=GradeLevel.objects.get(number=6), year=p.year, homeroom_teacher=p.teacher
        )
        p.subjects = {
            load.subject.code: load.subject
            for load in SubjectLoad.objects.filter(grade=grade4, subject__level="primary").select_related(
                "subject"
            )
        }
        p.assignments = {
            code: TeachingAssignment.objects.create(
                teacher=p.other if code == "ngoai-ngu-1" else p.teacher, school_class=p.c4, subject=subject
            )
            for code, subject in p.subjects.items()
        }
        p.math, p.viet, p.ethics = (p.assignments[c] for c in ("toan", "tieng-viet", "dao-duc"))
        p.english = p.assignments["ngoai-ngu-1"]
        p.math3 = TeachingAssignment.objects.create(
            teacher=p.teacher, school_class=p.c3, subject=p.subjects["toan"]
        )
        p.secondary_math = assignment_make(p.teacher, p.secondary, "toan")
        p.students = [_student(f"P4-{n}", p.c4, f"Học Sinh {chr(67 - n)}") for n in range(3)]
        p.pupil3 = _student("P3-0", p.c3, "Học Sinh Lớp Ba")
        yield p


def _student(code, school_class, name):
    return student_enrol(code, school_class, name, born="2016-01-01", gender="female")


def _rate(p, rows, assignment=None, checkpoint=END1, actor=None, now=None):
    return primary_ratings_save(
        actor_staff=actor or p.teacher,
        assignment=assignment or p.math,
        checkpoint=checkpoint,
        cells=cells_from(rows),
        now=now,
    )


def _qualities(p, rows, checkpoint=END1, actor=None, now=None):
    return primary_qualities_save(
        actor_staff=actor or p.teacher,
        school_class=p.c4,
        checkpoint=checkpoint,
        cells=cells_from(rows),
        now=now,
    )


def _sent(result):
    """The results of the cells that were sent (the save adds the row's other columns after them)."""
    return [(c.student_id, c.column, c.status) for c in result.cells]


# --- subject ratings, tests, comments -----------------------------------------------------------------------


def test_bad_cells_are_reported_with_reasons_while_valid_ones_save(pr):
    s0, s1, s2 = pr.students
    decomposed = unicodedata.normalize("NFD", "  Em tính nhanh, cẩn thận.  ")
    result = _rate(
        pr,
        [
            (s0, "rating", "T", None),
            (s0, "test", "9", None),
            (s0, "comment", decomposed, None),
            (s1, "rating", "hoàn thành tốt", None),  # the full label, any case
            (s1, "test", "7.5", None),
            (s2, "rating", "Giỏi", None),
            (s2, "test", "11", None),
            (s2, "comment", "x" * 501, None),
            (pr.pupil3, "rating", "T", None),  # not in 4A
            (s2, "score", "T", None),  # no such column
        ],
    )
    by_cell = {(c.student_id, c.column): c for c in result.cells}
    assert [by_cell[(s0.pk, col)].status for col in ("rating", "test", "comment")] == [SAVED] * 3
    assert by_cell[(s1.pk, "rating")].status == SAVED and by_cell[(s1.pk, "rating")].text == "T"
    invalid = {(c.student_id, c.column): c.reason for c in result.invalid}
    assert "số nguyên từ 0 đến 10" in invalid[(s1.pk, "test")]
    assert "“Giỏi” không hợp lệ" in invalid[(s2.pk, "rating")] and "T, H, C" in invalid[(s2.pk, "rating")]
    assert "số nguyên từ 0 đến 10" in invalid[(s2.pk, "test")]
    assert "501 ký tự" in invalid[(s2.pk, "comment")] and "500" in invalid[(s2.pk, "comment")]
    assert "không thuộc lớp 4A" in invalid[(pr.pupil3.pk, "rating")]
    assert "score" in invalid[(s2.pk, "score")]
    row0 = PrimaryRating.objects.get(student=s0, checkpoint=END1)
    assert (row0.rating, row0.test_score, row0.version) == ("T", 9, 1)  # one version for the three cells
    assert row0.comment == "Em tính nhanh, cẩn thận." and unicodedata.is_normalized("NFC", row0.comment)
    assert row0.year == pr.year and row0.updated_by == pr.teacher
    assert PrimaryRating.objects.get(student=s1).rating == "T"
    assert not PrimaryRating.objects.filter(student__in=[s2, pr.pupil3]).exists()
    event = AuditEvent.objects.get(action="primary_rating.save")
    assert event.after["cells"][f"{s0.pk}:test"] == "9" and event.before["cells"][f"{s0.pk}:test"] == ""


def test_negative_and_decimal_tests_are_refused_and_clearing_works(pr):
    s0 = pr.students[0]
    for text in ("-1", "7,5", "7.0", "mười"):
        result = _rate(pr, [(s0, "test", text, None)])
        assert result.cells[0].status == INVALID, text
    assert _rate(pr, [(s0, "test", "0", None)]).cells[0].status == SAVED  # 0 is allowed (decisions.md)
    cleared = _rate(pr, [(s0, "test", "", 1)])
    assert (cleared.cells[0].status, cleared.cells[0].version, cleared.cells[0].text) == (SAVED, 2, "")
    assert PrimaryRating.objects.get(student=s0).test_score is None


def test_a_test_score_only_where_the_grade_sits_a_test(pr):
    s0 = pr.students[0]
    # Đạo đức has no written test at all; Toán in grade 3 has none at mid-semester
    ethics = _rate(
        pr, [(s0, "test", "8", None), (s0, "rating", "H", None)], assignment=pr.ethics, checkpoint=END
    )
    assert _sent(ethics)[:2] == [(s0.pk, "test", INVALID), (s0.pk, "rating", SAVED)]
    assert "Đạo đức lớp 4 không có bài kiểm tra định kì ở mốc Cuối năm học" in ethics.cells[0].reason
    grade3 = _rate(pr, [(pr.pupil3, "test", "8", None)], assignment=pr.math3, checkpoint=MID1)
    assert grade3.cells[0].status == INVALID and "lớp 3" in grade3.cells[0].reason
    # grades 4 and 5 sit mid-semester tests in Tiếng Việt and Toán
    for assignment, checkpoint in ((pr.math, MID1), (pr.viet, MID1), (pr.math, MID2), (pr.viet, MID2)):
        result = _rate(pr, [(s0, "test", "8", None)], assignment=assignment, checkpoint=checkpoint)
        assert result.cells[0].status == SAVED, (assignment.subject.code, checkpoint)
    assert (
        _rate(pr, [(pr.pupil3, "test", "6", None)], assignment=pr.math3, checkpoint=END1).cells[0].status
        == SAVED
    )


def test_saving_one_column_returns_the_rows_other_columns_with_the_new_version(pr):
    s0 = pr.students[0]
    first = _rate(pr, [(s0, "rating", "H", None)])
    assert sorted((c.column, c.status, c.version, c.text) for c in first.cells) == [
        ("comment", UNCHANGED, 1, ""),
        ("rating", SAVED, 1, "H"),
        ("test", UNCHANGED, 1, ""),
    ]
    # the grid now holds version 1 for every column of the row, so the next cell saves
    second = _rate(pr, [(s0, "comment", "Cần luyện chữ", 1)])
    assert (second.cells[0].column, second.cells[0].status, second.cells[0].version) == ("comment", SAVED, 2)
    same = _rate(pr, [(s0, "rating", "Hoàn thành", 2)])
    assert (
        same.cells == [same.cells[0]] and same.cells[0].status == UNCHANGED
    )  # nothing changed, nothing added


def test_second_editor_with_an_old_version_gets_a_conflict(pr):
    s0 = pr.students[0]
    _rate(pr, [(s0, "rating", "H", None)])
    assert _rate(pr, [(s0, "rating", "T", 1)]).cells[0].status == SAVED
    conflict = _rate(pr, [(s0, "rating", "C", 1)]).cells[0]
    assert (conflict.status, conflict.version, conflict.text, conflict.updated_by) == (
        CONFLICT, 2, "T", "Vũ Giáo Viên",
    )  # fmt: skip
    assert "Vũ Giáo Viên" in conflict.reason and "«T»" in conflict.reason
    assert PrimaryRating.objects.get(student=s0).rating == "T"  # no silent overwrite
    both_new = _rate(pr, [(pr.students[1], "rating", "T", None)])
    late = _rate(pr, [(pr.students[1], "rating", "C", None)])  # both saw an empty cell
    assert both_new.cells[0].status == SAVED and (late.cells[0].status, late.cells[0].text) == (CONFLICT, "T")


def test_only_the_assignments_teacher_saves(pr):
    with pytest.raises(GradeError, match="Chỉ giáo viên được phân công"):
        _rate(pr, [(pr.students[0], "rating", "T", None)], actor=pr.principal)
    with pytest.raises(GradeError, match="Chỉ giáo viên được phân công"):
        _rate(pr, [(pr.students[0], "rating", "T", None)], assignment=pr.english)  # Ngô Khác's subject
    assert not PrimaryRating.objects.exists()


# --- deadlines and unlocks ----------------------------------------------------------------------------------


def test_the_checkpoints_term_deadline_locks_entry_until_a_principal_unlocks(pr):
    now = timezone.now()
    s0 = pr.students[0]
    EntryDeadline.objects.create(term=pr.term1, subject=None, deadline=now - timedelta(days=1))
    for checkpoint in (MID1, END1):  # both checkpoints of semester I
        with pytest.raises(GradeError, match="Đã quá hạn nhập đánh giá"):
            _rate(pr, [(s0, "rating", "T", None)], checkpoint=checkpoint, now=now)
    assert _rate(pr, [(s0, "rating", "T", None)], checkpoint=MID2, now=now).cells[0].status == SAVED
    with pytest.raises(GradeError, match="quá hạn nhập đánh giá phẩm chất"):
        _qualities(pr, [(s0, "yeu-nuoc", "T", None)], checkpoint=END1, now=now)
    entry_unlock(
        actor_staff=pr.principal, term=pr.term1, subject=pr.subjects["toan"], school_class=pr.c4,
        reason="Bổ sung điểm kiểm tra", until=now + timedelta(days=1), now=now,
    )  # fmt: skip
    result = _rate(pr, [(s0, "test", "9", None)], checkpoint=END1, now=now + timedelta(hours=1))
    assert result.cells[0].status == SAVED
    event = AuditEvent.objects.filter(action="primary_rating.save").first()
    assert event.after["unlock_reason"] == "Bổ sung điểm kiểm tra"
    with pytest.raises(GradeError, match="Đã quá hạn"):  # the unlock is for Toán only
        _rate(pr, [(s0, "rating", "T", None)], assignment=pr.viet, checkpoint=END1, now=now)
    with pytest.raises(GradeError, match="Đã quá hạn"):  # and ends
        _rate(pr, [(s0, "test", "8", 1)], checkpoint=END1, now=now + timedelta(days=2))


def _unlock(p, subject, school_class, until, now, actor=None, reason="Bổ sung nhận xét cuối kì"):
    return entry_unlock(
        actor_staff=actor or p.principal, term=p.term1, subject=subject, school_class=school_class,
        reason=reason, until=until, now=now,
    )  # fmt: skip


def test_a_homeroom_unlock_reopens_the_qualities_of_its_class_until_it_ends(pr):
    now = timezone.now()
    s0 = pr.students[0]
    pr.c3.homeroom_teacher = pr.other
    pr.c3.save()
    EntryDeadline.objects.create(term=pr.term1, subject=None, deadline=now - timedelta(days=1))
    assert lock_state(term=pr.term1, subject=None, school_class=pr.c4, now=now).locked
    with pytest.raises(GradeError, match=r"quá hạn nhập đánh giá phẩm chất, năng lực.*Hiệu trưởng mở khóa"):
        _qualities(pr, [(s0, "yeu-nuoc", "T", None)], now=now)
    _unlock(pr, pr.subjects["toan"], pr.c4, now + timedelta(days=1), now)
    with pytest.raises(GradeError, match="quá hạn nhập đánh giá phẩm chất"):  # a subject's unlock is not one
        _qualities(pr, [(s0, "yeu-nuoc", "T", None)], now=now)
    unlock = _unlock(pr, None, pr.c4, now + timedelta(days=1), now)
    assert unlock.subject is None and "4A phẩm chất, năng lực" in str(unlock)
    event = AuditEvent.objects.filter(action="grade_entry.unlock").order_by("pk").last()
    assert event.after["subject"] is None and event.after["school_class"] == pr.c4.pk
    later = now + timedelta(hours=1)
    result = _qualities(pr, [(s0, "yeu-nuoc", "T", None), (s0, "comment", "Chăm ngoan", None)], now=later)
    assert [c.status for c in result.cells] == [SAVED, SAVED]
    saved = AuditEvent.objects.get(action="primary_quality.save")
    assert saved.after["unlock_reason"] == "Bổ sung nhận xét cuối kì"
    with pytest.raises(GradeError, match="quá hạn nhập đánh giá phẩm chất"):  # only for 4A
        primary_qualities_save(
            actor_staff=pr.other, school_class=pr.c3, checkpoint=END1,
            cells=cells_from([(pr.pupil3, "yeu-nuoc", "T", None)]), now=later,
        )  # fmt: skip
    with pytest.raises(GradeError, match="để sửa môn Tiếng Việt"):  # nor does it reopen a subject
        _rate(pr, [(s0, "rating", "T", None)], assignment=pr.viet, checkpoint=END1, now=later)
    with pytest.raises(GradeError, match="quá hạn nhập đánh giá phẩm chất"):  # and it ends
        _qualities(pr, [(s0, "yeu-nuoc", "Đ", 1)], now=now + timedelta(days=2))
    assert PrimaryQuality.objects.get(student=s0).rating == "T"


def test_qualities_follow_the_general_deadline_not_a_subjects_own(pr):
    now = timezone.now()
    s0 = pr.students[0]
    EntryDeadline.objects.create(term=pr.term1, subject=pr.subjects["toan"], deadline=now - timedelta(days=1))
    assert _qualities(pr, [(s0, "yeu-nuoc", "T", None)], now=now).cells[0].status == SAVED
    with pytest.raises(GradeError, match="để sửa môn Toán"):
        _rate(pr, [(s0, "rating", "T", None)], checkpoint=END1, now=now)
    EntryDeadline.objects.create(term=pr.term1, subject=None, deadline=now + timedelta(days=1))
    state = lock_state(term=pr.term1, subject=None, school_class=pr.c4, now=now)
    assert (state.deadline, state.unlock, state.locked) == (now + timedelta(days=1), None, False)


def test_only_the_principal_unlocks_the_homeroom_assessments(pr):
    now = timezone.now()
    vice = staff_make(pr.world, "0900000098", "Lý Phó Hiệu Trưởng", roles=[Role.VICE_PRINCIPAL])
    for actor in (pr.teacher, vice):
        with pytest.raises(GradeError, match="Chỉ Hiệu trưởng"):
            _unlock(pr, None, pr.c4, now + timedelta(days=1), now, actor=actor)
    assert not Unlock.objects.exists() and not AuditEvent.objects.filter(action="grade_entry.unlock")


# --- qualities, competencies, general comment ---------------------------------------------------------------


def test_homeroom_teacher_rates_qualities_and_writes_the_general_comment(pr):
    s0, s1, _ = pr.students
    assert len(SLUG_OF_ITEM) == 15 and SLUG_OF_ITEM["tự chủ và tự học"] == "tu-chu"
    result = _qualities(
        pr,
        [
            (s0, "yeu-nuoc", "T", None),
            (s0, "tu-chu", "Đạt", None),
            (s0, "the-chat", "d", None),  # Đ without the stroke
            (s1, "nhan-ai", "cần cố gắng", None),
            (s1, "giao-tiep", "H", None),  # H is a subject rating, not a quality rating
            (s1, "hat-hay", "T", None),
            (s1, "comment", "Em ngoan, hay giúp bạn.", None),
        ],
    )
    assert [c.status for c in result.cells] == [SAVED, SAVED, SAVED, SAVED, INVALID, INVALID, SAVED]
    assert "T, Đ, C" in result.cells[4].reason and "hat-hay" in result.cells[5].reason
    assert dict(PrimaryQuality.objects.filter(student=s0, checkpoint=END1).values_list("item", "rating")) == {
        "yêu nước": "T",
        "tự chủ và tự học": "Đ",
        "thể chất": "Đ",
    }
    review = PrimaryReview.objects.get(student=s1, checkpoint=END1)
    assert (review.comment, review.version, review.updated_by) == ("Em ngoan, hay giúp bạn.", 1, pr.teacher)
    stale = _qualities(pr, [(s0, "yeu-nuoc", "C", None)])
    assert (stale.cells[0].status, stale.cells[0].text) == (CONFLICT, "T")
    assert AuditEvent.objects.filter(action="primary_quality.save").count() == 1


def test_only_the_homeroom_teacher_rates_qualities(pr):
    for actor in (pr.principal, pr.other):
        with pytest.raises(GradeError, match="Chỉ giáo viên chủ nhiệm"):
            _qualities(pr, [(pr.students[0], "yeu-nuoc", "T", None)], actor=actor)
    assert not PrimaryQuality.objects.exists()


# --- end-of-year results ------------------------------------------------------------------------------------

TESTED_4 = ("tieng-viet", "toan", "ngoai-ngu-1", "lich-su-dia-li", "khoa-hoc", "tin-hoc-cong-nghe")


def _complete_year(p, student, rating="T", score="8", quality="T"):
    for code, assignment in p.assignments.items():
        rows = [(student, "rating", rating, None)] + (
            [(student, "test", score, None)] if code in TESTED_4 else []
        )
        actor = p.other if code == "ngoai-ngu-1" else p.teacher
        result = _rate(p, rows, assignment=assignment, checkpoint=END, actor=actor)
        assert not result.invalid, result.invalid
    rows = [(student, slug, quality, None) for slug in SLUG_OF_ITEM.values()]
    assert not _qualities(p, rows, checkpoint=END).invalid


def _url(p, *parts):
    return "/s/test-a/grades/primary/" + "/".join(str(part) for part in parts) + "/"


def test_results_page_shows_the_year_result_or_what_is_missing(client, pr):
    s0, s1, s2 = pr.students
    _complete_year(pr, s0)  # all T, all Tốt, every test 8 → Hoàn thành tốt
    _complete_year(pr, s1, rating="H", score="5", quality="Đ")  # → Hoàn thành
    _rate(pr, [(s2, "rating", "T", None)], checkpoint=END)  # only Toán and one quality
    _qualities(pr, [(s2, "yeu-nuoc", "T", None)], checkpoint=END)
    client.force_login(pr.world.teacher_a)
    response = client.get(_url(pr, "classes", pr.c4.pk, "results"))
    assert response.status_code == 200
    page = response.content.decode()
    rows = page.split('data-student="')[1:]
    assert [row.split('"')[0] for row in rows] == ["P4-2", "P4-1", "P4-0"]  # by name: A, B, C; no rank
    row_a, row_b, row_c = rows
    assert "<strong>Chưa đủ đánh giá</strong>" in row_a
    assert (
        "chưa đánh giá môn Tiếng Việt" in row_a
        and "Toán" not in row_a.split("chưa đánh giá môn")[1].split(";")[0]
    )
    assert "chưa có điểm kiểm tra cuối năm môn Tiếng Việt, Toán" in row_a
    assert "chưa đánh giá phẩm chất, năng lực: nhân ái, chăm chỉ," in row_a and "yêu nước" not in row_a
    assert "<strong>Hoàn thành</strong>" in row_b and "H / 5" in row_b
    assert "<strong>Hoàn thành tốt</strong>" in row_c and "T / 8" in row_c
    assert "hạng" not in page.replace("không xếp hạng", "")


# --- pages and save endpoints over HTTP ---------------------------------------------------------------------


def _post(client, url, rows):
    return client.post(url, json.dumps({"cells": cells_from(rows)}), content_type="application/json")


def test_entry_grid_markup_and_json_save(client, pr):
    s0, s1, _ = pr.students
    _rate(pr, [(s0, "rating", "T", None)], checkpoint=MID1)
    client.force_login(pr.world.teacher_a)
    page = client.get(_url(pr, "assignments", pr.math.pk, MID1.value)).content.decode()
    save_url = _url(pr, "assignments", pr.math.pk, MID1.value, "save")
    assert f'class="gradebook-grid" data-save-url="{save_url}"' in page
    assert f'data-row="{s0.pk}" data-col="rating" data-version="1" value="T"' in page
    assert f'data-row="{s1.pk}" data-col="test" data-version=""' in page  # grade 4 Toán: mid-semester test
    assert f'<textarea class="cell" data-row="{s1.pk}" data-col="comment"' in page
    assert "Cuối học kì I" in page and "js/gradebook.js" in page and "csrfmiddlewaretoken" in page
    response = _post(
        client, save_url, [(s0, "rating", "C", 1), (s1, "test", "10,5", None), (s1, "test", "10", None)]
    )
    assert response.status_code == 200
    body = response.json()
    assert body["rows"] == {}
    cells = [(c["student_id"], c["column"], c["status"], c["version"], c["text"]) for c in body["cells"]]
    assert cells[:3] == [
        (s0.pk, "rating", SAVED, 2, "C"),
        (s1.pk, "test", INVALID, None, ""),
        (s1.pk, "test", INVALID, None, ""),  # the same cell twice in one request
    ]
    assert "số nguyên" in body["cells"][1]["reason"] and "hai lần" in body["cells"][2]["reason"]
    # an end-of-semester page of a subject without tests has no test column
    ethics = client.get(_url(pr, "assignments", pr.ethics.pk, END1.value)).content.decode()
    assert 'data-col="test"' not in ethics and 'data-col="rating"' in ethics
    assert _post(client, save_url, []).json() == {"cells": [], "rows": {}}
    for body in ("not json", '{"cells": "T"}', "[1]"):
        bad = client.post(save_url, body, content_type="application/json")
        assert bad.status_code == 400 and "định dạng" in bad.json()["error"], body
    odd = client.post(
        save_url, '{"cells": [{"student_id": [1], "column": "rating", "text": "T"}]}', "application/json"
    )
    assert odd.json()["cells"][0]["status"] == INVALID


def test_a_deadline_is_a_json_error(client, pr):
    EntryDeadline.objects.create(term=pr.term2, subject=None, deadline=timezone.now() - timedelta(hours=1))
    client.force_login(pr.world.teacher_a)
    response = _post(
        client,
        _url(pr, "assignments", pr.math.pk, END.value, "save"),
        [(pr.students[0], "rating", "T", None)],
    )
    assert response.status_code == 400 and "Đã quá hạn" in response.json()["error"]
    # both grids of a term-2 checkpoint say so before anyone types
    page = client.get(_url(pr, "assignments", pr.math.pk, END.value)).content.decode()
    assert "data-locked" in page and "Đã quá hạn nhập điểm" in page
    page = client.get(_url(pr, "classes", pr.c4.pk, END.value)).content.decode()
    assert "data-locked" in page and "phẩm chất, năng lực và nhận xét chung chỉ được sửa" in page
    page = client.get(_url(pr, "classes", pr.c4.pk, MID1.value)).content.decode()
    assert "data-locked" not in page  # term 1 has no deadline


def test_qualities_grid_and_save_over_http(client, pr):
    s0 = pr.students[0]
    client.force_login(pr.world.teacher_a)
    page = client.get(_url(pr, "classes", pr.c4.pk, MID2.value)).content.decode()
    save_url = _url(pr, "classes", pr.c4.pk, MID2.value, "save")
    assert f'data-save-url="{save_url}"' in page and "Năng lực đặc thù" in page
    assert page.count(f'data-row="{s0.pk}"') == len(QUALITIES) + len(COMPETENCIES) + 1
    response = _post(client, save_url, [(s0, "trung-thuc", "Tốt", None), (s0, "comment", "Chăm ngoan", None)])
    assert [c["status"] for c in response.json()["cells"]] == [SAVED, SAVED]
    page = client.get(_url(pr, "classes", pr.c4.pk, MID2.value)).content.decode()
    assert 'data-col="trung-thuc" data-version="1" value="T"' in page and "Chăm ngoan</textarea>" in page


def test_managers_and_the_homeroom_teacher_read_only(client, pr):
    client.force_login(pr.world.principal_a)
    for path in (
        _url(pr, "assignments", pr.math.pk, END1.value),
        _url(pr, "classes", pr.c4.pk, END1.value),
        _url(pr, "classes", pr.c4.pk, "results"),
    ):
        page = client.get(path)
        assert page.status_code == 200 and "data-save-url" not in page.content.decode(), path
    refused = _post(
        client,
        _url(pr, "assignments", pr.math.pk, END1.value, "save"),
        [(pr.students[0], "rating", "T", None)],
    )
    assert refused.status_code == 403 and "Chỉ giáo viên" in refused.json()["error"]
    refused = _post(
        client, _url(pr, "classes", pr.c4.pk, END1.value, "save"), [(pr.students[0], "yeu-nuoc", "T", None)]
    )
    assert refused.status_code == 403
    # the homeroom teacher reads Ngô Khác's Ngoại ngữ 1 grid; Ngô Khác edits it
    client.force_login(pr.world.teacher_a)
    page = client.get(_url(pr, "assignments", pr.english.pk, END1.value)).content.decode()
    assert "Chế độ chỉ xem" in page and "data-save-url" not in page
    assert _post(client, _url(pr, "assignments", pr.english.pk, END1.value, "save"), []).status_code == 403
    client.force_login(User.objects.get(phone="+84900000097"))
    page = client.get(_url(pr, "assignments", pr.english.pk, END1.value)).content.decode()
    assert "data-save-url" in page
    assert not PrimaryRating.objects.exists() and not PrimaryQuality.objects.exists()


def test_other_teacher_guardian_and_school_b_get_404(client, pr):
    parent = parent_make(pr.world, pr.students[0], "0900000096", "Phụ Huynh Lớp 4A")
    pages = [
        _url(pr, "assignments", pr.math.pk, END1.value),
        _url(pr, "classes", pr.c4.pk, END1.value),
        _url(pr, "classes", pr.c4.pk, "results"),
    ]
    saves = [
        _url(pr, "assignments", pr.math.pk, END1.value, "save"),
        _url(pr, "classes", pr.c4.pk, END1.value, "save"),
    ]
    for user in (User.objects.get(phone="+84900000097"), parent, pr.world.staff_b):
        client.force_login(user)
        for path in pages:
            assert client.get(path).status_code == 404, (user, path)
        for path in saves:
            assert _post(client, path, [(pr.students[0], "rating", "T", None)]).status_code == 404, (
                user,
                path,
            )
    assert not PrimaryRating.objects.exists()


def test_secondary_classes_and_unknown_checkpoints_are_404(client, pr):
    client.force_login(pr.world.teacher_a)  # homeroom teacher and Toán teacher of 6A1 as well
    for path in (
        _url(pr, "assignments", pr.secondary_math.pk, END1.value),
        _url(pr, "classes", pr.secondary.pk, END1.value),
        _url(pr, "classes", pr.secondary.pk, "results"),
        _url(pr, "assignments", pr.math.pk, "cuoi-ky"),
        _url(pr, "classes", pr.c4.pk, "end_of_semester_3"),
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(_url(pr, "assignments", pr.math.pk, END1.value, "save")).status_code == 405


# --- query counts -------------------------------------------------------------------------------------------


def test_pages_and_saves_take_a_fixed_number_of_queries(client, pr, django_assert_max_num_queries):
    client.force_login(pr.world.teacher_a)
    _complete_year(pr, pr.students[0])
    pages = [
        _url(pr, "assignments", pr.math.pk, END.value),
        _url(pr, "classes", pr.c4.pk, END.value),
        _url(pr, "classes", pr.c4.pk, "results"),
    ]
    client.get(pages[0])  # the first request of a session also loads the user's school access (cached)
    small = {path: page_queries(client, path) for path in pages}
    more = [_student(f"P4-MORE{n:02}", pr.c4, f"Học Sinh Thêm {n:02}") for n in range(12)]
    for student in more:
        _complete_year(pr, student)
    for path, count in small.items():
        assert page_queries(client, path) == count, path
    page = client.get(pages[2]).content.decode()
    assert page.count("<strong>Hoàn thành tốt</strong>") == 13
    cells = [
        (s, column, "T" if column == "rating" else "", None) for s in more for column in ("rating", "comment")
    ]
    with CaptureQueriesContext(connection) as few:
        _rate(pr, cells[:2], checkpoint=MID1)
    with django_assert_max_num_queries(len(few)):
        result = _rate(pr, cells[2:], checkpoint=MID1)
    assert len(result.saved) == 11

    def quality_rows(students):
        return [(s, slug, "Đ", None) for s in students for slug in SLUG_OF_ITEM.values()] + [
            (s, "comment", "Chăm ngoan", None) for s in students
        ]

    with CaptureQueriesContext(connection) as few:
        _qualities(pr, quality_rows(more[:1]), checkpoint=MID1)
    with django_assert_max_num_queries(len(few)):
        result = _qualities(pr, quality_rows(more[1:]), checkpoint=MID1)
    assert len(result.saved) == 11 * 16


def test_the_save_needs_the_pages_csrf_token(pr):
    """The grid script sends the page's token as X-CSRFToken (static/js/gradebook.js); without it, 403."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(pr.world.teacher_a)
    page = client.get(_url(pr, "assignments", pr.math.pk, END1.value)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    save_url = _url(pr, "assignments", pr.math.pk, END1.value, "save")
    body = json.dumps({"cells": cells_from([(pr.students[0], "rating", "T", None)])})
    assert client.post(save_url, body, content_type="application/json").status_code == 403
    saved = client.post(save_url, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.json()["cells"][0]["status"] == SAVED
