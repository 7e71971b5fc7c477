"""Circular 22/2021/TT-BGDĐT: assessment of lower and upper secondary students (grades 6–12).

Plain Python, no Django: ../shared/DOMAIN.md §1 is the specification. Every number is a ``decimal.Decimal``;
floats are refused and Python's ``round()`` is never used (it rounds half to even, and 8.25 is not exact in
binary). Averages are rounded half up to one decimal place.

What this module deliberately does NOT provide (Article 4: assessment must not compare students with each
other, and the circular has no such figure):

- no all-subject average (no "điểm trung bình các môn"),
- no ranking of students.

The number of regular assessments per subject per semester comes from the subject's periods per year:
``students.catalogue.regular_assessments`` computes it; it is not duplicated here.

Subjects are identified by whatever key the caller uses (a subject code); scored subjects and comment-only
(Đạt / Chưa đạt) subjects are passed in two separate mappings. A comment-only result is a ``bool``
(``True`` = Đạt, ``False`` = Chưa đạt).
"""

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from functools import total_ordering

ONE_DECIMAL = Decimal("0.1")
MIN_SCORE = Decimal("0")
MAX_SCORE = Decimal("10")

MAX_ABSENCES = 45  # sessions (buổi) per year, excused or not; more than this and the student is not promoted
QUOTA = 6  # "at least 6 subjects" in the learning-result table and for Học sinh Xuất sắc
EXCELLENT_SCORE = Decimal("9.0")

AWARD_EXCELLENT = "Học sinh Xuất sắc"
AWARD_GOOD = "Học sinh Giỏi"


class ScoreError(ValueError):
    """An entered score that Circular 22 does not allow; the message is Vietnamese, shown to the teacher."""


