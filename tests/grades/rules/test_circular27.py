"""Circular 27/2020 rules for primary schools (../shared/DOMAIN.md §2), table-driven.

The module is imported as ``c27``: its ``tests_required`` would otherwise be collected by pytest."""

import pytest

from grades.rules import circular27 as c27
from grades.rules.circular27 import Checkpoint, QualityRating, SubjectRating, YearResult
from students.catalogue import CATALOGUE, PRIMARY

HTT, HT, CHT = SubjectRating.HOAN_THANH_TOT, SubjectRating.HOAN_THANH, SubjectRating.CHUA_HOAN_THANH
TOT, DAT, CCG = QualityRating.TOT, QualityRating.DAT, QualityRating.CAN_CO_GANG
MID1, END1, MID2, END = (
    Checkpoint.MID_SEMESTER_I,
    Checkpoint.END_OF_SEMESTER_I,
    Checkpoint.MID_SEMESTER_II,
    Checkpoint.END_OF_YEAR,
)


# --- enums and constants ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "label", "code"),
    [
        # "every subject/activity is rated Hoàn thành tốt / Hoàn thành / Chưa hoàn thành" (grid T / H / C)
        (HTT, "Hoàn thành tốt", "T"),
        (HT, "Hoàn thành", "H"),
        (CHT, "Chưa hoàn thành", "C"),
        # "each quality and competency Tốt / Đạt / Cần cố gắng" (grid T / Đ / C)
        (TOT, "Tốt", "T"),
        (DAT, "Đạt", "Đ"),
        (CCG, "Cần cố gắng", "C"),
        # the end-of-year levels of the table
        (YearResult.HOAN_THANH_XUAT_SAC, "Hoàn thành xuất sắc", "HTXS"),
        (YearResult.HOAN_THANH_TOT, "Hoàn thành tốt", "HTT"),
        (YearResult.HOAN_THANH, "Hoàn thành", "HT"),
        (YearResult.CHUA_HOAN_THANH, "Chưa hoàn thành", "CHT"),
    ],
)
def test_labels_and_codes(member, label, code):
    assert (member.label, member.code, member.value) == (label, code, code)
    assert type(member)(code) is member


def test_checkpoints_are_the_four_of_the_year_in_order():
    # "Four checkpoints: mid-semester I, end of semester I, mid-semester II, end of year."
    assert [c.label for c in Checkpoint] == [
        "Giữa học kì I",
        "Cuối học kì I",
        "Giữa học kì II",
        "Cuối năm học",
    ]


def test_qualities_and_competencies_are_those_of_domain_md():
    # "Qualities: yêu nước, nhân ái, chăm chỉ, trung thực, trách nhiệm."
    assert c27.QUALITIES == ("yêu nước", "nhân ái", "chăm chỉ", "trung thực", "trách nhiệm")
    # "General competencies: tự chủ và tự học, giao tiếp và hợp tác, giải quyết vấn đề và sáng tạo."
    assert c27.GENERAL_COMPETENCIES == (
        "tự chủ và tự học",
        "giao tiếp và hợp tác",
        "giải quyết vấn đề và sáng tạo",
    )
    # "Specific competencies: ngôn ngữ, tính toán, khoa học, công nghệ, tin học, thẩm mĩ, thể chất."
    assert c27.SPECIFIC_COMPETENCIES == (
        "ngôn ngữ",
        "tính toán",
        "khoa học",
        "công nghệ",
        "tin học",
        "thẩm mĩ",
        "thể chất",
    )


def test_tested_subjects_are_catalogue_codes_with_periodic_tests():
    # "Tiếng Việt, Toán, Ngoại ngữ 1, Lịch sử và Địa lí, Khoa học, Tin học và Công nghệ", by catalogue code
    assert {s.code for s in CATALOGUE[PRIMARY] if s.has_periodic_test} == c27.TESTED_SUBJECTS


