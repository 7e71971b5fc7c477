"""The printable term report (phiếu liên lạc): per student, each subject's TX / GK / CK and
semester result, the learning result and conduct from grades.results.selectors.class_results, the homeroom
comment line and signatures; for managers and the homeroom teacher only; a constant number of queries."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.models import User
from grades.entry.services import scores_save
from grades.results.services import conduct_set
from grades.rules import circular22
from grades.rules.circular22 import Level
from students.models import Enrolment
from tests.factories import assignment_make, parent_make, staff_make, student_enrol
from tests.gradebook_world import gradebook_world

BORN = "2014-03-05"  # printed on the report as 05/03/2014


@pytest.fixture
def rc(world):
    """School A, class 6A1 with Vũ Giáo Viên as homeroom teacher, teaching Toán and Giáo dục thể chất;
    Ngô Bộ Môn teaches Ngữ văn. Two students; 6A2 has one."""
    with schema_context(world.school_a.schema_name):
        other = staff_make(world, "0900000092", "Ngô Bộ Môn")
        names = [f"Học Sinh {chr(65 + n)}" for n in range(2)]
        g = gradebook_world(world, students=names, outsider="Học Sinh Khác", homeroom="teacher", born=BORN)
        g.other = other
        g.literature = assignment_make(g.other, g.a1, "ngu-van")
        yield g


def _fill(g, students):
    def save(assignment, teacher, texts):
        columns = [f"TX{n}" for n in range(1, len(texts) - 1)] + ["GK", "CK"]
        cells = [
            {"student_id": s.pk, "column": column, "text": text, "version": None}
            for s in students
            for column, text in zip(columns, texts, strict=True)
        ]
        result = scores_save(actor_staff=teacher, assignment=assignment, term=g.term, cells=cells)
        assert not result.invalid and not result.conflicts

    save(g.math, g.teacher, ["7", "8", "9", "9", "9", "8"])  # 75 / 9 → 8,3
    save(g.literature, g.other, ["6,5", "7", "7", "8", "7,5", "6"])  # 61,5 / 9 → 6,8
    save(g.pe, g.teacher, ["Đ", "Đ", "Đ", "Đ"])
    conduct_set(actor_staff=g.teacher, school_class=g.a1, term=g.term, ratings={s.pk: "T" for s in students})


def _url(g, query=""):
    return f"/s/test-a/grades/classes/{g.a1.pk}/terms/{g.term.pk}/report/{query}"


def _cells(html, student_code):
    card = html.split(f'data-student="{student_code}"')[1].split("</article>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", card.split("<tbody>")[1], re.S)
    return card, [re.findall(r"<td[^>]*>(?:<strong>)?(.*?)(?:</strong>)?</td>", row) for row in rows]


def test_report_of_one_student_has_scores_results_and_signatures(client, rc):
    _fill(rc, rc.students)
    client.force_login(rc.world.teacher_a)
    response = client.get(_url(rc, f"?student={rc.students[0].pk}"))
    html = response.content.decode()
    assert response.status_code == 200 and html.count("<article") == 1
    card, rows = _cells(html, "HS0")
    assert rows == [
        ["1", "Ngữ văn", "6,5 · 7,0 · 7,0 · 8,0", "7,5", "6,0", "6,8"],
        ["2", "Toán", "7,0 · 8,0 · 9,0 · 9,0", "9,0", "8,0", "8,3"],
        ["3", "Giáo dục thể chất", "Đ · Đ", "Đ", "Đ", "Đ"],
    ]
    # Learning result by the rules: with only two scored subjects the quota of six subjects ≥ 5,0 cannot be
    # met (Circular 22, art. 9), so the term's learning result is Chưa đạt; conduct as rated.
    level = circular22.learning_result({"van": Decimal("6.8"), "toan": Decimal("8.3")}, {"gdtc": True})
    assert level == Level.CHUA_DAT
    assert f"Kết quả học tập: <strong>{level.label}</strong>" in card
    assert "Kết quả rèn luyện: <strong>Tốt</strong>" in card
    expected = ("PHIẾU LIÊN LẠC", "TRƯỜNG THCS THỬ NGHIỆM A", "Học Sinh A", "05/03/2014", "Vũ Giáo Viên",
                "Nhận xét của giáo viên chủ nhiệm", "Cha mẹ", "Hiệu trưởng", "print.css")  # fmt: skip
    for text in expected:
        assert text in html, text


def test_whole_class_one_page_each_and_an_empty_state(client, rc):
    client.force_login(rc.world.principal_a)
    html = client.get(_url(rc)).content.decode()
    assert html.count('<article class="report-card') == 2
    card, rows = _cells(html, "HS1")
    assert rows[0] == ["1", "Ngữ văn", "", "—", "—", "—"]
    assert "Chưa đủ điểm" in card and "Chưa đánh giá" in card
    Enrolment.objects.all().delete()
    assert "Lớp chưa có học sinh." in client.get(_url(rc)).content.decode()


def test_who_may_see_the_report(client, rc):
    client.force_login(rc.world.admin_a)
    assert client.get(_url(rc)).status_code == 200
    assert client.get(_url(rc, f"?student={rc.outsider.pk}")).status_code == 404  # not in the class
    assert client.get(_url(rc, "?student=abc")).status_code == 404
    client.force_login(User.objects.get(phone="+84900000092"))  # teaches in the class, not its homeroom
    assert client.get(_url(rc)).status_code == 404
    client.force_login(rc.world.staff_b)
    assert client.get(_url(rc)).status_code == 404
    parent = parent_make(rc.world, rc.students[0], "0900000098", "Phụ Huynh Lớp 6A1")
    client.force_login(parent)
    assert client.get(_url(rc, f"?student={rc.students[0].pk}")).status_code == 404


def _queries(client, rc):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(_url(rc))
    assert response.status_code == 200
    return len(captured), response.content.decode().count('<article class="report-card')


def test_query_count_is_the_same_for_5_and_30_students(client, rc):
    more = [student_enrol(f"HS-MORE{n:02}", rc.a1, f"Học Sinh Thêm {n:02}", born=BORN) for n in range(3)]
    _fill(rc, rc.students + more)
    client.force_login(rc.world.teacher_a)
    client.get(_url(rc))  # the first request also loads the session and the school's cached lookups
    small, cards = _queries(client, rc)
    assert cards == 5
    many = [student_enrol(f"HS-MANY{n:02}", rc.a1, f"Học Sinh Nhiều {n:02}", born=BORN) for n in range(25)]
    _fill(rc, many)
    large, cards = _queries(client, rc)
    assert cards == 30 and large == small, (small, large)
