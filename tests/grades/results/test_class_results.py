"""The homeroom teacher's pages: conduct per term and the class results per term and
year, computed by Circular 22 (grades.rules.circular22), with a number of queries
that does not grow with the class."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.models import User
from grades.cells import GradeError
from grades.entry.services import scores_save
from grades.models import AssessmentPlan, Conduct
from grades.results.selectors import INCOMPLETE, class_results
from grades.results.services import ConductError, conduct_set
from grades.rules import circular22
from grades.rules.circular22 import Level, Outcome
from schoolbook.audit.models import AuditEvent
from tests.factories import assignment_make, parent_make, staff_make, student_enrol
from tests.gradebook_world import gradebook_world

SIX_SCORED = ("toan", "ngu-van", "ngoai-ngu-1", "lich-su-dia-li", "khoa-hoc-tu-nhien", "tin-hoc")


@pytest.fixture
def hr(world):
    """School A: class 6A1 with Vũ Giáo Viên as homeroom teacher, teaching Toán (scored) and Giáo dục thể chất
    (Đạt / Chưa đạt) in it, and three students; 6A2 has one student of its own."""
    with schema_context(world.school_a.schema_name):
        names = [f"Học Sinh {chr(67 - n)}" for n in range(3)]  # C, B, A
        yield gradebook_world(world, students=names, outsider="Học Sinh Khác", homeroom="teacher")


def _count(assignment):
    return AssessmentPlan.objects.get(
        year=assignment.school_class.year, grade=assignment.school_class.grade, subject=assignment.subject
    ).regular_count


def _fill(g, assignment, term, rows):
    """rows: {student: (regular texts, GK, CK)}; the regular texts must cover the plan's TX1…TXn."""
    cells = []
    for student, (regular, mid, final) in rows.items():
        assert len(regular) == _count(assignment)
        for n, text in enumerate(regular, start=1):
            cells.append({"student_id": student.pk, "column": f"TX{n}", "text": text, "version": None})
        cells.append({"student_id": student.pk, "column": "GK", "text": mid, "version": None})
        cells.append({"student_id": student.pk, "column": "CK", "text": final, "version": None})
    result = scores_save(actor_staff=g.teacher, assignment=assignment, term=term, cells=cells)
    assert not result.invalid and not result.conflicts


# --- conduct ----------------------------------------------------------------------------------------------


def test_homeroom_teacher_sets_conduct_and_codes_are_accepted(hr):
    s0, s1, s2 = hr.students
    changed = conduct_set(
        actor_staff=hr.teacher,
        school_class=hr.a1,
        term=hr.term1,
        ratings={s0.pk: "T", s1.pk: "cđ", s2.pk: "Khá"},
    )
    assert changed == 3
    assert dict(Conduct.objects.values_list("student_id", "rating")) == {
        s0.pk: "Tốt",
        s1.pk: "Chưa đạt",
        s2.pk: "Khá",
    }
    assert Conduct.objects.get(student=s0).rated_by == hr.teacher
    event = AuditEvent.objects.get(action="conduct.set")
    assert event.after["ratings"][str(s1.pk)] == "Chưa đạt"
    # unchanged values are not rewritten nor audited again
    assert conduct_set(actor_staff=hr.teacher, school_class=hr.a1, term=hr.term1, ratings={s0.pk: "Tốt"}) == 0
    assert AuditEvent.objects.filter(action="conduct.set").count() == 1


def test_only_the_homeroom_teacher_sets_conduct(hr):
    with pytest.raises(GradeError):
        conduct_set(
            actor_staff=hr.principal, school_class=hr.a1, term=hr.term1, ratings={hr.students[0].pk: "T"}
        )
    assert not Conduct.objects.exists()


def test_a_bad_value_or_an_outsider_saves_nothing(hr):
    s0, s1, _ = hr.students
    with pytest.raises(ConductError) as refused:
        conduct_set(
            actor_staff=hr.teacher,
            school_class=hr.a1,
            term=hr.term1,
            ratings={s0.pk: "Tốt", s1.pk: "Xuất sắc", hr.outsider.pk: "Khá"},
        )
    assert set(refused.value.errors) == {s1.pk, hr.outsider.pk}
    assert "Xuất sắc" in refused.value.errors[s1.pk]
    assert not Conduct.objects.exists() and not AuditEvent.objects.filter(action="conduct.set").exists()


# --- results ------------------------------------------------------------------------------------------------