# --- parsing ratings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T", HTT),  # grid code
        ("H", HT),
        ("C", CHT),
        ("t", HTT),  # codes are case-insensitive
        (" h ", HT),  # surrounding spaces ignored
        ("Hoàn thành tốt", HTT),  # full label
        ("Hoàn thành", HT),
        ("Chưa hoàn thành", CHT),
        ("hoan thanh tot", HTT),  # accents ignored
        ("HOÀN THÀNH TỐT", HTT),  # case ignored
        ("chua  hoan   thanh", CHT),  # inner spaces collapsed
        ("Hoa\u0300n tha\u0300nh", HT),  # decomposed (NFD) input
    ],
)
def test_parse_subject_rating(text, expected):
    assert c27.parse_subject_rating(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # blank: no rating, not a guess
        "   ",
        "Đ",  # a quality code, not a subject code
        "Tốt",  # a quality label
        "HTT",  # abbreviation not accepted: only the grid codes and labels
        "Hoàn thành xuất sắc",  # a year result, not a subject rating
        "X",
        None,  # not text
        7,
    ],
)
def test_parse_subject_rating_rejects(text):
    with pytest.raises(c27.RatingError, match="hãy nhập T, H, C"):
        c27.parse_subject_rating(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T", TOT),  # grid code
        ("Đ", DAT),
        ("C", CCG),
        ("đ", DAT),  # case-insensitive, đ folds to d
        ("D", DAT),  # a keyboard without Vietnamese input
        ("Tốt", TOT),  # full labels
        ("Đạt", DAT),
        ("Cần cố gắng", CCG),
        ("tot", TOT),  # accents ignored
        ("dat", DAT),
        ("CAN CO GANG", CCG),
        ("  cần  cố gắng ", CCG),
    ],
)
def test_parse_quality_rating(text, expected):
    assert c27.parse_quality_rating(text) is expected


@pytest.mark.parametrize("text", ["", "H", "Hoàn thành", "Khá", "CCG", "Tốt lắm", None])
def test_parse_quality_rating_rejects(text):
    # only T / Đ / C and Tốt / Đạt / Cần cố gắng; the message lists them in Vietnamese
    with pytest.raises(c27.RatingError, match="hãy nhập T, Đ, C"):
        c27.parse_quality_rating(text)


def test_rating_error_is_a_value_error_quoting_the_input():
    with pytest.raises(ValueError, match="“Khá” không hợp lệ"):
        c27.parse_quality_rating(" Khá ")


# --- which tests are required ------------------------------------------------------------------------------

SUBJECTS_OF_GRADE = {g: {s.code for s in CATALOGUE[PRIMARY] if g in s.periods} for g in range(1, 6)}
ALL_PRIMARY_SUBJECTS = sorted({s.code for s in CATALOGUE[PRIMARY]})


def expected_tests(grade, checkpoint, subject):
    """The rule of DOMAIN.md §2 restated independently."""
    if subject not in SUBJECTS_OF_GRADE[grade]:
        return False  # a tested subject only where the grade has it
    if checkpoint in (END1, END):
        return subject in c27.TESTED_SUBJECTS  # "at end of semester I and end of year for …"
    return grade in (4, 5) and subject in ("tieng-viet", "toan")  # "grades 4 and 5 also … both mid-semesters"


@pytest.mark.parametrize("grade", range(1, 6))
@pytest.mark.parametrize("checkpoint", list(Checkpoint))
@pytest.mark.parametrize("subject", ALL_PRIMARY_SUBJECTS)
def test_tests_required_full_grid(grade, checkpoint, subject):
    # grades 1–5 × 4 checkpoints × every primary subject of the catalogue
    got = c27.tests_required(grade, checkpoint, subject, subjects_of_grade=SUBJECTS_OF_GRADE[grade])
    assert got is expected_tests(grade, checkpoint, subject)


@pytest.mark.parametrize(
    ("grade", "checkpoint", "subject", "expected"),
    [
        (1, END1, "tieng-viet", True),  # end of semester I: Tiếng Việt
        (1, END, "toan", True),  # end of year: Toán
        (1, MID1, "toan", False),  # grade 1: no mid-semester test
        (3, MID2, "tieng-viet", False),  # grade 3: no mid-semester test
        (4, MID1, "tieng-viet", True),  # "grades 4 and 5 also test Tiếng Việt and Toán at both mid-semesters"
        (4, MID2, "toan", True),
        (5, MID1, "toan", True),
        (5, MID2, "tieng-viet", True),
        (5, MID1, "khoa-hoc", False),  # other tested subjects: not at mid-semester, even in grade 5
        (4, MID2, "ngoai-ngu-1", False),
        (3, END, "ngoai-ngu-1", True),  # Ngoại ngữ 1 from grade 3
        (2, END, "ngoai-ngu-1", False),  # … grade 2 does not have it
        (3, END1, "tin-hoc-cong-nghe", True),  # Tin học và Công nghệ from grade 3
        (3, END, "khoa-hoc", False),  # Khoa học and Lịch sử và Địa lí from grade 4
        (4, END, "lich-su-dia-li", True),
        (5, END, "dao-duc", False),  # not a tested subject
        (5, END1, "giao-duc-the-chat", False),
    ],
)
def test_tests_required_cases(grade, checkpoint, subject, expected):
    assert (
        c27.tests_required(grade, checkpoint, subject, subjects_of_grade=SUBJECTS_OF_GRADE[grade]) is expected
    )


