"""Score entry for secondary subjects: validation cell by cell, conflicts between two
editors, history of a cell, entry deadlines and the principal's unlock, semester averages (Circular 22)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from grades.cells import CONFLICT, INVALID, SAVED, GradeError
from grades.entry.services import entry_unlock, score_history, scores_save, semester_averages
from grades.models import AssessmentPlan, EntryDeadline, Score, ScoreChange
from schoolbook.audit.models import AuditEvent
from tests.factories import assignment_make, student_enrol
from tests.gradebook_world import cells_from, gradebook_world


@pytest.fixture
def gb(world):
    """School A: class 6A1 with three students, Vũ Giáo Viên teaching Toán (4 TX) and Giáo dục thể chất
    (Đạt / Chưa đạt, 2 TX) in it; 6A2 has one student of its own."""
    with schema_context(world.school_a.schema_name):
        names = [f"Học Sinh HS{n}" for n in range(3)]
        yield gradebook_world(world, students=names, outsider="Học Sinh HS-OTHER")


def _save(g, cells, assignment=None, actor=None, now=None):
    return scores_save(
        actor_staff=actor or g.teacher,
        assignment=assignment or g.math,
        term=g.term,
        cells=cells_from(cells),
        now=now,
    )


def _score(student, column, subject=None):
    return Score.objects.get(student=student, column=column, **({"subject": subject} if subject else {}))


# --- saving and validation ------------------------------------------------------------------------------


def test_decimal_comma_is_saved_as_a_decimal(gb):
    s = gb.students[0]
    result = _save(gb, [(s, "TX1", "7,5", None)])
    assert [(c.status, c.version, c.text) for c in result.cells] == [(SAVED, 1, "7,5")]
    score = _score(s, "TX1")
    assert score.value == Decimal("7.5") and score.version == 1 and score.updated_by == gb.teacher


def test_invalid_cells_are_reported_and_valid_cells_in_the_batch_are_saved(gb):
    s0, s1, s2 = gb.students
    result = _save(
        gb,
        [
            (s0, "TX1", "8", None),
            (s0, "TX2", "8,25", None),  # two decimals
            (s1, "TX1", "11", None),  # outside 0–10
            (s1, "GK", "abc", None),
            (s2, "TX5", "7", None),  # the plan for Toán 6 has 4 regular assessments
            (gb.outsider, "TX1", "9", None),  # not in 6A1
            (s2, "CK", "9,5", None),
        ],
    )
    statuses = [(c.column, c.status) for c in result.cells]
    assert statuses == [
        ("TX1", SAVED), ("TX2", INVALID), ("TX1", INVALID), ("GK", INVALID), ("TX5", INVALID),
        ("TX1", INVALID), ("CK", SAVED),
    ]  # fmt: skip
    reasons = [c.reason for c in result.invalid]
    assert "quá một chữ số thập phân" in reasons[0]
    assert "thang điểm 10" in reasons[1]
    assert "không phải là điểm hợp lệ" in reasons[2]
    assert "TX5" in reasons[3] and "kế hoạch đánh giá" in reasons[3]
    assert "không thuộc lớp 6A1" in reasons[4]
    assert {(sc.student_id, sc.column, sc.value) for sc in Score.objects.all()} == {
        (s0.pk, "TX1", Decimal("8.0")),
        (s2.pk, "CK", Decimal("9.5")),
    }


def test_pass_fail_subject_takes_dat_and_chua_dat(gb):
    s0, s1, s2 = gb.students
    result = _save(
        gb, [(s0, "TX1", "Đ", None), (s1, "TX1", "cđ", None), (s2, "TX1", "7", None)], assignment=gb.pe
    )
    assert [c.status for c in result.cells] == [SAVED, SAVED, INVALID]
    assert "Đ (Đạt) hoặc CĐ (Chưa đạt)" in result.cells[2].reason
    assert _score(s0, "TX1").rating is True and _score(s1, "TX1").rating is False
    assert result.cells[1].text == "CĐ"


def test_clearing_a_cell_keeps_the_row_and_its_history(gb):
    s = gb.students[0]
    _save(gb, [(s, "GK", "6", None)])
    result = _save(gb, [(s, "GK", "", 1)])
    assert (result.cells[0].status, result.cells[0].version) == (SAVED, 2)
    score = _score(s, "GK")
    assert score.value is None and score.rating is None and score.version == 2
    assert [(c.old_value, c.new_value) for c in score_history(score)] == [("6,0", ""), ("", "6,0")]


def test_each_save_writes_history_and_increments_version(gb):
    s = gb.students[0]
    _save(gb, [(s, "TX1", "5", None)])
    _save(gb, [(s, "TX1", "6,5", 1)])
    unchanged = _save(gb, [(s, "TX1", "6.5", 2)])  # same value: nothing to record
    assert unchanged.cells[0].status == "unchanged"
    score = _score(s, "TX1")
    assert score.version == 2
    history = score_history(score)
    assert [(c.old_value, c.new_value, c.changed_by) for c in history] == [
        ("5,0", "6,5", gb.teacher),
        ("", "5,0", gb.teacher),
    ]


def test_first_save_locks_the_assessment_plan(gb):
    _save(gb, [(gb.students[0], "TX1", "5", None)])
    plan = AssessmentPlan.objects.get(year=gb.year, grade__number=6, subject=gb.toan)
    assert plan.locked_at is not None


# --- two editors ------------------------------------------------------------------------------------------


def test_second_editor_with_the_same_old_version_gets_a_conflict(gb):
    s = gb.students[0]
    _save(gb, [(s, "TX1", "7", None)])
    first = _save(gb, [(s, "TX1", "8", 1)])
    second = _save(gb, [(s, "TX1", "9", 1)])
    assert first.cells[0].status == SAVED
    conflict = second.cells[0]
    assert (conflict.status, conflict.version, conflict.text) == (CONFLICT, 2, "8,0")
    assert conflict.updated_by == "Vũ Giáo Viên" and "8,0" in conflict.reason
    assert _score(s, "TX1").value == Decimal("8.0")  # no silent overwrite
    assert ScoreChange.objects.count() == 2


def test_two_editors_filling_an_empty_cell_conflict(gb):
    s = gb.students[1]
    _save(gb, [(s, "CK", "7", None)])
    second = _save(gb, [(s, "CK", "4", None)])
    assert (second.cells[0].status, second.cells[0].text) == (CONFLICT, "7,0")
    assert _score(s, "CK").value == Decimal("7.0")


# --- who may save ---------------------------------------------------------------------------------------


def test_only_the_assignments_teacher_may_save(gb):
    with pytest.raises(GradeError, match="Chỉ giáo viên được phân công"):
        _save(gb, [(gb.students[0], "TX1", "7", None)], actor=gb.principal)
    assert not Score.objects.exists()


# --- deadlines and unlocks ------------------------------------------------------------------------------


def test_saving_after_the_deadline_is_refused_until_a_principal_unlocks(gb):
    now = timezone.now()
    s = gb.students[0]
    EntryDeadline.objects.create(term=gb.term, subject=None, deadline=now - timedelta(days=1))
    with pytest.raises(GradeError, match="Đã quá hạn nhập điểm"):
        _save(gb, [(s, "TX1", "7", None)], now=now)
    with pytest.raises(GradeError, match="Chỉ Hiệu trưởng"):
        entry_unlock(
            actor_staff=gb.teacher, term=gb.term, subject=gb.toan, school_class=gb.a1,
            reason="Nhập thiếu", until=now + timedelta(days=2),
        )  # fmt: skip
    entry_unlock(
        actor_staff=gb.principal, term=gb.term, subject=gb.toan, school_class=gb.a1,
        reason="Bổ sung điểm kiểm tra lại", until=now + timedelta(days=2), now=now,
    )  # fmt: skip
    result = _save(gb, [(s, "TX1", "7", None)], now=now + timedelta(hours=1))
    assert result.cells[0].status == SAVED
    assert score_history(_score(s, "TX1"))[0].reason == "Bổ sung điểm kiểm tra lại"
    event = AuditEvent.objects.get(action="grade_entry.unlock")
    assert event.actor == gb.world.principal_a and event.after["reason"] == "Bổ sung điểm kiểm tra lại"
    # the unlock covers only this class and subject, and only until it ends
    with pytest.raises(GradeError, match="Đã quá hạn"):
        _save(gb, [(s, "TX1", "Đ", None)], assignment=gb.pe, now=now + timedelta(hours=1))
    with pytest.raises(GradeError, match="Đã quá hạn"):
        _save(gb, [(s, "TX1", "8", 1)], now=now + timedelta(days=3))


def test_a_subject_deadline_wins_over_the_general_one(gb):
    now = timezone.now()
    EntryDeadline.objects.create(term=gb.term, subject=None, deadline=now - timedelta(days=1))
    EntryDeadline.objects.create(term=gb.term, subject=gb.toan, deadline=now + timedelta(days=1))
    assert _save(gb, [(gb.students[0], "TX1", "7", None)], now=now).cells[0].status == SAVED
    with pytest.raises(GradeError, match="Đã quá hạn"):
        _save(gb, [(gb.students[0], "TX1", "Đ", None)], assignment=gb.pe, now=now)


def test_an_unlock_needs_a_reason_and_a_future_end(gb):
    now = timezone.now()
    kwargs = {"actor_staff": gb.principal, "term": gb.term, "subject": gb.toan, "school_class": gb.a1}
    with pytest.raises(GradeError, match="lý do"):
        entry_unlock(**kwargs, reason="  ", until=now + timedelta(days=1))
    with pytest.raises(GradeError, match="sau thời điểm hiện tại"):
        entry_unlock(**kwargs, reason="Sửa điểm", until=now - timedelta(days=1))


# --- averages ---------------------------------------------------------------------------------------------


def test_semester_average_when_every_required_cell_is_filled(gb):
    AssessmentPlan.objects.filter(year=gb.year, grade__number=6, subject=gb.toan).update(regular_count=3)
    s0, s1, _ = gb.students
    _save(
        gb,
        [(s0, "TX1", "7", None), (s0, "TX2", "8", None), (s0, "TX3", "9", None), (s0, "GK", "9", None),
         (s0, "CK", "8", None), (s1, "TX1", "7", None), (s1, "GK", "9", None), (s1, "CK", "8", None)],
    )  # fmt: skip
    averages = semester_averages(gb.math, gb.term)
    assert averages[s0.pk] == Decimal("8.3")  # 66 / 8 = 8.25 → 8.3 (half up)
    assert averages[s1.pk] is None and averages[gb.students[2].pk] is None
    assert gb.outsider.pk not in averages


def test_pass_fail_semester_result(gb):
    s0, s1, _ = gb.students
    cells = [(s, c, "Đ", None) for s in (s0, s1) for c in ("TX1", "TX2", "GK", "CK")]
    _save(gb, cells, assignment=gb.pe)
    _save(gb, [(s1, "CK", "CĐ", 1)], assignment=gb.pe)
    averages = semester_averages(gb.pe, gb.term)
    assert averages[s0.pk] is True and averages[s1.pk] is False and averages[gb.students[2].pk] is None


# --- a whole column in a constant number of queries -----------------------------------------------------


def test_a_45_cell_column_is_saved_in_a_constant_number_of_queries(gb, django_assert_max_num_queries):
    students = [student_enrol(f"COL{n:02}", gb.a2, f"Học Sinh COL{n:02}") for n in range(45)]
    assignment = assignment_make(gb.teacher, gb.a2, "toan")
    cells = [(s, "TX2", f"{n % 10},5", None) for n, s in enumerate(students)]
    with django_assert_max_num_queries(10):
        result = _save(gb, cells, assignment=assignment)
    assert len(result.saved) == 45 and ScoreChange.objects.count() == 45
    again = [(s, "TX2", "10", 1) for s in students]
    with django_assert_max_num_queries(10):
        result = _save(gb, again, assignment=assignment)
    assert len(result.saved) == 45 and set(Score.objects.values_list("version", flat=True)) == {2}
    assert ScoreChange.objects.count() == 90