def _two_subjects(hr):
    """HS0 (Học Sinh C): Toán I → 74/9 = 8.2, Toán II → 9.0; Giáo dục thể chất I Đạt, II Chưa đạt."""
    s0 = hr.students[0]
    _fill(hr, hr.math, hr.term1, {s0: (["7", "8", "9", "8"], "9", "8")})
    _fill(hr, hr.math, hr.term2, {s0: (["9", "9", "9", "9"], "9", "9")})
    _fill(hr, hr.pe, hr.term1, {s0: (["Đ", "Đ"], "Đ", "Đ")})
    _fill(hr, hr.pe, hr.term2, {s0: (["Đ", "CĐ"], "Đ", "Đ")})
    for term in (hr.term1, hr.term2):
        conduct_set(actor_staff=hr.teacher, school_class=hr.a1, term=term, ratings={s0.pk: "Tốt"})
    return s0


def test_term_results_by_the_rules_listed_by_name(hr):
    s0 = _two_subjects(hr)
    results = class_results(hr.a1, hr.term1)
    assert [s.name for s in results.subjects] == ["Toán", "Giáo dục thể chất"]
    assert [row.student.full_name for row in results.rows] == ["Học Sinh A", "Học Sinh B", "Học Sinh C"]
    row = next(row for row in results.rows if row.student == s0)
    assert row.results == [Decimal("8.2"), True]  # (7+8+9+8 + 2·9 + 3·8) / 9 = 8.22 → 8.2
    assert row.cells == ["8,2", "Đ"]
    # fewer than 6 scored subjects: the table gives Chưa đạt, as the rules compute it
    expected = circular22.learning_result({"toan": Decimal("8.2")}, {"gdtc": True})
    assert row.learning == expected.label
    assert row.conduct == "Tốt"
    other = next(row for row in results.rows if row.student == hr.students[1])
    assert other.results == [None, None] and other.learning == INCOMPLETE and other.conduct == ""


def test_year_results_promotion_resit_and_award(hr):
    s0 = _two_subjects(hr)
    row = next(row for row in class_results(hr.a1).rows if row.student == s0)
    # year average (8.2 + 2·9.0) / 3 = 8.73 → 8.7; a comment-only subject's year result is semester II
    assert row.results == [Decimal("8.7"), False]
    learning = circular22.learning_result({"toan": Decimal("8.7")}, {"gdtc": False})
    assert row.learning == learning.label == Level.CHUA_DAT.label
    assert row.conduct == circular22.year_conduct(Level.TOT, Level.TOT).label == "Tốt"
    assert row.outcome == Outcome.RESIT.label  # conduct ≥ Đạt, learning Chưa đạt → re-sit in summer
    assert row.resit == ["Giáo dục thể chất"]
    assert row.award == ""


def test_year_conduct_chua_dat_means_summer_training(hr):
    s0 = _two_subjects(hr)
    conduct_set(actor_staff=hr.teacher, school_class=hr.a1, term=hr.term1, ratings={s0.pk: "Tốt"})
    conduct_set(actor_staff=hr.teacher, school_class=hr.a1, term=hr.term2, ratings={s0.pk: "CĐ"})
    row = next(row for row in class_results(hr.a1).rows if row.student == s0)
    assert row.conduct == "Chưa đạt"  # semester II Chưa đạt: the year is Chưa đạt whatever semester I was
    assert row.conduct == circular22.year_conduct(Level.TOT, Level.CHUA_DAT).label
    # Circular 22 art. 13: trains in the summer; re-sits (learning Chưa đạt) wait for a conduct ≥ Đạt
    assert row.outcome == Outcome.SUMMER_TRAINING.label == "Rèn luyện trong hè"
    assert row.resit == []


def test_year_award_with_six_scored_subjects(hr):
    s0 = hr.students[0]
    assignments = [hr.math] + [assignment_make(hr.teacher, hr.a1, code) for code in SIX_SCORED[1:]]
    for assignment in assignments:
        count = _count(assignment)
        for term in (hr.term1, hr.term2):
            _fill(hr, assignment, term, {s0: (["9"] * count, "9", "9,5")})
    for term in (hr.term1, hr.term2):
        _fill(hr, hr.pe, term, {s0: (["Đ", "Đ"], "Đ", "Đ")})
    conduct_set(actor_staff=hr.teacher, school_class=hr.a1, term=hr.term1, ratings={s0.pk: "Khá"})
    conduct_set(actor_staff=hr.teacher, school_class=hr.a1, term=hr.term2, ratings={s0.pk: "Tốt"})
    row = next(row for row in class_results(hr.a1).rows if row.student == s0)
    assert row.learning == "Tốt"
    assert row.conduct == "Tốt"  # II Tốt and I at least Khá
    assert row.outcome == Outcome.PROMOTED.label and row.resit == []
    assert row.award == circular22.AWARD_EXCELLENT  # 6 subjects with a year average ≥ 9.0
    # semester II conduct Khá: no award at all (Học sinh Giỏi needs conduct Tốt)
    conduct_set(actor_staff=hr.teacher, school_class=hr.a1, term=hr.term2, ratings={s0.pk: "K"})
    row = next(row for row in class_results(hr.a1).rows if row.student == s0)
    assert row.conduct == "Khá" and row.award == "" and row.outcome == Outcome.PROMOTED.label


