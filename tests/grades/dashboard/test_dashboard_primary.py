"""The principal's dashboard for primary classes (Circular 27): per checkpoint, the subject
ratings and written tests per class × subject, the qualities and competencies per class, the year's results
per class at the end of the year; each figure links to its students; managers only; a fixed number of
queries.

The classes are the `pr` fixture of tests/grades/primary/test_primary_entry.py (class 4A with three students,
3A with one, a secondary 6A1), rated through its helpers, i.e. through the real services."""

import re

import pytest

from accounts.models import User
from grades.dashboard.primary import quality_band, score_band
from grades.rules.circular27 import Checkpoint
from tests.factories import parent_make
from tests.gradebook_world import page_queries
from tests.grades.primary import test_primary_entry
from tests.grades.primary.test_primary_entry import _complete_year, _qualities, _rate, _student

pr = test_primary_entry.pr  # the fixture, shared rather than copied
MID1, END = Checkpoint.MID_SEMESTER_I, Checkpoint.END_OF_YEAR
URL = "/s/test-a/grades/dashboard/primary/"
LIST = URL + "list/"


@pytest.mark.parametrize(
    ("score", "band"),
    [(10, "9-10"), (9, "9-10"), (8, "7-8"), (7, "7-8"), (6, "5-6"), (5, "5-6"), (4, "0-4"), (0, "0-4"),
     (None, "none")],
)  # fmt: skip
def test_test_bands(score, band):
    assert score_band(score) == band


@pytest.mark.parametrize(
    ("codes", "band"),
    [
        ("T" * 15, "tot"),
        ("T" * 14 + "Đ", "dat"),
        ("Đ" * 15, "dat"),
        ("T" * 14 + "C", "can-co-gang"),
        ("C", "can-co-gang"),  # a Cần cố gắng is known before every item is rated
        ("T" * 14, "none"),
        ("", "none"),
    ],
)
def test_quality_bands(codes, band):
    assert quality_band(list(codes)) == band


def _figures(page, table):
    """{data-figure: count} of one table of the page."""
    html = re.search(rf'<table id="{table}".*?</table>', page, re.S).group(0)
    return {key: int(n) for key, n in re.findall(r'data-figure="([^"]+)">(\d+)<', html)}


def _href(page, figure):
    return (
        re.search(rf'href="([^"]+)" data-figure="{re.escape(figure)}"', page).group(1).replace("&amp;", "&")
    )


def _listed(client, href):
    page = client.get(href).content.decode()
    return re.findall(r'<tr data-student="([^"]+)">', page), page


def _year_rated(pr):
    s0, s1, s2 = pr.students  # Học Sinh C, B, A
    _complete_year(pr, s0)  # every subject T, tests 8, every item Tốt → Hoàn thành tốt
    _complete_year(pr, s1, rating="H", score="5", quality="Đ")  # → Hoàn thành
    _rate(pr, [(s2, "rating", "T", None)], checkpoint=END)  # Toán only
    _qualities(pr, [(s2, "yeu-nuoc", "T", None)], checkpoint=END)
    return s0, s1, s2


def test_end_of_year_figures_per_class_and_their_lists(client, pr):
    s0, s1, s2 = _year_rated(pr)
    client.force_login(pr.world.principal_a)
    response = client.get(URL, {"checkpoint": END.value})
    assert response.status_code == 200
    page = response.content.decode()
    toan, tieng_viet = pr.subjects["toan"].pk, pr.subjects["tieng-viet"].pk
    ratings = _figures(page, "ratings")
    assert [ratings[f"rating-4A-{toan}-{key}"] for key in ("T", "H", "C", "none")] == [2, 1, 0, 0]
    assert [ratings[f"rating-4A-{tieng_viet}-{key}"] for key in ("T", "H", "C", "none")] == [1, 1, 0, 1]
    assert [ratings[f"rating-3A-{toan}-{key}"] for key in ("T", "H", "C", "none")] == [0, 0, 0, 1]
    assert not any(key.startswith("rating-6A1") for key in ratings)  # secondary classes are not here
    tests = _figures(page, "tests")
    assert [tests[f"test-4A-{toan}-{key}"] for key in ("9-10", "7-8", "5-6", "0-4", "none")] == [
        0,
        1,
        1,
        0,
        1,
    ]
    assert f"test-4A-{pr.subjects['dao-duc'].pk}-none" not in tests  # Đạo đức has no written test
    qualities = _figures(page, "qualities")
    assert [qualities[f"quality-4A-{key}"] for key in ("tot", "dat", "can-co-gang", "none")] == [1, 1, 0, 1]
    assert [qualities[f"quality-all-{key}"] for key in ("tot", "dat", "can-co-gang", "none")] == [1, 1, 0, 2]
    results = _figures(page, "results")
    assert {k: v for k, v in results.items() if k.startswith("result-4A") and v} == {
        "result-4A-htt": 1, "result-4A-ht": 1, "result-4A-none": 1, "result-4A-completed": 2,
    }  # fmt: skip
    assert results["result-3A-none"] == 1 and results["result-all-completed"] == 2
    assert "hạng" not in page.replace("không xếp hạng", "")

    # Each figure lists its students, by name, with what it counts for each.
    codes, listed = _listed(client, _href(page, f"rating-4A-{toan}-T"))
    assert codes == [s2.student_code, s0.student_code]  # Học Sinh A, Học Sinh C
    assert "Toán: Hoàn thành tốt" in listed and listed.count("<td>Hoàn thành tốt</td>") == 2
    codes, listed = _listed(client, _href(page, f"test-4A-{toan}-5-6"))
    assert codes == [s1.student_code] and "<td>5</td>" in listed
    assert _listed(client, _href(page, "quality-4A-none"))[0] == [s2.student_code]
    assert _listed(client, _href(page, "result-4A-completed"))[0] == [s1.student_code, s0.student_code]
    codes, listed = _listed(client, _href(page, "result-4A-none"))
    assert codes == [s2.student_code] and "Chưa đủ đánh giá: chưa đánh giá môn" in listed
    assert 'data-figure="result-all-htt">1</span>' in page  # school totals are counts, not links


