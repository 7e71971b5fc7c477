"""The parent view of a child's gradebook: only published values, this week's by day,
per term and year results computed from published values, primary checkpoints; 404 for everyone who is
not a guardian of the child, a manager or the child's homeroom teacher; a constant number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from grades.entry.services import scores_save
from grades.models import AssessmentPlan, PrimaryRating, Score, regular_columns
from grades.parent.selectors import child_grades
from students.models import Enrolment, GradeLevel, Guardian, SchoolClass, StudentGuardian
from students.selectors import student_profile
from students.services import catalogue_seed
from tests.factories import assignment_make, guardian_account, guardian_link, staff_make, student_enrol
from tests.grades.publication.test_publication import build, publish, save


@pytest.fixture
def par(world):
    with schema_context(world.school_a.schema_name):
        g = build(world)
        g.parent = guardian_account(world, g.guardians[0])  # the guardian of students[0]
        g.other_parent = guardian_account(world, g.guardians[1])  # the guardian of students[1]
        yield g


def url(child):
    return f"/s/test-a/grades/students/{child.pk}/"


def columns(g, assignment):
    count = AssessmentPlan.objects.get(
        year=g.year, grade=g.a1.grade, subject=assignment.subject
    ).regular_count
    return [*regular_columns(count), "GK", "CK"]


def fill_and_publish(g, assignment, term, child, text, skip=()):
    """Every column of the plan set to `text` for `child`, each published except the columns in `skip`."""
    cells = [
        {"student_id": child.pk, "column": column, "text": text, "version": None}
        for column in columns(g, assignment)
    ]
    scores_save(actor_staff=g.teacher, assignment=assignment, term=term, cells=cells)
    for column in columns(g, assignment):
        if column not in skip:
            publish(g, column=column, assignment=assignment, term=term)


def test_a_parent_sees_published_scores_only(par, client):
    s0 = par.students[0]
    save(par, {s0: "8,5"})
    publish(par)
    save(par, {s0: "9,5"}, column="TX2")  # never published
    save(par, {s0: "4"})  # a correction not yet published
    client.force_login(par.parent)
    page = client.get(url(s0)).content.decode()
    assert "8,5" in page and "9,5" not in page and "4,0" not in page
    assert "Tuần này" in page and "Toán" in page and "Nguyễn Văn A" in page
    publish(par)
    page = client.get(url(s0)).content.decode()
    assert "4,0" in page and "8,5" not in page


def test_this_week_is_grouped_by_subject_newest_first(par, client):
    s0 = par.students[0]
    now = timezone.now()
    for column, text, days in (("TX1", "7", 10), ("TX2", "8", 2), ("TX3", "9", 0)):
        save(par, {s0: text}, column=column)
        publish(par, column=column)
        Score.objects.filter(subject=par.math.subject, column=column).update(
            published_at=now - timedelta(days=days)
        )
    save(par, {s0: "Đ"}, column="TX1", assignment=par.pe)
    publish(par, column="TX1", assignment=par.pe)
    Score.objects.filter(subject=par.pe.subject).update(published_at=now - timedelta(days=1))
    child = child_grades(student_profile(s0.pk), now=now)
    week = [
        (w.subject, [(day, [(i.label, i.text) for i in items]) for day, items in w.days]) for w in child.week
    ]
    today, one, two = (timezone.localtime(now - timedelta(days=d)).date() for d in (0, 1, 2))
    assert week == [
        ("Toán", [(today, [("TX3", "9,0")]), (two, [("TX2", "8,0")])]),
        ("Giáo dục thể chất", [(one, [("TX1", "Đ")])]),
    ]  # one line per subject, the subject with the newest score first; TX1 of 10 days ago is not this week
    (term,) = [t for t in child.terms if t.term == par.term]
    math = next(row for row in term.subjects if row.name == "Toán")
    assert math.regular[:3] == ["7,0", "8,0", "9,0"]
    client.force_login(par.parent)
    page = client.get(url(s0)).content.decode()
    week_html = page[page.index('id="this-week"') : page.index("</section>", page.index('id="this-week"'))]
    assert week_html.count("<li>") == 2 and "TX3 <strong>9,0</strong>" in week_html
    assert week_html.index("Toán") < week_html.index("Giáo dục thể chất")


def test_averages_and_year_results_come_from_published_values(par, client):
    s0 = par.students[0]
    fill_and_publish(par, par.math, par.term, s0, "8", skip=("CK",))
    fill_and_publish(par, par.pe, par.term, s0, "Đ")
    child = child_grades(student_profile(s0.pk))
    term1 = child.terms[0]
    rows = {row.name: row for row in term1.subjects}
    assert rows["Toán"].average == "" and rows["Giáo dục thể chất"].average == "Đ"  # CK is not published
    assert term1.learning == "Chưa đủ điểm" and child.year is None
    publish(par, column="CK")
    fill_and_publish(par, par.math, par.term2, s0, "9")
    fill_and_publish(par, par.pe, par.term2, s0, "Đ")
    child = child_grades(student_profile(s0.pk))
    assert {row.name: row.average for row in child.terms[0].subjects}["Toán"] == "8,0"
    assert {row.name: row.average for row in child.year.subjects} == {"Toán": "8,7", "Giáo dục thể chất": "Đ"}
    client.force_login(par.parent)
    page = client.get(url(s0)).content.decode()
    assert "Cả năm" in page and "8,7" in page
    assert "hạng" not in page.replace("không xếp hạng", "")  # no rank anywhere


def test_empty_state(par, client):
    client.force_login(par.parent)
    page = client.get(url(par.students[0])).content.decode()
    assert "Chưa có điểm nào được công bố." in page


def test_who_may_see_a_childs_page(par, client):
    s0, s1, _ = par.students
    save(par, {s0: "8"})
    publish(par)
    client.force_login(par.parent)
    assert client.get(url(s0)).status_code == 200
    assert client.get(url(s1)).status_code == 404  # another parent's child
    assert client.get(url(par.outsider)).status_code == 404
    client.force_login(par.other_parent)
    assert client.get(url(s0)).status_code == 404
    client.force_login(par.world.staff_b)
    assert client.get(url(s0)).status_code == 404
    client.force_login(par.world.teacher_a)  # teaches the class, but is not its homeroom teacher
    assert client.get(url(s0)).status_code == 404
    par.a1.homeroom_teacher = par.teacher
    par.a1.save()
    assert "8,0" in client.get(url(s0)).content.decode()
    client.force_login(par.world.principal_a)
    assert client.get(url(s0)).status_code == 200
    staff_make(par.world, "0900000095", "Đinh Khác")
    client.force_login(User.objects.get(phone="+84900000095"))
    assert client.get(url(s0)).status_code == 404


def test_the_parent_home_links_to_each_childs_grades(par, client):
    guardian_link(par.students[1], "0911000000")  # the same parent, a second child
    client.force_login(par.parent)
    page = client.get("/s/test-a/").content.decode()
    assert url(par.students[0]) in page and url(par.students[1]) in page


def test_query_count_does_not_grow_with_scores(par, client):
    s0, s1, _ = par.students
    guardian_link(s1, "0911000000")
    save(par, {s0: "8"})
    publish(par)
    for term in (par.term, par.term2):
        fill_and_publish(par, par.math, term, s1, "7")
        fill_and_publish(par, par.pe, term, s1, "Đ")
    client.force_login(par.parent)
    client.get("/s/test-a/")  # the first request of a session fills the access caches
    counts = []
    for child in (s0, s1):
        for _ in range(2):  # the first view builds the page's content, the next one finds it cached
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url(child)).status_code == 200
            counts.append(len(queries))
    assert counts[0] == counts[2] and counts[1] == counts[3] < counts[0], counts


def test_the_cached_content_follows_any_change_of_its_rows(par, client):
    """The content is cached under a version of the rows it shows (grades_version): even a bulk update
    that sends no signal and leaves published_at alone shows on the next view."""
    s0 = par.students[0]
    save(par, {s0: "8"})
    publish(par)
    client.force_login(par.parent)
    assert "8,0" in client.get(url(s0)).content.decode()
    Score.objects.filter(student=s0, column="TX1").update(published_value="6.5")
    page = client.get(url(s0)).content.decode()
    assert "6,5" in page and "8,0" not in page


def test_a_guardians_child_comes_from_the_cached_children_and_follows_their_rows(par, client):
    """The access check reads a guardian's children from the cache (students.selectors.children_of_guardian)
    under a version of their rows: a bulk change of a link or an enrolment, with no signal, shows at once."""
    s0 = par.students[0]
    client.force_login(par.parent)
    assert "Lớp 6A1" in client.get(url(s0)).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(s0)).status_code == 200
    assert not any('FROM "students_student"' in query["sql"] for query in queries.captured_queries)
    Enrolment.objects.filter(student=s0).update(school_class=par.a2)
    assert "Lớp 6A2" in client.get(url(s0)).content.decode()
    StudentGuardian.objects.filter(student=s0).delete()
    assert client.get(url(s0)).status_code == 404


def test_primary_child_sees_published_checkpoints(par, client):
    catalogue_seed(levels=["primary"], today=timezone.localdate())
    p4 = SchoolClass.objects.create(
        name="4A", grade=GradeLevel.objects.get(number=4), year=par.year, homeroom_teacher=par.teacher
    )
    math = assignment_make(par.teacher, p4, "toan", level="primary")
    kid = student_enrol("P-1", p4, "Lê Thị Mai")
    Guardian.objects.get(user=par.parent).student_links.create(student=kid, relationship="mother")
    now = timezone.now()
    PrimaryRating.objects.create(
        student=kid, subject=math.subject, year=par.year, checkpoint="mid_semester_1", rating="T",
        comment="Em tính nhanh.", updated_at=now, published_rating="T", published_comment="Em tính nhanh.",
        published_at=now,
    )  # fmt: skip
    PrimaryRating.objects.create(
        student=kid,
        subject=math.subject,
        year=par.year,
        checkpoint="end_of_semester_1",
        rating="H",
        test_score=7,
        updated_at=now,
    )  # fmt: skip — entered, not published
    client.force_login(par.parent)
    page = client.get(url(kid)).content.decode()
    assert "Giữa học kì I" in page and "Hoàn thành tốt" in page and "Em tính nhanh." in page
    assert "Cuối học kì I" not in page and "Hoàn thành</td>" not in page