def _queries(hr, term):
    with CaptureQueriesContext(connection) as captured:
        class_results(hr.a1, term)
    return len(captured)


def test_query_count_does_not_grow_with_students(hr, django_assert_max_num_queries):
    def scores_for(students):
        _fill(hr, hr.math, hr.term1, {s: (["8", "8", "8", "8"], "8", "8") for s in students})
        _fill(hr, hr.math, hr.term2, {s: (["8", "8", "8", "8"], "8", "8") for s in students})
        conduct_set(
            actor_staff=hr.teacher, school_class=hr.a1, term=hr.term1, ratings={s.pk: "T" for s in students}
        )

    scores_for(hr.students)
    small = {term: _queries(hr, term) for term in (hr.term1, None)}
    more = [student_enrol(f"HS-MORE{n}", hr.a1, f"Học Sinh Thêm {n}") for n in range(7)]
    Conduct.objects.all().delete()
    from grades.models import Score

    Score.objects.all().delete()
    scores_for(hr.students + more)
    assert len(class_results(hr.a1, hr.term1).rows) == 10
    for term, count in small.items():
        with django_assert_max_num_queries(count):
            class_results(hr.a1, term)


# --- pages --------------------------------------------------------------------------------------------------


def _url(hr, page, query=""):
    return f"/s/test-a/grades/classes/{hr.a1.pk}/{page}/{query}"


def test_results_page_for_homeroom_teacher_and_managers(client, hr):
    _two_subjects(hr)
    client.force_login(hr.world.teacher_a)
    page = client.get(_url(hr, "results", f"?term={hr.term1.pk}")).content.decode()
    assert "Kết quả học tập" in page and "Kết quả rèn luyện" in page and "8,2" in page
    year = client.get(_url(hr, "results", "?term=year"))
    assert (
        year.status_code == 200
        and "8,7" in year.content.decode()
        and "Kiểm tra lại trong hè" in (year.content.decode())
    )
    client.force_login(hr.world.principal_a)
    assert client.get(_url(hr, "results")).status_code == 200
    assert client.get(_url(hr, "conduct")).status_code == 404  # managers see results, only the homeroom rates


def test_other_teacher_and_outsider_get_404(client, hr):
    staff_make(hr.world, "0900000099", "Ngô Khác")
    client.force_login(User.objects.get(phone="+84900000099"))
    assert client.get(_url(hr, "results")).status_code == 404
    assert client.get(_url(hr, "conduct")).status_code == 404
    client.force_login(hr.world.staff_b)
    assert client.get(_url(hr, "results")).status_code == 404
    assert client.get(_url(hr, "conduct")).status_code == 404


def test_conduct_form_saves_all_or_nothing(client, hr):
    s0, s1, _ = hr.students
    client.force_login(hr.world.teacher_a)
    url = _url(hr, "conduct", f"?term={hr.term2.pk}")
    page = client.get(url).content.decode()
    assert f'name="conduct-{s0.pk}"' in page
    refused = client.post(url, {f"conduct-{s0.pk}": "Tốt", f"conduct-{s1.pk}": "Giỏi"})
    assert refused.status_code == 400 and "Giỏi" in refused.content.decode()
    assert not Conduct.objects.exists()
    saved = client.post(url, {f"conduct-{s0.pk}": "Tốt", f"conduct-{s1.pk}": "Đạt"})
    assert saved.status_code == 302
    assert dict(Conduct.objects.filter(term=hr.term2).values_list("student_id", "rating")) == {
        s0.pk: "Tốt",
        s1.pk: "Đạt",
    }


def test_a_parent_of_a_child_in_the_class_gets_404_on_staff_grade_pages(client, hr):
    """Guardians pass the school's access check, so the grade pages must refuse them themselves."""
    parent = parent_make(hr.world, hr.students[0], "0900000098", "Phụ Huynh Lớp 6A1")
    client.force_login(parent)
    assert client.get("/s/test-a/").status_code == 200  # a parent of this school
    for path in (_url(hr, "results"), _url(hr, "conduct"), "/s/test-a/grades/plan/"):
        assert client.get(path).status_code == 404, path