@total_ordering
class Level(Enum):
    """Learning result and conduct levels, best first. Ordered: ``Level.TOT > Level.KHA > Level.DAT``."""

    TOT = "Tốt"
    KHA = "Khá"
    DAT = "Đạt"
    CHUA_DAT = "Chưa đạt"

    @property
    def label(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        """3 for Tốt down to 0 for Chưa đạt: a difference of ranks is a number of steps."""
        return _RANKS[self]

    def raised(self) -> "Level":
        """The next level up (Tốt stays Tốt)."""
        return _BY_RANK[min(self.rank + 1, 3)]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank < other.rank


_RANKS = {Level.TOT: 3, Level.KHA: 2, Level.DAT: 1, Level.CHUA_DAT: 0}
_BY_RANK = {rank: level for level, rank in _RANKS.items()}


class Outcome(Enum):
    """End-of-year outcome (Articles 12–14, as summarised in DOMAIN.md §1 "End of year")."""

    PROMOTED = "Được lên lớp"
    RESIT = "Kiểm tra lại trong hè"
    SUMMER_TRAINING = "Rèn luyện trong hè"
    NOT_PROMOTED = "Không được lên lớp"

    @property
    def label(self) -> str:
        return self.value


# --- numbers ---------------------------------------------------------------------------------------------


def _decimal(value: object, what: str = "điểm") -> Decimal:
    """Accept a Decimal or an int; refuse floats (and bools) so that no binary rounding slips in."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ScoreError(f"{what.capitalize()} không hợp lệ: {value}.")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"{what} must be a Decimal or an int, not {type(value).__name__}: {value!r}")


def round_half_up(x: Decimal | int) -> Decimal:
    """Round to one decimal place, half up, in exact decimal arithmetic: 66/8 = 8.25 → 8.3."""
    return _decimal(x, "giá trị").quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _checked_score(value: object) -> Decimal:
    """A score already parsed (a Decimal): within 0–10 and with at most one decimal place."""
    score = _decimal(value)
    if score != score.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP):
        raise ScoreError(
            f"Điểm {score} có quá một chữ số thập phân; điểm chỉ được lấy đến một chữ số thập phân."
        )
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise ScoreError(f"Điểm {score} nằm ngoài thang điểm 10 (phải từ 0 đến 10).")
    return score


_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


def parse_score(text: str) -> Decimal:
    """Parse a score typed or pasted by a teacher: ``"7"``, ``"7.5"`` or ``"7,5"`` (Vietnamese decimal comma).

    Scores are on 0–10 and kept to one decimal place (DOMAIN.md §1: "8.25 is invalid"). Returns the score
    with exactly one decimal place (``"7"`` → ``Decimal("7.0")``). Raises ``ScoreError`` with a Vietnamese
    message for an empty cell, text that is not a number, more than one decimal, or a value outside 0–10.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_score expects text, not {type(text).__name__}")
    cleaned = text.strip()
    if not cleaned:
        raise ScoreError("Chưa nhập điểm: ô điểm đang để trống.")
    if not _NUMBER.fullmatch(cleaned):
        raise ScoreError(
            f"«{cleaned}» không phải là điểm hợp lệ; hãy nhập một số từ 0 đến 10, ví dụ 7 hoặc 7,5."
        )
    value = Decimal(cleaned.replace(",", "."))
    _, _, decimals = cleaned.replace(",", ".").partition(".")
    if len(decimals) > 1:
        raise ScoreError(
            f"«{cleaned}» có quá một chữ số thập phân; điểm chỉ được lấy đến một chữ số thập phân, ví dụ 8,3."
        )
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise ScoreError(f"«{cleaned}» nằm ngoài thang điểm 10; điểm phải từ 0 đến 10.")
    return value.quantize(ONE_DECIMAL)


# --- subject averages ------------------------------------------------------------------------------------


def semester_average(regular: Sequence[Decimal], midterm: Decimal, final: Decimal) -> Decimal:
    """ĐTBmhk = (sum of ĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (number of ĐĐGtx + 5), rounded half up to one decimal.

    Regular 7, 8, 9, mid 9, end 8 → 66/8 = 8.25 → 8.3; regular 8, 7, 9, 10, mid 7.5, end 8 → 73/9 → 8.1.
    Whether every required regular assessment was taken is the caller's check (the count comes from
    ``students.catalogue.regular_assessments``).
    """
    if not regular:
        raise ValueError("A semester average needs at least one regular assessment (ĐĐGtx).")
    marks = [_checked_score(score) for score in regular]
    total = sum(marks, Decimal(0)) + 2 * _checked_score(midterm) + 3 * _checked_score(final)
    return round_half_up(total / (len(marks) + 5))


def year_average(sem1: Decimal, sem2: Decimal) -> Decimal:
    """ĐTBmcn = (ĐTBmhk(I) + 2·ĐTBmhk(II)) / 3 from the rounded semester averages; 8.1 and 8.4 → 8.3."""
    first, second = _checked_score(sem1), _checked_score(sem2)
    return round_half_up((first + 2 * second) / 3)


# --- comment-only subjects (Đạt / Chưa đạt) ---------------------------------------------------------------


def pass_fail_semester(ratings: Sequence[bool | None], required_count: int) -> bool:
    """A comment-only subject is Đạt for a semester when every required assessment was taken and all are Đạt.

    ``ratings`` holds one entry per assessment: ``True`` (Đạt), ``False`` (Chưa đạt) or ``None`` (not
    taken). ``required_count`` is the number of assessments the semester requires (the regular ones, 2 for
    comment-only subjects, plus the mid-term and end-of-term ones).
    """
    if required_count < 1:
        raise ValueError("required_count must be at least 1")
    taken = [rating for rating in ratings if rating is not None]
    return len(taken) >= required_count and all(taken)


def pass_fail_year(sem1: bool, sem2: bool) -> bool:
    """A comment-only subject's year result is its semester II result (semester I does not count)."""
    del sem1
    return sem2


# --- learning result (kết quả học tập) -------------------------------------------------------------------


# The table's thresholds, made once (the dashboard applies the table to every student of a school).
_AT_LEAST_3_5, _AT_LEAST_5_0, _AT_LEAST_6_5, _AT_LEAST_8_0 = (
    Decimal(x) for x in ("3.5", "5.0", "6.5", "8.0")
)


def _table_level(scored: Mapping[str, Decimal], pass_fail: Mapping[str, bool]) -> Level:
    """DOMAIN.md §1 learning-result table, without the Article 9.3 adjustment."""
    averages = list(scored.values())
    failed_comment_only = sum(1 for passed in pass_fail.values() if not passed)
    # "every average ≥ t" is "the lowest average ≥ t" (true when there is no scored subject).
    lowest = min(averages, default=MAX_SCORE)

    def count(threshold: Decimal) -> int:
        return sum(1 for average in averages if average >= threshold)

    # Tốt: comment-only all Đạt; every average ≥ 6.5 and at least 6 subjects ≥ 8.0
    if failed_comment_only == 0 and lowest >= _AT_LEAST_6_5 and count(_AT_LEAST_8_0) >= QUOTA:
        return Level.TOT
    # Khá: comment-only all Đạt; every average ≥ 5.0 and at least 6 subjects ≥ 6.5
    if failed_comment_only == 0 and lowest >= _AT_LEAST_5_0 and count(_AT_LEAST_6_5) >= QUOTA:
        return Level.KHA
    # Đạt: at most one comment-only Chưa đạt; at least 6 subjects ≥ 5.0 and none below 3.5
    if failed_comment_only <= 1 and count(_AT_LEAST_5_0) >= QUOTA and lowest >= _AT_LEAST_3_5:
        return Level.DAT
    return Level.CHUA_DAT


# (unconfirmed) Article 9.3 does not say whether the one subject may be a comment-only subject; DOMAIN.md
# says to treat any subject as eligible. Set to False to let only scored subjects trigger the adjustment.
ADJUSTMENT_COMMENT_ONLY_ELIGIBLE = True


def one_subject_adjustment(
    level: Level, scored: Mapping[str, Decimal], pass_fail: Mapping[str, bool]
) -> Level:
    """Article 9.3 (DOMAIN.md §1): "when one single subject alone pulls the level down two or more steps below
    Tốt or Khá, the level is raised by one step (not back to where it would have been)".

    Interpretation implemented here (unconfirmed: the wording leaves the counterfactual open):

    1. ``level`` is the table level computed with every subject as it is.
    2. For each single subject, the table level is recomputed as if that subject alone were no obstacle: a
       scored subject's average is replaced by 10.0, so it satisfies every threshold of the table (≥ 3.5,
       ≥ 5.0, ≥ 6.5 and counts among the "at least 6 subjects ≥ 8.0"); a comment-only subject is treated as
       Đạt. All the other subjects keep their real results.
    3. If, for some subject, that would-be level is Tốt or Khá and the actual level is two or more steps
       below it (Tốt → Đạt or Chưa đạt; Khá → Chưa đạt), the actual level is raised by exactly one step
       (Đạt → Khá, Chưa đạt → Đạt), once, however many subjects qualify.
    4. If two subjects are needed to reach Tốt or Khá, no single subject "alone" pulled the level down and
       nothing is raised; a drop of one step (Tốt → Khá, Khá → Đạt) is never adjusted.
    5. (unconfirmed) Any subject is eligible, comment-only ones included
       (``ADJUSTMENT_COMMENT_ONLY_ELIGIBLE``).

    A stricter reading, in which the lifted subject must not be needed for the "at least 6 subjects" quotas,
    would raise fewer students; it is not implemented.
    """
    if level >= Level.KHA:  # Tốt or Khá cannot be two steps below Tốt or Khá: nothing to try
        return level

    # Only the subjects whose lifting changes the table's inputs are tried (the result is the same, the
    # dashboard applies this to every student of a school): the table looks at the averages as a multiset
    # against its thresholds and at the number of comment-only Chưa đạt. So lifting an average already
    # ≥ 8.0 (the highest threshold) or an Đạt subject would give `level` itself, which is not two steps
    # above it; and lifting any of several equal averages, or any of several Chưa đạt, gives the same level.
    def raises(would_scored: Mapping[str, Decimal], would_pass_fail: Mapping[str, bool]) -> bool:
        would_be = _table_level(would_scored, would_pass_fail)
        return would_be in (Level.TOT, Level.KHA) and would_be.rank - level.rank >= 2

    tried: set[Decimal] = set()
    for subject, average in scored.items():
        if average < _AT_LEAST_8_0 and average not in tried:
            tried.add(average)
            if raises({**scored, subject: MAX_SCORE}, pass_fail):
                return level.raised()
    if ADJUSTMENT_COMMENT_ONLY_ELIGIBLE:
        failed = next((subject for subject, passed in pass_fail.items() if not passed), None)
        if failed is not None and raises(scored, {**pass_fail, failed: True}):
            return level.raised()
    return level


def learning_result(scored_averages: Mapping[str, Decimal], pass_fail: Mapping[str, bool]) -> Level:
    """Learning result for a semester (from ĐTBmhk) or a year (from ĐTBmcn and the year comment-only results).

    The table of DOMAIN.md §1, then the Article 9.3 one-subject adjustment (``one_subject_adjustment``).
    """
    overlap = set(scored_averages) & set(pass_fail)
    if overlap:
        raise ValueError(f"Subjects both scored and comment-only: {sorted(overlap)}")
    scored = {subject: _checked_score(average) for subject, average in scored_averages.items()}
    results = {subject: bool(passed) for subject, passed in pass_fail.items()}
    return one_subject_adjustment(_table_level(scored, results), scored, results)


# --- conduct (kết quả rèn luyện) --------------------------------------------------------------------------


def year_conduct(sem1: Level, sem2: Level) -> Level:
    """Year conduct from the two semester ratings (DOMAIN.md §1 "Conduct"):

    - Tốt: II Tốt and I at least Khá.
    - Khá: II Khá and I at least Đạt; or II Đạt and I Tốt; or II Tốt and I Đạt or Chưa đạt.
    - Đạt: II Đạt and I Khá, Đạt or Chưa đạt; or II Khá and I Chưa đạt.
    - Chưa đạt: otherwise (semester II Chưa đạt).
    """
    if sem2 == Level.TOT:
        return Level.TOT if sem1 >= Level.KHA else Level.KHA
    if sem2 == Level.KHA:
        return Level.KHA if sem1 >= Level.DAT else Level.DAT
    if sem2 == Level.DAT:
        return Level.KHA if sem1 == Level.TOT else Level.DAT
    return Level.CHUA_DAT


# --- end of year -----------------------------------------------------------------------------------------


def promotion(conduct_year: Level, learning_year: Level, absences: int) -> Outcome:
    """Promoted when year conduct ≥ Đạt, year learning ≥ Đạt and absences ≤ 45 sessions (excused or not).

    Conduct ≥ Đạt with learning Chưa đạt (and absences ≤ 45) → re-sit in summer (``resit_subjects``); the
    re-sit results replace the old ones and the caller recomputes the year level and calls this again.
    Absences > 45 → not promoted, whatever the results. Conduct Chưa đạt (absences ≤ 45) → conduct training
    in the summer (Circular 22 art. 13; a student is not promoted only when still Chưa đạt after it,
    art. 12.2): the school rates the conduct again and the caller calls this again. Not in DOMAIN.md; read
    from the circular (docs/decisions.md). Re-sits need conduct ≥ Đạt (DOMAIN.md), so they wait for it.
    """
    if isinstance(absences, bool) or not isinstance(absences, int) or absences < 0:
        raise ValueError(f"absences must be a non-negative number of sessions, not {absences!r}")
    if absences > MAX_ABSENCES:
        return Outcome.NOT_PROMOTED
    if conduct_year < Level.DAT:
        return Outcome.SUMMER_TRAINING
    if learning_year < Level.DAT:
        return Outcome.RESIT
    return Outcome.PROMOTED


def resit_subjects(year_averages: Mapping[str, Decimal], pass_fail_year: Mapping[str, bool]) -> list[str]:
    """Subjects a re-sit may be chosen among: year average < 5.0, or comment-only rated Chưa đạt.

    Scored subjects first, then comment-only ones, each in the caller's order.
    """
    low = [subject for subject, average in year_averages.items() if _checked_score(average) < Decimal("5.0")]
    failed = [subject for subject, passed in pass_fail_year.items() if not passed]
    return low + failed


def award(conduct_year: Level, learning_year: Level, year_averages: Mapping[str, Decimal]) -> str | None:
    """Học sinh Xuất sắc: conduct Tốt, learning Tốt and at least 6 scored subjects with year average ≥ 9.0.
    Học sinh Giỏi: conduct Tốt and learning Tốt. Otherwise no award (``None``)."""
    if conduct_year != Level.TOT or learning_year != Level.TOT:
        return None
    excellent = sum(1 for average in year_averages.values() if _checked_score(average) >= EXCELLENT_SCORE)
    return AWARD_EXCELLENT if excellent >= QUOTA else AWARD_GOOD