def test_mid_semester_tests_only_in_grades_4_and_5_and_no_year_results(client, pr):
    s0, s1, _ = pr.students
    _rate(pr, [(s0, "rating", "C", None), (s0, "test", "3", None)], checkpoint=MID1)
    _rate(pr, [(pr.pupil3, "rating", "H", None)], assignment=pr.math3, checkpoint=MID1)
    _qualities(pr, [(s1, "cham-chi", "C", None)], checkpoint=MID1)
    client.force_login(pr.world.admin_a)
    page = client.get(URL).content.decode()  # the latest checkpoint with a rating: mid-semester I
    assert 'aria-current="page">Giữa học kì I</a>' in page
    toan = pr.subjects["toan"].pk
    tests = _figures(page, "tests")
    table = re.search(r'<table id="tests".*?</table>', page, re.S).group(0)
    rows = re.findall(r'<tr data-row="([^"]+)">', table)
    assert rows == [f"4A-{pr.subjects['tieng-viet'].pk}", f"4A-{toan}"]  # not 3A, not Đạo đức
    assert tests[f"test-4A-{toan}-0-4"] == 1 and tests[f"test-4A-{toan}-none"] == 2
    assert _figures(page, "ratings")[f"rating-3A-{toan}-H"] == 1
    assert _figures(page, "qualities")["quality-4A-can-co-gang"] == 1
    assert 'id="results"' not in page  # the year's results belong to the end of the year
    assert client.get(LIST, {"checkpoint": MID1.value, "kind": "result", "value": "htt",
                             "class": pr.c4.pk}).status_code == 404  # fmt: skip


def test_empty_states(client, pr):
    client.force_login(pr.world.principal_a)
    page = client.get(URL, {"checkpoint": END.value}).content.decode()
    assert "Chưa có đánh giá nào ở thời điểm này." in page
    pr.c4.enrolments.all().delete()
    pr.c3.enrolments.all().delete()
    pr.c4.delete()
    pr.c3.delete()
    assert "Năm học này chưa có lớp tiểu học nào." in client.get(URL).content.decode()


def test_managers_only_404_for_everyone_else(client, pr):
    parent = parent_make(pr.world, pr.students[0], "0900000096", "Phụ Huynh Lớp 4A")
    list_url = f"{LIST}?checkpoint={END.value}&kind=quality&value=none&class={pr.c4.pk}"
    for user in (pr.world.teacher_a, User.objects.get(phone="+84900000097"), parent, pr.world.staff_b):
        client.force_login(user)
        assert client.get(URL).status_code == 404, user
        assert client.get(list_url).status_code == 404, user
    client.logout()
    assert client.get(URL)["Location"].startswith("/login/")
    for manager in (pr.world.principal_a, pr.world.admin_a):
        client.force_login(manager)
        assert client.get(URL).status_code == 200 and client.get(list_url).status_code == 200


def test_bad_parameters_are_404(client, pr):
    client.force_login(pr.world.principal_a)
    base = {"checkpoint": END.value, "class": pr.c4.pk, "subject": pr.subjects["toan"].pk}
    bad = [
        {"checkpoint": "cuoi-nam"},
        {"year": "999999"},
        {"kind": "rank", "value": "T"},
        {"kind": "rating", "value": "X"},
        {"kind": "rating", "value": "T", "subject": "abc"},
        {"kind": "rating", "value": "T", "subject": pr.secondary_math.subject_id},  # a secondary subject
        {"kind": "quality", "value": "tot", "class": pr.secondary.pk},  # a secondary class
        {"kind": "quality", "value": "tot", "class": ""},
    ]
    for params in bad:
        assert client.get(LIST, {**base, **params}).status_code == 404, params
    assert client.get(URL, {"checkpoint": "nope"}).status_code == 404


def test_a_fixed_number_of_queries(client, pr):
    _year_rated(pr)
    client.force_login(pr.world.principal_a)
    toan = pr.subjects["toan"].pk
    paths = [
        f"{URL}?checkpoint={END.value}",
        f"{URL}?checkpoint={MID1.value}",
        f"{LIST}?checkpoint={END.value}&kind=result&value=completed&class={pr.c4.pk}",
        f"{LIST}?checkpoint={END.value}&kind=rating&value=T&class={pr.c4.pk}&subject={toan}",
    ]
    client.get(paths[0])  # the first request of a session also loads the user's school access (cached)
    small = {path: page_queries(client, path) for path in paths}
    for n in range(8):
        _complete_year(pr, _student(f"P4-MORE{n:02}", pr.c4, f"Học Sinh Thêm {n:02}"))
    _student("P3-MORE", pr.c3, "Học Sinh Lớp Ba Thêm")
    for path, count in small.items():
        assert page_queries(client, path) == count, path
    page = client.get(paths[0]).content.decode()
    assert 'data-figure="result-4A-completed">10<' in page
