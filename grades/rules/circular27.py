"""Primary-school assessment by Circular 27/2020/TT-BGDĐT (../shared/DOMAIN.md §2), as plain code.

No Django imports: the entry grid, the class results page and the tests all call these functions.

- Checkpoint ratings: each subject/activity is Hoàn thành tốt / Hoàn thành / Chưa hoàn thành (grid codes
  T / H / C), each quality and competency Tốt / Đạt / Cần cố gắng (grid codes T / Đ / C).
- Written tests: whole numbers 0–10, at end of semester I and end of year for the tested subjects; grades 4
  and 5 also test Tiếng Việt and Toán at both mid-semesters.
- End-of-year result: the four levels of the DOMAIN.md table, computed by :func:`end_of_year_result`.

Every parse/validation error is a ``ValueError`` subclass carrying a Vietnamese message for the teacher.
"""

import re
import unicodedata
from collections.abc import Collection, Mapping
from enum import StrEnum

ZERO_SCORE_ALLOWED = True
"""(unconfirmed) Whether a written test may be scored 0. DOMAIN.md §2 says "whole numbers 0–10" but marks
the 0 as unconfirmed; flip this one constant if the Ministry/school confirms the lowest score is 1."""

MIN_SCORE, MAX_SCORE = 0, 10


class RatingError(ValueError):
    """A rating, score or set of ratings that cannot be accepted; ``str(error)`` is Vietnamese for the UI."""


class MissingRatingError(RatingError):
    """An end-of-year result was asked for while a rating or test score is still missing."""


class ScoreError(ValueError):
    """A written-test score that is not a whole number in the allowed range."""


class _Coded(StrEnum):
    """A str enum whose value is the short grid code, with a Vietnamese ``label`` and an order ``rank``
    (higher is better)."""

    def __new__(cls, code: str, label: str, rank: int):
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        member.rank = rank
        return member

    @property
    def code(self) -> str:
        return self.value


class SubjectRating(_Coded):
    """Rating of a subject or educational activity at a checkpoint."""

    HOAN_THANH_TOT = ("T", "Hoàn thành tốt", 3)
    HOAN_THANH = ("H", "Hoàn thành", 2)
    CHUA_HOAN_THANH = ("C", "Chưa hoàn thành", 1)


class QualityRating(_Coded):
    """Rating of a quality or a competency at a checkpoint."""

    TOT = ("T", "Tốt", 3)
    DAT = ("Đ", "Đạt", 2)
    CAN_CO_GANG = ("C", "Cần cố gắng", 1)


class YearResult(_Coded):
    """End-of-year result of a primary student (DOMAIN.md §2 table)."""

    HOAN_THANH_XUAT_SAC = ("HTXS", "Hoàn thành xuất sắc", 4)
    HOAN_THANH_TOT = ("HTT", "Hoàn thành tốt", 3)
    HOAN_THANH = ("HT", "Hoàn thành", 2)
    CHUA_HOAN_THANH = ("CHT", "Chưa hoàn thành", 1)


class Checkpoint(StrEnum):
    """The four assessment checkpoints of a school year, in order."""

    MID_SEMESTER_I = "mid_semester_1"
    END_OF_SEMESTER_I = "end_of_semester_1"
    MID_SEMESTER_II = "mid_semester_2"
    END_OF_YEAR = "end_of_year"

    @property
    def label(self) -> str:
        return _CHECKPOINT_LABELS[self]


_CHECKPOINT_LABELS = {
    Checkpoint.MID_SEMESTER_I: "Giữa học kì I",
    Checkpoint.END_OF_SEMESTER_I: "Cuối học kì I",
    Checkpoint.MID_SEMESTER_II: "Giữa học kì II",
    Checkpoint.END_OF_YEAR: "Cuối năm học",
}

QUALITIES: tuple[str, ...] = ("yêu nước", "nhân ái", "chăm chỉ", "trung thực", "trách nhiệm")
GENERAL_COMPETENCIES: tuple[str, ...] = (
    "tự chủ và tự học",
    "giao tiếp và hợp tác",
    "giải quyết vấn đề và sáng tạo",
)
SPECIFIC_COMPETENCIES: tuple[str, ...] = (
    "ngôn ngữ",
    "tính toán",
    "khoa học",
    "công nghệ",
    "tin học",
    "thẩm mĩ",
    "thể chất",
)
COMPETENCIES: tuple[str, ...] = GENERAL_COMPETENCIES + SPECIFIC_COMPETENCIES

GRADES = range(1, 6)