@pytest.mark.parametrize(
    ("grade", "checkpoint", "subject", "expected"),
    [
        (2, END, "ngoai-ngu-1", True),  # without subjects_of_grade the caller vouches the grade has it
        (2, "end_of_year", "toan", True),  # the stored checkpoint value works too
        (5, "mid_semester_1", "toan", True),
    ],
)
def test_tests_required_without_subjects_of_grade(grade, checkpoint, subject, expected):
    assert c27.tests_required(grade, checkpoint, subject) is expected


@pytest.mark.parametrize("grade", [0, 6, 12, "4", True])
def test_tests_required_rejects_non_primary_grades(grade):
    with pytest.raises(ValueError, match="không phải lớp tiểu học"):
        c27.tests_required(grade, END, "toan")


# --- test scores -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),  # whole number
        (" 10 ", 10),  # top of the scale
        ("1", 1),
        ("07", 7),
        (9, 9),  # an int from a number cell of an Excel import
    ],
)
def test_parse_test_score(text, expected):
    assert c27.parse_test_score(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "7.5",  # "no decimals"
        "7,5",
        "7.0",  # no decimal part at all, even zero
        "11",  # above 10
        "-1",  # below 0
        "",
        "bảy",
        "٧",  # non-ASCII digit
        11,
        -1,
        7.0,  # a float is not a whole-number score
        True,
        None,
    ],
)
def test_parse_test_score_rejects(text):
    with pytest.raises(c27.ScoreError, match="số nguyên"):
        c27.parse_test_score(text)


def test_zero_score_follows_the_constant(monkeypatch):
    # "whether 0 is allowed is unconfirmed": one constant decides
    assert c27.ZERO_SCORE_ALLOWED is True
    assert c27.parse_test_score("0") == 0
    monkeypatch.setattr(c27, "ZERO_SCORE_ALLOWED", False)
    with pytest.raises(c27.ScoreError, match="từ 1 đến 10"):
        c27.parse_test_score("0")


# --- end-of-year result ------------------------------------------------------------------------------------

GRADE_5 = sorted(SUBJECTS_OF_GRADE[5])
GRADE_5_TESTED = sorted(SUBJECTS_OF_GRADE[5] & c27.TESTED_SUBJECTS)


def result(subjects=None, qualities=None, competencies=None, scores=None, *, low=None):
    """A grade-5 student, all Hoàn thành tốt / Tốt / 10 unless told; ``low`` = one test score changed."""
    subject_ratings = dict.fromkeys(GRADE_5, HTT) | (subjects or {})
    quality_ratings = dict.fromkeys(c27.QUALITIES, TOT) | (qualities or {})
    competency_ratings = dict.fromkeys(c27.COMPETENCIES, TOT) | (competencies or {})
    test_scores = dict.fromkeys(GRADE_5_TESTED, 10) | (scores or {})
    if low is not None:
        test_scores["khoa-hoc"] = low
    return c27.end_of_year_result(subject_ratings, quality_ratings, competency_ratings, test_scores)


