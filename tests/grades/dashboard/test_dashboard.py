"""The principal's dashboard: entry progress, subject averages per class, learning and
conduct distributions, students at risk and re-sit candidates, each figure's drill-down list; checked
against values computed by hand on a small class, with a query count that does not grow with the school."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from grades.dashboard.selectors import Period, class_subjects, dashboard, drill_down, progress_cells
from grades.demo import gradebook_seed
from grades.entry.services import scores_save
from grades.models import AssessmentPlan, EntryDeadline, Score
from grades.results.services import assessment_plan_generate, assessment_plan_update, conduct_set
from students.models import (
    GradeLevel,
    Guardian,
    SchoolClass,
    SchoolYear,
    StaffMember,
    StudentGuardian,
    Subject,
    TeachingAssignment,
)
from students.services import staff_add
from tenants.services import affiliation_add
from tests.factories import student_enrol

# Six scored subjects (the learning-result table needs six) and one comment-only subject, with the number
# of regular assessments (TX) of grade 6: the catalogue's, except Ngoại ngữ 1, which the school sets to 3
# (so that a semester average divides by 8 and can end in ,x5).
SUBJECTS = {
    "toan": 4,
    "ngu-van": 4,
    "ngoai-ngu-1": 3,
    "lich-su-dia-li": 4,
    "khoa-hoc-tu-nhien": 4,
    "tin-hoc": 2,
    "giao-duc-the-chat": 2,
}


class G:
    pass


def _student(code, school_class, name):
    return student_enrol(code, school_class, name, gender="female")


def _cells(student, count, texts):
    """texts: one text for every column, or (regular texts, GK, CK)."""
    if isinstance(texts, str):
        texts = ([texts] * count, texts, texts)
    regular, mid, final = texts
    columns = [f"TX{n}" for n in range(1, len(regular) + 1)] + ["GK", "CK"]
    return [
        {"student_id": student.pk, "column": column, "text": text, "version": None}
        for column, text in zip(columns, [*regular, mid, final], strict=True)
        if text is not None
    ]


@pytest.fixture
def board(world):
    """School A, class 6A1 (homeroom: Vũ Giáo Viên, who teaches the seven subjects), five students:

    | student | Ngoại ngữ 1 (3 TX) | other scored | GDTC | learning | conduct |
    |---|---|---|---|---|---|
    | An    | 7 8 9, GK 9, CK 8 → 66/8 = 8.25 → 8.3 | 9 | Đ | Tốt | Tốt |
    | Bình  | 7 → 7.0 | 7 | Đ | Khá | Tốt |
    | Chi   | TX1 only (incomplete); Ngữ văn without CK | 4 | CĐ | not complete | Chưa đạt |
    | Dung  | 3 → 3.0 | 3 | Đ | Chưa đạt | Khá |
    | Giang | 6,7 → 6.7 | 6,7 | Đ | Khá | not rated |
    """
    with schema_context(world.school_a.schema_name):
        g = G()
        g.world = world
        g.year = SchoolYear.objects.get(is_current=True)
        assessment_plan_generate(actor=world.admin_a, year=g.year)
        g.grade = GradeLevel.objects.get(number=6)
        english = AssessmentPlan.objects.get(year=g.year, grade=g.grade, subject__code="ngoai-ngu-1")
        assessment_plan_update(actor=world.admin_a, plan=english, regular_count=3)
        g.teacher = StaffMember.objects.get(user=world.teacher_a)
        g.a1 = SchoolClass.objects.create(name="6A1", grade=g.grade, year=g.year, homeroom_teacher=g.teacher)
        g.term1, g.term2 = g.year.terms.get(number=1), g.year.terms.get(number=2)
        g.subjects = {code: Subject.objects.get(level="lower_secondary", code=code) for code in SUBJECTS}
        g.assignments = {
            code: TeachingAssignment.objects.create(teacher=g.teacher, school_class=g.a1, subject=subject)
            for code, subject in g.subjects.items()
        }
        names = ["An", "Bình", "Chi", "Dung", "Giang"]
        g.an, g.binh, g.chi, g.dung, g.giang = g.students = [
            _student(f"DB{n}", g.a1, f"Nguyễn Thị {name}") for n, name in enumerate(names)
        ]
        _enter_term(g, g.term1)
        yield g


def _enter_term(g, term):
    plan = {
        g.an: {"ngoai-ngu-1": (["7", "8", "9"], "9", "8"), "*": "9", "giao-duc-the-chat": "Đ"},
        g.binh: {"*": "7", "giao-duc-the-chat": "Đ"},
        g.chi: {
            "ngoai-ngu-1": (["5", None, None], None, None),
            "ngu-van": (["4"] * 4, "4", None),
            "*": "4",
            "giao-duc-the-chat": "CĐ",
        },
        g.dung: {"*": "3", "giao-duc-the-chat": "Đ"},
        g.giang: {"*": "6,7", "giao-duc-the-chat": "Đ"},
    }
    for code, assignment in g.assignments.items():
        cells = []
        for student, texts in plan.items():
            cells += _cells(student, SUBJECTS[code], texts.get(code, texts["*"]))
        result = scores_save(actor_staff=g.teacher, assignment=assignment, term=term, cells=cells)
        assert not result.invalid and not result.conflicts
    ratings = {g.an.pk: "Tốt", g.binh.pk: "Tốt", g.chi.pk: "Chưa đạt", g.dung.pk: "Khá"}
    conduct_set(actor_staff=g.teacher, school_class=g.a1, term=term, ratings=ratings)


def _period(g, term):
    return Period(g.year, term, (g.term1, g.term2))


def _counts(pairs):
    return dict(pairs)


def test_entry_progress_counts_cells_and_flags_overdue(board):
    now = timezone.now()
    EntryDeadline.objects.create(term=board.term1, subject=None, deadline=now - timedelta(days=1))
    # Ngữ văn has its own deadline, still ahead: incomplete but not overdue
    EntryDeadline.objects.create(
        term=board.term1, subject=board.subjects["ngu-van"], deadline=now + timedelta(days=1)
    )
    cells = {cell.subject_id: cell for cell in class_subjects(_period(board, board.term1))}
    english = cells[board.subjects["ngoai-ngu-1"].pk]
    # expected = 5 students × (3 TX + 2) = 25; filled = 5 + 5 + 1 (Chi: TX1) + 5 + 5 = 21 → 84 %
    assert (english.students, english.expected, english.filled, english.percent) == (5, 25, 21, 84)
    assert english.overdue
    literature = cells[board.subjects["ngu-van"].pk]
    assert (literature.expected, literature.filled, literature.percent) == (30, 29, 96)  # floor, not 97
    assert not literature.overdue
    maths = cells[board.subjects["toan"].pk]
    assert (maths.expected, maths.filled, maths.percent, maths.overdue) == (30, 30, 100, False)
    # term II: nothing entered yet
    empty = class_subjects(_period(board, board.term2))
    assert {cell.filled for cell in empty} == {0} and len(empty) == len(SUBJECTS)


def test_averages_distributions_and_risk_for_a_term(board):
    result = dashboard(_period(board, board.term1))
    assert [row.name for row in result.classes] == ["6A1"]
    row = result.classes[0]
    heads = [head.subject_id for head in result.subjects]
    averages = {head: cell for head, cell in zip(heads, row.cells, strict=True)}
    english = averages[board.subjects["ngoai-ngu-1"].pk]
    # An 8.3 (8.25 rounded half up), Bình 7.0, Dung 3.0, Giang 6.7: 25.0 / 4 = 6.25 → 6.3 (half up; not 6.2)
    assert (english.average, english.results, english.average_text) == (Decimal("6.3"), 4, "6,3")
    maths = averages[board.subjects["toan"].pk]
    assert maths.average == Decimal("5.9") and maths.results == 5  # (9 + 7 + 4 + 3 + 6.7) / 5 = 5.94
    pe = averages[board.subjects["giao-duc-the-chat"].pk]
    assert (pe.passed, pe.results, pe.average_text) == (4, 5, "4/5 Đ")
    assert _counts(row.learning) == {"tot": 1, "kha": 2, "dat": 0, "chua-dat": 1, "none": 1}
    assert _counts(result.learning_total) == _counts(row.learning)
    assert _counts(row.conduct) == {"tot": 2, "kha": 1, "dat": 0, "chua-dat": 1, "none": 1}
    assert result.at_risk == 2  # Dung (learning Chưa đạt), Chi (conduct Chưa đạt)
    assert result.resit == 0 and result.has_scores and result.has_conduct


def test_year_view_finds_resit_candidates(board):
    _enter_term(board, board.term2)
    result = dashboard(_period(board, None))
    row = result.classes[0]
    # the same results in both terms: year averages equal the term's; conduct II = I
    assert _counts(row.learning) == {"tot": 1, "kha": 2, "dat": 0, "chua-dat": 1, "none": 1}
    assert _counts(row.conduct) == {"tot": 2, "kha": 1, "dat": 0, "chua-dat": 1, "none": 1}
    # Dung: conduct Khá (≥ Đạt) and learning Chưa đạt → re-sit; Chi: conduct Chưa đạt → not a re-sit
    assert result.resit == 1 and result.at_risk == 2
    # per class × subject: the cells of both terms, and the mean of the year averages (here the term's)
    english = next(c for c in row.cells if c.subject_id == board.subjects["ngoai-ngu-1"].pk)
    assert (english.filled, english.results, english.average_text) == (2 * 21, 4, "6,3")
    pe = next(c for c in row.cells if c.subject_id == board.subjects["giao-duc-the-chat"].pk)
    assert (pe.passed, pe.results) == (4, 5)
    resit = drill_down(_period(board, None), "resit", "", None)
    assert [s.full_name for s in resit] == ["Nguyễn Thị Dung"]


def test_drill_down_lists_match_the_figures(board):
    period = _period(board, board.term1)
    result = dashboard(period)
    row = result.classes[0]
    for kind, pairs in (("learning", row.learning), ("conduct", row.conduct)):
        for key, count in pairs:
            assert len(drill_down(period, kind, key, board.a1.pk)) == count, (kind, key)
            assert len(drill_down(period, kind, key, None)) == count
    assert {s.full_name for s in drill_down(period, "learning", "tot", None)} == {"Nguyễn Thị An"}
    assert {s.full_name for s in drill_down(period, "risk", "", None)} == {
        "Nguyễn Thị Chi",
        "Nguyễn Thị Dung",
    }
    english = board.subjects["ngoai-ngu-1"]
    shown = drill_down(period, "average", str(english.pk), board.a1.pk)
    assert {s.full_name: s.shown for s in shown} == {
        "Nguyễn Thị An": "8,3",
        "Nguyễn Thị Bình": "7,0",
        "Nguyễn Thị Dung": "3,0",
        "Nguyễn Thị Giang": "6,7",
    }
    cells = progress_cells(period, board.a1, english)
    assert cells.columns == ["TX1", "TX2", "TX3", "GK", "CK"]
    progress = next(c for c in row.cells if c and c.subject_id == english.pk)
    assert (cells.filled, cells.expected) == (progress.filled, progress.expected) == (21, 25)
    chi = next(r for r in cells.rows if r.full_name == "Nguyễn Thị Chi")
    assert chi.cells == ["5,0", "", "", "", ""]


# --- pages and permissions ---------------------------------------------------------------------------------


URL = "/s/test-a/grades/dashboard/"


def test_dashboard_page_links_each_figure_to_its_list(client, board):
    EntryDeadline.objects.create(term=board.term1, subject=None, deadline=timezone.now() - timedelta(days=1))
    client.force_login(board.world.principal_a)
    page = client.get(f"{URL}?term={board.term1.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    english, maths = board.subjects["ngoai-ngu-1"].pk, board.subjects["toan"].pk
    assert (
        f'data-cell="6A1-{english}">21/25 (84%)</a> <span class="badge off" data-overdue="6A1-{english}">'
        in html
    )
    assert f'data-cell="6A1-{maths}">30/30 (100%)</a></td>' in html  # complete: not overdue
    assert f'data-cell="6A1-{english}">6,3</a>' in html
    assert f"kind=progress&amp;class={board.a1.pk}&amp;value={english}" in html
    assert 'data-figure="risk">2<' in html
    listing = client.get(f"{URL}list/?term={board.term1.pk}&kind=learning&value=kha&class={board.a1.pk}")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "Nguyễn Thị Bình" in text and "Nguyễn Thị Giang" in text and "Nguyễn Thị An" not in text
    cells = client.get(f"{URL}list/?term={board.term1.pk}&kind=progress&class={board.a1.pk}&value={english}")
    assert "Đã nhập 21 / 25 ô." in cells.content.decode()
    year = client.get(f"{URL}?year={board.year.pk}")
    assert year.status_code == 200 and "Học sinh kiểm tra lại trong hè" in year.content.decode()
    for bad in ("?term=999999", "list/?kind=nothing", f"list/?term={board.term1.pk}&kind=resit"):
        assert client.get(URL + bad).status_code == 404, bad
    client.force_login(board.world.admin_a)
    assert client.get(URL).status_code == 200


def test_empty_states(client, world):
    with schema_context(world.school_a.schema_name):
        client.force_login(world.principal_a)
        page = client.get(URL).content.decode()
        assert "Năm học này chưa có lớp THCS/THPT nào" in page
        year = SchoolYear.objects.get(is_current=True)
        teacher = StaffMember.objects.get(user=world.teacher_a)
        school_class = SchoolClass.objects.create(
            name="6A1", grade=GradeLevel.objects.get(number=6), year=year
        )
        TeachingAssignment.objects.create(
            teacher=teacher,
            school_class=school_class,
            subject=Subject.objects.get(level="lower_secondary", code="toan"),
        )
        _student("EMPTY1", school_class, "Trần Văn Trống")
        term = year.terms.get(number=1)
        page = client.get(f"{URL}?term={term.pk}").content.decode()
        assert "Chưa có điểm nào được nhập cho học kỳ này." in page


def test_only_managers_see_the_dashboard(client, board):
    paths = [URL, f"{URL}list/?term={board.term1.pk}&kind=risk"]
    client.force_login(board.world.teacher_a)  # the homeroom teacher, no manager role
    for path in paths:
        assert client.get(path).status_code == 404
    parent = User.objects.create_user("0900000097", full_name="Phụ Huynh Chi")
    guardian = Guardian.objects.create(full_name=parent.full_name, phone=parent.phone, user=parent)
    StudentGuardian.objects.create(student=board.chi, guardian=guardian, relationship="mother")
    affiliation_add(user=parent, school=board.world.school_a, is_guardian=True)
    client.force_login(parent)
    for path in paths:
        assert client.get(path).status_code == 404
    client.force_login(board.world.staff_b)
    for path in paths:
        assert client.get(path).status_code == 404
    staff_add(
        actor=board.world.admin_a,
        school=board.world.school_a,
        phone="0900000096",
        full_name="Lý Phó Hiệu Trưởng",
        roles=[Role.VICE_PRINCIPAL],
    )
    client.force_login(User.objects.get(phone="+84900000096"))
    assert client.get(URL).status_code == 200


def test_query_count_does_not_grow_with_the_school(client, board):
    def count(call):
        with CaptureQueriesContext(connection) as captured:
            call()
        return len(captured)

    def page_count(path):
        # the school and the access check are cached for a few seconds: warm them right before counting
        client.get(path)
        return count(lambda: client.get(path))

    term, year = _period(board, board.term1), _period(board, None)
    client.force_login(board.world.principal_a)
    small = [count(lambda: dashboard(term)), count(lambda: dashboard(year))]
    small_page = page_count(f"{URL}?term={board.term1.pk}")
    small_list = page_count(f"{URL}list/?term={board.term1.pk}&kind=risk")
    # five more classes of 30, every secondary subject, a full term of scores and conduct
    for number in range(2, 7):
        school_class = SchoolClass.objects.create(name=f"6A{number}", grade=board.grade, year=board.year)
        for n in range(30):
            _student(f"MORE{number}-{n}", school_class, f"Học Sinh {number} {n}")
    gradebook_seed(board.year, [board.term1], random.Random(4))
    assert Score.objects.filter(term=board.term1).count() > 5 * 30 * 12 * 4
    big = dashboard(term)
    assert len(big.classes) == 6 and len(big.subjects) == 12
    assert [count(lambda: dashboard(term)), count(lambda: dashboard(year))] == small
    assert small == [4, 5]  # the year also counts absences (one query)
    assert page_count(f"{URL}?term={board.term1.pk}") == small_page
    assert page_count(f"{URL}list/?term={board.term1.pk}&kind=risk") == small_list


def test_a_long_drill_down_pages_and_keeps_its_filters(client, board, monkeypatch):
    """Two students at risk, one a page: the page links keep the period and the kind of list."""
    monkeypatch.setattr("grades.dashboard.views.PAGE_SIZE", 1)
    client.force_login(board.world.principal_a)
    query = f"term={board.term1.pk}&kind=risk&value="
    first = client.get(f"{URL}list/?{query}").content.decode()
    assert "Trang 1 / 2" in first
    assert f'href="?term={board.term1.pk}&amp;kind=risk&amp;value=&amp;page=2"' in first
    second = client.get(f"{URL}list/?{query}&page=2").content.decode()
    assert "Trang 2 / 2" in second
    assert f'href="?term={board.term1.pk}&amp;kind=risk&amp;value=&amp;page=1"' in second
