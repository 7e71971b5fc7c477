"""Circular 22/2021 rules for secondary schools (../shared/DOMAIN.md §1), table-driven.

Each case's id quotes the rule it checks. Pure Python: no database, no Django."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from grades.rules import circular22 as c22
from grades.rules.circular22 import Level, Outcome, ScoreError

D = Decimal
TOT, KHA, DAT, CD = Level.TOT, Level.KHA, Level.DAT, Level.CHUA_DAT


def scored(*averages: str) -> dict[str, Decimal]:
    return {f"mon-{i}": D(average) for i, average in enumerate(averages, 1)}


def comment_only(*results: bool) -> dict[str, bool]:
    return {f"nhan-xet-{i}": result for i, result in enumerate(results, 1)}


ALL_DAT = comment_only(True, True, True)
ONE_CD = comment_only(True, False, True)
TWO_CD = comment_only(False, False, True)


# --- numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("8.25", "8.3", id="round half up: 8.25 must be 8.3 (round() would give 8.2)"),
        pytest.param("8.35", "8.4", id="round half up: 8.35 → 8.4"),
        pytest.param("8.15", "8.2", id="exact decimal: 8.15 → 8.2 (float 8.15 is 8.1499…)"),
        pytest.param("8.249", "8.2", id="below the half rounds down"),
        pytest.param("9.95", "10.0", id="half up across the unit"),
        pytest.param("7", "7.0", id="one decimal place kept"),
    ],
)
def test_round_half_up(value, expected):
    result = c22.round_half_up(D(value))
    assert result == D(expected)
    assert str(result) == expected


def test_round_half_up_refuses_floats():
    # "Floats and Python's round() are wrong here"
    with pytest.raises(TypeError):
        c22.round_half_up(8.25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("7", "7.0", id="whole score 7"),
        pytest.param("7.5", "7.5", id="decimal point 7.5"),
        pytest.param("7,5", "7.5", id="Vietnamese decimal comma: 7,5 means 7.5"),
        pytest.param(" 8,3 ", "8.3", id="surrounding spaces from a pasted cell"),
        pytest.param("0", "0.0", id="0 is on the 0–10 scale"),
        pytest.param("10", "10.0", id="10 is on the 0–10 scale"),
        pytest.param("10,0", "10.0", id="10,0 is 10"),
    ],
)
def test_parse_score_accepts(text, expected):
    result = c22.parse_score(text)
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("8.25", "quá một chữ số thập phân", id="one decimal place: 8.25 is invalid"),
        pytest.param("8,25", "quá một chữ số thập phân", id="one decimal place: 8,25 is invalid"),
        pytest.param("10.5", "từ 0 đến 10", id="scored 0–10: 10.5 is out of range"),
        pytest.param("11", "từ 0 đến 10", id="scored 0–10: 11 is out of range"),
        pytest.param("-1", "từ 0 đến 10", id="scored 0–10: -1 is out of range"),
        pytest.param("", "để trống", id="empty cell"),
        pytest.param("   ", "để trống", id="blank cell"),
        pytest.param("abc", "không phải là điểm", id="garbage: abc"),
        pytest.param("7,5,1", "không phải là điểm", id="garbage: two separators"),
        pytest.param("1e1", "không phải là điểm", id="garbage: exponent"),
        pytest.param("NaN", "không phải là điểm", id="garbage: NaN"),
        pytest.param("٧", "không phải là điểm", id="garbage: non-ASCII digit"),
    ],
)
def test_parse_score_rejects(text, message):
    with pytest.raises(ScoreError, match=message):
        c22.parse_score(text)


def test_score_error_is_a_value_error():
    assert issubclass(ScoreError, ValueError)


# --- averages --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regular", "midterm", "final", "expected"),
    [
        pytest.param(
            ["7", "8", "9"], "9", "8", "8.3", id="ĐTBmhk: regular 7, 8, 9, mid 9, end 8 → 66/8 = 8.25 → 8.3"
        ),
        pytest.param(
            ["8", "7", "9", "10"],
            "7.5",
            "8",
            "8.1",
            id="ĐTBmhk: regular 8, 7, 9, 10, mid 7.5, end 8 → 73/9 → 8.1",
        ),
        pytest.param(["6", "7"], "7", "7.5", "7.1", id="ĐTBmhk with 2 ĐĐGtx: 49.5/7 → 7.1"),
        pytest.param(["10", "10"], "10", "10", "10.0", id="ĐTBmhk: all 10 → 10.0"),
        pytest.param(["0", "0"], "0", "0", "0.0", id="ĐTBmhk: all 0 → 0.0"),
    ],
)
def test_semester_average(regular, midterm, final, expected):
    result = c22.semester_average([D(x) for x in regular], D(midterm), D(final))
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("sem1", "sem2", "expected"),
    [
        pytest.param("8.1", "8.4", "8.3", id="ĐTBmcn = (I + 2·II)/3: 8.1 and 8.4 → 8.3"),
        pytest.param("6.5", "7.0", "6.8", id="ĐTBmcn: 20.5/3 → 6.8"),
        pytest.param("5.0", "4.9", "4.9", id="ĐTBmcn: 14.8/3 → 4.9"),
        pytest.param("10.0", "10.0", "10.0", id="ĐTBmcn: 10 and 10 → 10.0"),
    ],
)
def test_year_average(sem1, sem2, expected):
    result = c22.year_average(D(sem1), D(sem2))
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(lambda: c22.semester_average([7.0, 8.0], D(9), D(8)), TypeError, id="floats refused"),
        pytest.param(
            lambda: c22.semester_average([D("8.25"), D(8)], D(9), D(8)), ScoreError, id="8.25 refused"
        ),
        pytest.param(lambda: c22.semester_average([D(7)], D(11), D(8)), ScoreError, id="0–10 enforced"),
        pytest.param(lambda: c22.semester_average([], D(9), D(8)), ValueError, id="needs a ĐĐGtx"),
        pytest.param(lambda: c22.year_average(D("8.25"), D(8)), ScoreError, id="uses the rounded ĐTBmhk"),
    ],
)
def test_averages_refuse_bad_input(call, error):
    with pytest.raises(error):
        call()


# --- comment-only subjects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratings", "required", "expected"),
    [
        pytest.param([True] * 4, 4, True, id="Đạt: every required assessment taken and all Đạt"),
        pytest.param([True, True, False, True], 4, False, id="one assessment Chưa đạt → Chưa đạt"),
        pytest.param([True, True, None, True], 4, False, id="one required assessment not taken → Chưa đạt"),
        pytest.param([True, True, True], 4, False, id="fewer assessments than required → Chưa đạt"),
        pytest.param([], 4, False, id="nothing taken → Chưa đạt"),
        pytest.param([True] * 5, 4, True, id="an extra Đạt assessment does no harm"),
    ],
)
def test_pass_fail_semester(ratings, required, expected):
    assert c22.pass_fail_semester(ratings, required) is expected


@pytest.mark.parametrize(
    ("sem1", "sem2", "expected"),
    [
        pytest.param(False, True, True, id="year result is semester II result: I Chưa đạt, II Đạt → Đạt"),
        pytest.param(
            True, False, False, id="year result is semester II result: I Đạt, II Chưa đạt → Chưa đạt"
        ),
        pytest.param(True, True, True, id="both Đạt → Đạt"),
        pytest.param(False, False, False, id="both Chưa đạt → Chưa đạt"),
    ],
)
def test_pass_fail_year(sem1, sem2, expected):
    assert c22.pass_fail_year(sem1, sem2) is expected


# --- learning result -------------------------------------------------------------------------------------


def test_level_labels_and_order():
    assert [level.label for level in Level] == ["Tốt", "Khá", "Đạt", "Chưa đạt"]
    assert TOT > KHA > DAT > CD
    assert CD.raised() == DAT and DAT.raised() == KHA and TOT.raised() == TOT


@pytest.mark.parametrize(
    ("averages", "results", "expected"),
    [
        pytest.param(
            scored(*["8.0"] * 6, "6.5", "6.5"),
            ALL_DAT,
            TOT,
            id="Tốt: every avg ≥ 6.5 and at least 6 subjects ≥ 8.0",
        ),
        pytest.param(
            scored(*["8.0"] * 5, "7.9", "6.5", "6.5"),
            ALL_DAT,
            KHA,
            id="not Tốt: only 5 subjects ≥ 8.0 (7.9 < 8.0)",
        ),
        pytest.param(
            scored(*["8.0"] * 6, "6.4", "6.5"),
            ALL_DAT,
            KHA,
            id="not Tốt: one average 6.4 < 6.5 (one step only)",
        ),
        pytest.param(
            scored(*["6.5"] * 6, "5.0", "5.0"), ALL_DAT, KHA, id="Khá: every avg ≥ 5.0 and 6 subjects ≥ 6.5"
        ),
        pytest.param(
            scored(*["6.5"] * 5, "6.4", "5.0", "5.0"),
            ALL_DAT,
            DAT,
            id="not Khá: only 5 subjects ≥ 6.5 (6.4 < 6.5)",
        ),
        pytest.param(
            scored(*["6.5"] * 6, "4.9", "5.0"),
            ALL_DAT,
            DAT,
            id="not Khá: one average 4.9 < 5.0 (one step only)",
        ),
        pytest.param(
            scored(*["5.0"] * 6, "3.5", "3.5"),
            ALL_DAT,
            DAT,
            id="Đạt: at least 6 subjects ≥ 5.0 and none below 3.5",
        ),
        pytest.param(
            scored(*["5.0"] * 6, "3.5", "3.5"),
            ONE_CD,
            DAT,
            id="Đạt: at most one comment-only subject Chưa đạt",
        ),
        pytest.param(
            scored(*["5.0"] * 6, "3.5", "3.5"), TWO_CD, CD, id="Chưa đạt: two comment-only subjects Chưa đạt"
        ),
        pytest.param(
            scored(*["5.0"] * 5, "4.9", "3.5", "3.5"),
            ALL_DAT,
            CD,
            id="Chưa đạt: only 5 subjects ≥ 5.0 (4.9 < 5.0)",
        ),
        pytest.param(
            scored(*["5.0"] * 6, "3.4", "3.5"), ALL_DAT, CD, id="Chưa đạt: one average 3.4 below 3.5"
        ),
        pytest.param(
            scored(*["10.0"] * 5),
            ALL_DAT,
            CD,
            id="'at least 6 subjects': five scored subjects, even all 10.0",
        ),
    ],
)
def test_learning_result_table(averages, results, expected):
    assert c22.learning_result(averages, results) == expected


@pytest.mark.parametrize(
    ("averages", "results", "expected"),
    [
        pytest.param(
            scored(*["9.0"] * 7, "4.0"),
            ALL_DAT,
            KHA,
            id="art. 9.3: Tốt but for one scored subject (4.0) → Đạt, two steps below Tốt → raised to Khá",
        ),
        pytest.param(
            scored(*["9.0"] * 8),
            ONE_CD,
            KHA,
            id="art. 9.3 (unconfirmed, any subject eligible): one comment-only Chưa đạt → Đạt, raised to Khá",
        ),
        pytest.param(
            scored(*["9.0"] * 7, "3.0"),
            ALL_DAT,
            DAT,
            id="art. 9.3: Tốt but for one subject (3.0) → Chưa đạt, raised ONE step to Đạt, not back to Tốt",
        ),
        pytest.param(
            scored(*["7.0"] * 7, "3.0"),
            ALL_DAT,
            DAT,
            id="art. 9.3: Khá but for one subject (3.0) → Chưa đạt, two steps below Khá → raised to Đạt",
        ),
        pytest.param(
            scored(*["8.0"] * 5, "6.5", "6.5", "4.9"),
            ALL_DAT,
            KHA,
            id="art. 9.3 (interpretation): lifted subject counts among '6 subjects ≥ 8.0': Đạt → Khá",
        ),
        pytest.param(
            scored(*["9.0"] * 6, "3.0", "3.0"),
            ALL_DAT,
            CD,
            id="art. 9.3 NOT applied: two subjects (3.0, 3.0) pull the level down, not one single subject",
        ),
        pytest.param(
            scored(*["9.0"] * 7, "4.0"),
            ONE_CD,
            DAT,
            id="art. 9.3 NOT applied: a scored 4.0 and a comment-only Chưa đạt, two subjects",
        ),
        pytest.param(
            scored(*["9.0"] * 7, "6.0"),
            ALL_DAT,
            KHA,
            id="art. 9.3 NOT applied: one subject lowers Tốt by one step only (Khá)",
        ),
        pytest.param(
            scored(*["5.0"] * 7, "3.0"),
            ALL_DAT,
            CD,
            id="art. 9.3 NOT applied: without the subject the level would be Đạt, not Tốt or Khá",
        ),
    ],
)
def test_learning_result_one_subject_adjustment(averages, results, expected):
    assert c22.learning_result(averages, results) == expected


def test_learning_result_refuses_a_subject_in_both_kinds():
    with pytest.raises(ValueError):
        c22.learning_result({"am-nhac": D("8.0")}, {"am-nhac": True})


# --- conduct ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sem2", "sem1", "expected"),
    [
        pytest.param(TOT, TOT, TOT, id="Tốt: II Tốt and I at least Khá (I Tốt)"),
        pytest.param(TOT, KHA, TOT, id="Tốt: II Tốt and I at least Khá (I Khá)"),
        pytest.param(TOT, DAT, KHA, id="Khá: II Tốt and I Đạt"),
        pytest.param(TOT, CD, KHA, id="Khá: II Tốt and I Chưa đạt"),
        pytest.param(KHA, TOT, KHA, id="Khá: II Khá and I at least Đạt (I Tốt)"),
        pytest.param(KHA, KHA, KHA, id="Khá: II Khá and I at least Đạt (I Khá)"),
        pytest.param(KHA, DAT, KHA, id="Khá: II Khá and I at least Đạt (I Đạt)"),
        pytest.param(KHA, CD, DAT, id="Đạt: II Khá and I Chưa đạt"),
        pytest.param(DAT, TOT, KHA, id="Khá: II Đạt and I Tốt"),
        pytest.param(DAT, KHA, DAT, id="Đạt: II Đạt and I Khá"),
        pytest.param(DAT, DAT, DAT, id="Đạt: II Đạt and I Đạt"),
        pytest.param(DAT, CD, DAT, id="Đạt: II Đạt and I Chưa đạt"),
        pytest.param(CD, TOT, CD, id="Chưa đạt otherwise: II Chưa đạt, I Tốt"),
        pytest.param(CD, KHA, CD, id="Chưa đạt otherwise: II Chưa đạt, I Khá"),
        pytest.param(CD, DAT, CD, id="Chưa đạt otherwise: II Chưa đạt, I Đạt"),
        pytest.param(CD, CD, CD, id="Chưa đạt otherwise: II Chưa đạt, I Chưa đạt"),
    ],
)
def test_year_conduct(sem2, sem1, expected):
    assert c22.year_conduct(sem1, sem2) == expected


# --- end of year -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conduct", "learning", "absences", "expected"),
    [
        pytest.param(
            DAT, DAT, 45, Outcome.PROMOTED, id="promoted: conduct ≥ Đạt, learning ≥ Đạt, absences ≤ 45"
        ),
        pytest.param(TOT, KHA, 0, Outcome.PROMOTED, id="promoted: conduct Tốt, learning Khá"),
        pytest.param(TOT, TOT, 46, Outcome.NOT_PROMOTED, id="not promoted: absences 46 > 45 sessions"),
        pytest.param(DAT, CD, 10, Outcome.RESIT, id="re-sit: conduct ≥ Đạt but learning Chưa đạt"),
        pytest.param(
            KHA, CD, 46, Outcome.NOT_PROMOTED, id="not promoted: absences > 45 even with re-sit results"
        ),
        pytest.param(
            CD, TOT, 0, Outcome.SUMMER_TRAINING, id="art. 13: conduct Chưa đạt → conduct training in summer"
        ),
        pytest.param(
            CD, CD, 0, Outcome.SUMMER_TRAINING, id="no re-sit before the conduct training (needs ≥ Đạt)"
        ),
        pytest.param(CD, TOT, 46, Outcome.NOT_PROMOTED, id="art. 12.2: absences > 45 → no summer training"),
    ],
)
def test_promotion(conduct, learning, absences, expected):
    assert c22.promotion(conduct, learning, absences) == expected


def test_promotion_refuses_negative_absences():
    with pytest.raises(ValueError):
        c22.promotion(TOT, TOT, -1)


@pytest.mark.parametrize(
    ("averages", "results", "expected"),
    [
        pytest.param(
            {"toan": D("4.9"), "ngu-van": D("5.0"), "tieng-anh": D("3.0")},
            {"giao-duc-the-chat": False, "nghe-thuat": True},
            ["toan", "tieng-anh", "giao-duc-the-chat"],
            id="re-sit among subjects with year average < 5.0 or rated Chưa đạt (5.0 is not)",
        ),
        pytest.param({"toan": D("5.0")}, {"am-nhac": True}, [], id="nothing below 5.0, nothing Chưa đạt"),
    ],
)
def test_resit_subjects(averages, results, expected):
    assert c22.resit_subjects(averages, results) == expected


@pytest.mark.parametrize(
    ("conduct", "learning", "averages", "expected"),
    [
        pytest.param(
            TOT,
            TOT,
            scored(*["9.0"] * 6, "8.0", "7.0"),
            "Học sinh Xuất sắc",
            id="Xuất sắc: conduct Tốt, learning Tốt, at least 6 scored subjects ≥ 9.0",
        ),
        pytest.param(
            TOT,
            TOT,
            scored(*["9.0"] * 5, "8.9", "8.0", "7.0"),
            "Học sinh Giỏi",
            id="Giỏi, not Xuất sắc: only 5 subjects ≥ 9.0 (8.9 < 9.0)",
        ),
        pytest.param(KHA, TOT, scored(*["10.0"] * 8), None, id="no award: conduct Khá"),
        pytest.param(TOT, KHA, scored(*["10.0"] * 8), None, id="no award: learning Khá"),
    ],
)
def test_award(conduct, learning, averages, expected):
    assert c22.award(conduct, learning, averages) == expected


# --- the module stays plain Python ----------------------------------------------------------------------


def test_module_is_plain_python_without_round_or_floats():
    # "Rules as plain code, no Django imports"; "Floats and Python's round() are wrong here"
    tree = ast.parse(Path(c22.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= {"re", "collections", "decimal", "enum", "functools"}
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & {"round", "float"}
    assert not [
        node for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, float)
    ]


def test_no_all_subject_average_and_no_ranking():
    # "There is no all-subject average under this circular ... do not rank students (Article 4)"
    public = {name for name in dir(c22) if not name.startswith("_")}
    assert not {name for name in public if "overall" in name or "ranking" in name or "gpa" in name.lower()}
    assert "Article 4" in c22.__doc__
