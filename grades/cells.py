"""What every part of the gradebook shares about a cell: the refusal it raises (GradeError), the save
result of each cell of a grid, a cell's text ("7,5", "Đ", "CĐ"), reading a Đ / CĐ rating, and a
subject's semester result from its cells."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext

from grades.models import FINAL_COLUMNS, Score, regular_columns
from grades.rules.circular22 import ScoreError, pass_fail_semester, semester_average
from schoolbook.text import fold
from students.models import Assessment


class GradeError(ValueError):
    """A change the gradebook refuses; the message is Vietnamese, shown to the user."""


SAVED, UNCHANGED, INVALID, CONFLICT = "saved", "unchanged", "invalid", "conflict"


SECONDARY_KINDS = (Assessment.SCORED, Assessment.PASS_FAIL)


_PASS = {"d", "dat"}


_FAIL = {"cd", "chua dat"}


def score_text(value: Decimal | None, rating: bool | None) -> str:
    """A cell as the teacher sees it: "7,5", "Đ", "CĐ", or "" when empty."""
    if value is not None:
        return f"{value:.1f}".replace(".", ",")
    if rating is not None:
        return "Đ" if rating else "CĐ"
    return ""


def parse_rating(text: str) -> bool:
    """Đ / CĐ (also "Đạt", "Chưa đạt", "d", "cd": accents and case are folded) → True / False."""
    folded = fold(text)
    if folded in _PASS:
        return True
    if folded in _FAIL:
        return False
    raise ScoreError(
        gettext("«%(text)s» không hợp lệ; môn đánh giá bằng nhận xét chỉ nhận Đ (Đạt) hoặc CĐ (Chưa đạt).")
        % {"text": text.strip()}
    )


@dataclass
class CellResult:
    student_id: int
    column: str
    status: str  # saved / unchanged / invalid / conflict
    version: int | None = None  # the cell's version after the save (saved, unchanged) or now (conflict)
    text: str = ""  # the cell's value now, as shown ("7,5", "Đ", "")
    reason: str = ""  # invalid: why; conflict: who changed it first
    updated_by: str = ""  # conflict: the name of whoever saved the current value


@dataclass
class SaveResult:
    cells: list[CellResult] = field(default_factory=list)

    def _with(self, status):
        return [cell for cell in self.cells if cell.status == status]

    @property
    def saved(self) -> list[CellResult]:
        return self._with(SAVED)

    @property
    def invalid(self) -> list[CellResult]:
        return self._with(INVALID)

    @property
    def conflicts(self) -> list[CellResult]:
        return self._with(CONFLICT)


def cell_average(row: dict[str, Score], regular_count: int, scored: bool) -> Decimal | bool | None:
    """One student's semester result of one subject from their cells by column: the average of a scored
    subject, Đạt (True) / Chưa đạt (False) of a comment-only one, None while a required cell is empty."""
    required = regular_columns(regular_count) + list(FINAL_COLUMNS)
    if any(column not in row or row[column].is_empty for column in required):
        return None
    if scored:
        regular = [row[column].value for column in regular_columns(regular_count)]
        return semester_average(regular, row["GK"].value, row["CK"].value)
    return pass_fail_semester([row[column].rating for column in required], len(required))


def result_text(result: Decimal | bool | None) -> str:
    """8.3 → "8,3"; True → "Đ"; False → "CĐ"; None → "" (not yet computable)."""
    if result is None:
        return ""
    if isinstance(result, bool):
        return "Đ" if result else "CĐ"
    return f"{result:.1f}".replace(".", ",")