# Subject codes of students/catalogue.py (primary level).
TIENG_VIET, TOAN = "tieng-viet", "toan"
TESTED_SUBJECTS: frozenset[str] = frozenset(
    {TIENG_VIET, TOAN, "ngoai-ngu-1", "lich-su-dia-li", "khoa-hoc", "tin-hoc-cong-nghe"}
)
MID_SEMESTER_TESTED_SUBJECTS: frozenset[str] = frozenset({TIENG_VIET, TOAN})
MID_SEMESTER_TEST_GRADES: frozenset[int] = frozenset({4, 5})
_TERM_END_CHECKPOINTS = frozenset({Checkpoint.END_OF_SEMESTER_I, Checkpoint.END_OF_YEAR})


def fold(text: str) -> str:
    """Case- and accent-insensitive key: NFD, combining marks dropped, đ → d, casefolded, spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("đ", "d").replace("Đ", "D")
    return " ".join(bare.casefold().split())


def _lookup(enum_cls: type[_Coded]) -> dict[str, _Coded]:
    table: dict[str, _Coded] = {}
    for member in enum_cls:
        for key in (fold(member.code), fold(member.label)):
            assert table.setdefault(key, member) is member, f"ambiguous key {key!r} in {enum_cls.__name__}"
    return table


_SUBJECT_LOOKUP = _lookup(SubjectRating)
_QUALITY_LOOKUP = _lookup(QualityRating)


def _parse(text: object, table: Mapping[str, _Coded], allowed: str) -> _Coded:
    if not isinstance(text, str) or not text.strip():
        raise RatingError(f"Chưa nhập xếp loại; hãy nhập {allowed}.")
    member = table.get(fold(text))
    if member is None:
        raise RatingError(f"Giá trị “{text.strip()}” không hợp lệ; hãy nhập {allowed}.")
    return member


def parse_subject_rating(text: str) -> SubjectRating:
    """A subject rating from a grid code (T / H / C) or its full label, ignoring case and accents.

    A blank cell raises too: clearing a cell is the caller's decision, not a rating."""
    return _parse(text, _SUBJECT_LOOKUP, "T, H, C (Hoàn thành tốt, Hoàn thành, Chưa hoàn thành)")


def parse_quality_rating(text: str) -> QualityRating:
    """A quality/competency rating from a grid code (T / Đ / C; "D" works too) or its full label, ignoring
    case and accents. A blank cell raises."""
    return _parse(text, _QUALITY_LOOKUP, "T, Đ, C (Tốt, Đạt, Cần cố gắng)")


def _check_grade(grade: int) -> None:
    if isinstance(grade, bool) or not isinstance(grade, int) or grade not in GRADES:
        raise ValueError(f"Lớp {grade!r} không phải lớp tiểu học (1–5).")


def tests_required(
    grade: int,
    checkpoint: Checkpoint,
    subject_code: str,
    subjects_of_grade: Collection[str] | None = None,
) -> bool:
    """Whether ``subject_code`` has a written test at ``checkpoint`` in ``grade`` (1–5).

    - End of semester I and end of year: every subject of TESTED_SUBJECTS.
    - Mid-semester I and II: Tiếng Việt and Toán, in grades 4 and 5 only.

    A tested subject is tested only where the grade has it (e.g. Ngoại ngữ 1 from grade 3, Khoa học from
    grade 4). Pass the codes of the grade's subjects as ``subjects_of_grade`` (the school's own catalogue,
    which the admin may edit) and a subject outside it is never tested. With ``subjects_of_grade=None`` the
    caller vouches that the grade has the subject; this module does not read students/catalogue.py.
    """
    _check_grade(grade)
    checkpoint = Checkpoint(checkpoint)
    if subjects_of_grade is not None and subject_code not in subjects_of_grade:
        return False
    if checkpoint in _TERM_END_CHECKPOINTS:
        return subject_code in TESTED_SUBJECTS
    return grade in MID_SEMESTER_TEST_GRADES and subject_code in MID_SEMESTER_TESTED_SUBJECTS


_SCORE_RE = re.compile(r"[0-9]{1,2}")


def _score_range_message() -> str:
    lowest = MIN_SCORE if ZERO_SCORE_ALLOWED else 1
    return f"Điểm kiểm tra phải là số nguyên từ {lowest} đến {MAX_SCORE}, không có phần thập phân."


def _check_score(score: int) -> int:
    lowest = MIN_SCORE if ZERO_SCORE_ALLOWED else 1
    if not lowest <= score <= MAX_SCORE:
        raise ScoreError(_score_range_message())
    return score