XS, TT, HTH, CHTH = (
    YearResult.HOAN_THANH_XUAT_SAC,
    YearResult.HOAN_THANH_TOT,
    YearResult.HOAN_THANH,
    YearResult.CHUA_HOAN_THANH,
)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # xuất sắc: "all Hoàn thành tốt | all Tốt | every test ≥ 9"
        ({}, XS),
        ({"low": 9}, XS),  # boundary: 9 is enough
        ({"low": 8}, TT),  # one test 8 → only Hoàn thành tốt ("every test ≥ 7")
        # tốt: "all Hoàn thành tốt | all Tốt | every test ≥ 7"
        ({"low": 7}, TT),  # boundary: 7 is enough
        ({"low": 6}, HTH),  # one test 6 → Hoàn thành ("every test ≥ 5")
        # hoàn thành: "all at least Hoàn thành | all at least Đạt | every test ≥ 5"
        ({"low": 5}, HTH),  # boundary: 5 is enough
        ({"low": 4}, CHTH),  # one test 4 → otherwise
        ({"low": 0}, CHTH),
        # one subject Hoàn thành blocks xuất sắc and tốt ("all Hoàn thành tốt")
        ({"subjects": {"dao-duc": HT}}, HTH),
        ({"subjects": {"toan": HT}, "low": 7}, HTH),
        # one quality or competency Đạt blocks xuất sắc and tốt ("all Tốt")
        ({"qualities": {"trung thực": DAT}}, HTH),
        ({"competencies": {"tin học": DAT}}, HTH),
        ({"competencies": {"tự chủ và tự học": DAT}, "low": 9}, HTH),
        # one subject Chưa hoàn thành → "all at least Hoàn thành" fails → Chưa hoàn thành
        ({"subjects": {"nghe-thuat": CHT}}, CHTH),
        # one Cần cố gắng → "all at least Đạt" fails → Chưa hoàn thành, whatever the rest
        ({"qualities": {"chăm chỉ": CCG}}, CHTH),
        ({"competencies": {"thể chất": CCG}}, CHTH),
        # everything at the bottom of Hoàn thành is still Hoàn thành
        (
            {
                "subjects": dict.fromkeys(GRADE_5, HT),
                "qualities": dict.fromkeys(c27.QUALITIES, DAT),
                "competencies": dict.fromkeys(c27.COMPETENCIES, DAT),
                "scores": dict.fromkeys(GRADE_5_TESTED, 5),
            },
            HTH,
        ),
        # high scores do not lift Hoàn thành ratings: the three columns must all hold
        ({"subjects": dict.fromkeys(GRADE_5, HT)}, HTH),
    ],
)
def test_end_of_year_result_boundaries(kwargs, expected):
    assert result(**{k: v for k, v in kwargs.items() if k != "low"}, low=kwargs.get("low")) is expected


def test_end_of_year_result_grade_1_has_only_its_tested_subjects():
    # grade 1 is tested in Tiếng Việt and Toán only; a 9 in both is xuất sắc
    subjects = dict.fromkeys(SUBJECTS_OF_GRADE[1], HTT)
    got = c27.end_of_year_result(
        subjects,
        dict.fromkeys(c27.QUALITIES, TOT),
        dict.fromkeys(c27.COMPETENCIES, TOT),
        {"tieng-viet": 9, "toan": 9},
    )
    assert got is XS


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        # missing ratings raise rather than guess
        ({"subjects": {"toan": None}}, c27.MissingRatingError, "Chưa đánh giá môn học: toan"),
        ({"qualities": {"nhân ái": None}}, c27.MissingRatingError, "Chưa đánh giá phẩm chất: nhân ái"),
        ({"competencies": {"thẩm mĩ": None}}, c27.MissingRatingError, "Chưa đánh giá năng lực: thẩm mĩ"),
        ({"scores": {"toan": None}}, c27.MissingRatingError, "Chưa có điểm kiểm tra cuối năm môn: toan"),
        # unknown names and misplaced scores are errors, not ignored
        ({"qualities": {"yeu nuoc": TOT}}, c27.RatingError, "Không có phẩm chất nào tên: yeu nuoc"),
        ({"scores": {"dao-duc": 9}}, c27.RatingError, "môn không kiểm tra định kì: dao-duc"),
        # wrong types and out-of-range scores
        ({"subjects": {"toan": "T"}}, c27.RatingError, "không hợp lệ"),
        ({"competencies": {"tin học": HTT}}, c27.RatingError, "không hợp lệ"),
        ({"scores": {"toan": 11}}, c27.ScoreError, "số nguyên"),
        ({"scores": {"toan": 8.5}}, c27.ScoreError, "số nguyên"),
    ],
)
def test_end_of_year_result_rejects_incomplete_or_invalid_records(kwargs, error, message):
    with pytest.raises(error, match=message):
        result(**kwargs)


def test_end_of_year_result_rejects_absent_entries():
    # a quality left out entirely, a tested subject without a score, no subjects at all
    qualities = dict.fromkeys(c27.QUALITIES[:-1], TOT)
    competencies = dict.fromkeys(c27.COMPETENCIES, TOT)
    with pytest.raises(c27.MissingRatingError, match="trách nhiệm"):
        c27.end_of_year_result({"toan": HTT}, qualities, competencies, {"toan": 9})
    with pytest.raises(c27.MissingRatingError, match="toan"):
        c27.end_of_year_result({"toan": HTT}, dict.fromkeys(c27.QUALITIES, TOT), competencies, {})
    with pytest.raises(c27.MissingRatingError, match="Chưa đánh giá môn học nào"):
        c27.end_of_year_result({}, dict.fromkeys(c27.QUALITIES, TOT), competencies, {})
