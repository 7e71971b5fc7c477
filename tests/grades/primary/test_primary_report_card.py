"""The printable primary report card (phiếu liên lạc, Circular 27): per student and checkpoint, each
subject's rating, written test where the checkpoint has one and the teacher's comment, the qualities and
competencies, the homeroom teacher's general comment and, at the end of the year, the year's result as on the
results page; one A4 page per student; for managers and the homeroom teacher only; a constant number of
queries.

The class set-up (school A with the primary catalogue, class 4A, its teachers and three students) is the
`pr` fixture of tests/grades/primary/test_primary_entry.py, and the ratings are saved by its helpers."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.roles import Role
from grades.primary.services import SLUG_OF_ITEM
from grades.rules.circular27 import COMPETENCIES, QUALITIES, Checkpoint
from students.models import Enrolment
from tests.factories import parent_make, staff_make
from tests.grades.primary import test_primary_entry
from tests.grades.primary.test_primary_entry import _complete_year, _qualities, _rate, _student

pr = test_primary_entry.pr  # the fixture, shared rather than copied
MID1, END = Checkpoint.MID_SEMESTER_I, Checkpoint.END_OF_YEAR


def _url(school_class, checkpoint, query=""):
    return f"/s/test-a/grades/primary/classes/{school_class.pk}/{checkpoint.value}/report/{query}"


def _card(html, student):
    return html.split(f'data-student="{student.student_code}"')[1].split("</article>")[0]


def _rows(card, table):
    """The cells of each body row of the card's `table` (report-subjects / report-qualities), as text."""
    body = card.split(f'class="report-scores {table}"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def _general_comment(p, student, checkpoint, text):
    assert not _qualities(p, [(student, "comment", text, None)], checkpoint=checkpoint).invalid


def test_end_of_year_card_of_one_student(client, pr):
    s0 = pr.students[0]  # Học Sinh C
    _complete_year(pr, s0)  # every subject T with tests of 8, every quality and competency Tốt
    _rate(pr, [(s0, "comment", "Em tính toán nhanh,\ncẩn thận.", 1)], checkpoint=END)
    _general_comment(pr, s0, END, "Em chăm ngoan, lễ phép.")
    client.force_login(pr.world.teacher_a)  # the homeroom teacher
    response = client.get(_url(pr.c4, END, f"?student={s0.pk}"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<article") == 1
    card = _card(html, s0)
    subjects = {row[1]: row[2:] for row in _rows(card, "report-subjects")}
    assert len(subjects) == len(pr.subjects)
    assert subjects["Toán"] == ["Hoàn thành tốt", "8", "Em tính toán nhanh,<br>cẩn thận."]
    assert subjects["Đạo đức"] == ["Hoàn thành tốt", "", ""]  # no written test in Đạo đức
    qualities = _rows(card, "report-qualities")
    assert len(qualities) == 7  # Phẩm chất (5), Năng lực chung (3), Năng lực đặc thù (7) side by side
    assert qualities[0] == ["Yêu nước", "Tốt", "Tự chủ và tự học", "Tốt", "Ngôn ngữ", "Tốt"]
    assert qualities[6] == ["", "", "", "", "Thể chất", "Tốt"]
    named = [cell for row in qualities for cell in row[::2] if cell]
    assert len(named) == len(QUALITIES) + len(COMPETENCIES)
    assert "Kết quả cuối năm học: <strong>Hoàn thành tốt</strong>" in card
    assert "Em chăm ngoan, lễ phép." in card and "write-line" not in card
    expected = ("PHIẾU LIÊN LẠC", "TRƯỜNG THCS THỬ NGHIỆM A", "Lớp 4A", "Cuối năm học · Năm học",
                pr.year.name, "Học Sinh C", "01/01/2016", "Vũ Giáo Viên", "Năng lực đặc thù",
                "Cha mẹ học sinh", "Hiệu trưởng", "Giáo viên chủ nhiệm", "print.css")  # fmt: skip
    for text in expected:
        assert text in html, text
    whole_class = _url(pr.c4, END)
    assert f'href="{whole_class}"' in html  # back to the whole class


def test_whole_class_at_the_end_of_the_year_shows_what_is_missing(client, pr):
    s0, s1, s2 = pr.students
    _complete_year(pr, s1, rating="H", score="5", quality="Đ")  # → Hoàn thành
    _rate(pr, [(s2, "rating", "C", None)], checkpoint=END)  # only Toán
    client.force_login(pr.world.principal_a)
    html = client.get(_url(pr.c4, END)).content.decode()
    assert html.count('<article class="report-card') == 3
    order = re.findall(r'<article class="report-card card" data-student="([^"]+)"', html)
    assert order == ["P4-2", "P4-1", "P4-0"]  # by name: A, B, C
    card_a, card_b, card_c = (_card(html, s) for s in (s2, s1, s0))
    assert "Kết quả cuối năm học: <strong>Hoàn thành</strong>" in card_b
    assert {row[1]: row[2:4] for row in _rows(card_b, "report-subjects")}["Tiếng Việt"] == ["Hoàn thành", "5"]
    assert "<strong>Chưa đủ đánh giá</strong> (chưa đánh giá môn Tiếng Việt" in card_a
    assert "chưa có điểm kiểm tra cuối năm môn Tiếng Việt, Toán" in card_a
    assert {row[1]: row[2:4] for row in _rows(card_a, "report-subjects")}["Toán"] == ["Chưa hoàn thành", "—"]
    assert "chưa đánh giá phẩm chất, năng lực)" in card_c and "write-line" in card_c
    assert _rows(card_c, "report-qualities")[0][:2] == ["Yêu nước", "—"]
    Enrolment.objects.filter(school_class=pr.c4).delete()
    assert "Lớp chưa có học sinh." in client.get(_url(pr.c4, END)).content.decode()


def test_mid_semester_cards_have_tests_only_where_the_checkpoint_has_them(client, pr):
    s0 = pr.students[0]
    _rate(pr, [(s0, "rating", "H", None), (s0, "test", "7", None)], checkpoint=MID1)  # grade 4 Toán: tested
    arts = pr.assignments["nghe-thuat"]
    _rate(pr, [(s0, "rating", "T", None), (s0, "comment", "Hát hay", None)], arts, MID1)
    _qualities(pr, [(s0, SLUG_OF_ITEM["chăm chỉ"], "C", None)], checkpoint=MID1)
    client.force_login(pr.world.teacher_a)
    html = client.get(_url(pr.c4, MID1)).content.decode()
    card = _card(html, s0)
    subjects = {row[1]: row[2:] for row in _rows(card, "report-subjects")}
    assert subjects["Toán"] == ["Hoàn thành", "7", ""]
    assert subjects["Tiếng Việt"] == ["—", "—", ""]  # tested at mid-semester in grade 4, not yet rated
    assert subjects["Nghệ thuật (Âm nhạc, Mĩ thuật)"] == ["Hoàn thành tốt", "", "Hát hay"]
    assert subjects["Khoa học"][1] == ""  # tested only at the end of a semester
    assert _rows(card, "report-qualities")[2][:2] == ["Chăm chỉ", "Cần cố gắng"]
    assert "Giữa học kì I · Năm học" in html and "Kết quả cuối năm học" not in html
    # grade 3 has no written test at mid-semester: no test column; its class has no homeroom teacher yet
    client.force_login(pr.world.principal_a)
    page = client.get(_url(pr.c3, MID1)).content.decode()
    assert page.count("<article") == 1 and "Điểm kiểm tra" not in page
    assert "Hoàn thành" not in _card(page, pr.pupil3).split("report-qualities")[0]


def test_who_may_print_the_report(client, pr):
    vice = staff_make(pr.world, "0900000095", "Đỗ Phó Hiệu Trưởng", roles=(Role.VICE_PRINCIPAL,))
    for user in (pr.world.admin_a, pr.world.principal_a, vice.user, pr.world.teacher_a):
        client.force_login(user)
        assert client.get(_url(pr.c4, END)).status_code == 200, user
    client.force_login(pr.world.admin_a)
    for path in (
        _url(pr.c4, END, f"?student={pr.pupil3.pk}"),  # not in the class
        _url(pr.c4, END, "?student=abc"),
        f"/s/test-a/grades/primary/classes/{pr.c4.pk}/cuoi-nam/report/",
        _url(pr.secondary, END),  # a secondary class has the term report instead
    ):
        assert client.get(path).status_code == 404, path
    parent = parent_make(pr.world, pr.students[0], "0900000094", "Phụ Huynh Lớp 4A")
    subject_teacher = User.objects.get(phone="+84900000097")  # teaches Ngoại ngữ 1 in 4A, not its homeroom
    for user in (subject_teacher, parent, pr.world.staff_b):
        client.force_login(user)
        assert client.get(_url(pr.c4, END)).status_code == 404, user
        assert client.get(_url(pr.c4, END, f"?student={pr.students[0].pk}")).status_code == 404, user


def test_results_and_qualities_pages_link_to_the_report(client, pr):
    client.force_login(pr.world.principal_a)
    results = client.get(f"/s/test-a/grades/primary/classes/{pr.c4.pk}/results/").content.decode()
    assert f'href="{_url(pr.c4, END)}"' in results
    qualities = client.get(f"/s/test-a/grades/primary/classes/{pr.c4.pk}/{MID1.value}/").content.decode()
    assert f'href="{_url(pr.c4, MID1)}"' in qualities


def _queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response.content.decode().count('<article class="report-card')


@pytest.mark.parametrize("checkpoint", [END, MID1])
def test_query_count_is_the_same_for_3_and_12_students(client, pr, checkpoint):
    for student in pr.students:
        _complete_year(pr, student)
        _general_comment(pr, student, END, "Chăm ngoan")
    client.force_login(pr.world.teacher_a)
    client.get(_url(pr.c4, checkpoint))  # the first request also loads the session and cached lookups
    small, cards = _queries(client, _url(pr.c4, checkpoint))
    assert cards == 3
    for n in range(9):
        student = _student(f"P4-MORE{n}", pr.c4, f"Học Sinh Thêm {n}")
        _complete_year(pr, student)
        _general_comment(pr, student, END, "Chăm ngoan")
    large, cards = _queries(client, _url(pr.c4, checkpoint))
    assert cards == 12 and large == small, (small, large)
    if checkpoint == END:
        html = client.get(_url(pr.c4, END)).content.decode()
        assert html.count("Kết quả cuối năm học: <strong>Hoàn thành tốt</strong>") == 12