def parse_test_score(text: str | int) -> int:
    """A written-test score: a whole number 0–10 (1–10 if not ZERO_SCORE_ALLOWED), written with ASCII digits
    only. Any decimal part is rejected, even "7.0" / "7,0": Circular 27 scores have no decimals."""
    if isinstance(text, int) and not isinstance(text, bool):
        return _check_score(text)
    if not isinstance(text, str) or not _SCORE_RE.fullmatch(text.strip()):
        raise ScoreError(_score_range_message())
    return _check_score(int(text.strip()))


def _require_complete(
    kind: str, ratings: Mapping[str, object], expected: Collection[str], enum_cls: type[_Coded]
) -> None:
    unknown = sorted(set(ratings) - set(expected))
    if unknown:
        raise RatingError(f"Không có {kind} nào tên: {', '.join(unknown)}.")
    missing = [name for name in expected if ratings.get(name) is None]
    if missing:
        raise MissingRatingError(f"Chưa đánh giá {kind}: {', '.join(missing)}.")
    for name in expected:
        if not isinstance(ratings[name], enum_cls):
            raise RatingError(f"Đánh giá {kind} “{name}” không hợp lệ: {ratings[name]!r}.")


def end_of_year_result(
    subject_ratings: Mapping[str, SubjectRating],
    quality_ratings: Mapping[str, QualityRating],
    competency_ratings: Mapping[str, QualityRating],
    test_scores: Mapping[str, int],
) -> YearResult:
    """The end-of-year result by the DOMAIN.md §2 table.

    - ``subject_ratings``: subject code → end-of-year rating, for every subject/activity of the student's
      grade; its keys are the student's subjects (at least one).
    - ``quality_ratings``: every name of QUALITIES → rating; ``competency_ratings``: every name of
      GENERAL_COMPETENCIES and SPECIFIC_COMPETENCIES → rating.
    - ``test_scores``: subject code → end-of-year test score, for exactly the rated subjects that are in
      TESTED_SUBJECTS.

    Nothing is guessed: a missing (absent or None) rating or score raises MissingRatingError, an unknown name,
    a test score for an untested subject or a value of the wrong type raises RatingError/ScoreError.

    Levels, first match wins:
    Hoàn thành xuất sắc — all subjects Hoàn thành tốt, all qualities and competencies Tốt, every test ≥ 9;
    Hoàn thành tốt — the same with every test ≥ 7;
    Hoàn thành — all subjects at least Hoàn thành, all at least Đạt, every test ≥ 5;
    Chưa hoàn thành — otherwise.
    """
    if not subject_ratings:
        raise MissingRatingError("Chưa đánh giá môn học nào.")
    _require_complete("môn học", subject_ratings, list(subject_ratings), SubjectRating)
    _require_complete("phẩm chất", quality_ratings, QUALITIES, QualityRating)
    _require_complete("năng lực", competency_ratings, COMPETENCIES, QualityRating)

    tested = [code for code in subject_ratings if code in TESTED_SUBJECTS]
    extra = sorted(set(test_scores) - set(tested))
    if extra:
        raise RatingError(f"Có điểm kiểm tra cho môn không kiểm tra định kì: {', '.join(extra)}.")
    missing = [code for code in tested if test_scores.get(code) is None]
    if missing:
        raise MissingRatingError(f"Chưa có điểm kiểm tra cuối năm môn: {', '.join(missing)}.")
    scores = []
    for code in tested:
        score = test_scores[code]
        if isinstance(score, bool) or not isinstance(score, int):
            raise ScoreError(_score_range_message())
        scores.append(_check_score(score))

    subjects = subject_ratings.values()
    qualities = [*quality_ratings.values(), *competency_ratings.values()]
    lowest_score = min(scores, default=MAX_SCORE)

    if all(r is SubjectRating.HOAN_THANH_TOT for r in subjects) and all(
        q is QualityRating.TOT for q in qualities
    ):
        if lowest_score >= 9:
            return YearResult.HOAN_THANH_XUAT_SAC
        if lowest_score >= 7:
            return YearResult.HOAN_THANH_TOT
    if (
        all(r.rank >= SubjectRating.HOAN_THANH.rank for r in subjects)
        and all(q.rank >= QualityRating.DAT.rank for q in qualities)
        and lowest_score >= 5
    ):
        return YearResult.HOAN_THANH
    return YearResult.CHUA_HOAN_THANH
