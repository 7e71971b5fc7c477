"""Reads of publication: the state of each column of the entry grid (published when, how many cells
pending), the school's publication settings, and how columns are named and ordered for parents."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Count, Exists, Max, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext

from grades.models import FINAL_COLUMNS, GradebookSettings, PublishPolicy, Score, regular_columns
from students.models import Enrolment, TeachingAssignment, Term

COLUMN_ORDER = {column: n for n, column in enumerate(regular_columns(10) + list(FINAL_COLUMNS))}


def column_label(column: str) -> str:
    """The official name of a column (Circular 22): TX2 → "ĐĐGtx 2", GK → "ĐĐGgk", CK → "ĐĐGck"."""
    if column.startswith("TX"):
        return f"ĐĐGtx {column[2:]}"
    return {"GK": "ĐĐGgk", "CK": "ĐĐGck"}.get(column, column)


def term_label(number: int) -> str:
    """The short name of a term in a message: "HK I", "HK II" (every character of an SMS is paid for)."""
    return gettext("HK I") if number == 1 else gettext("HK II")


def gradebook_settings() -> GradebookSettings:
    """The school's settings row, made with the defaults on first use."""
    settings, _ = GradebookSettings.objects.get_or_create(pk=1)
    return settings


@dataclass
class ColumnState:
    column: str
    published_at: datetime | None = None  # the latest publication of a cell of the column
    pending: int = 0  # cells whose value differs from what parents see
    auto_minutes: int | None = None  # the automatic policy's delay; None under the manual policy

    @property
    def status(self) -> str:
        if self.pending:
            return gettext("Có thay đổi chưa công bố (%(count)s)") % {"count": self.pending}
        if self.published_at is None:
            return gettext("Chưa công bố")
        when = timezone.localtime(self.published_at)
        return gettext("Đã công bố %(time)s") % {"time": f"{when:%H:%M %d/%m}"}


def column_states(
    assignment: TeachingAssignment,
    term: Term,
    columns: list[str],
    settings: GradebookSettings | None = None,
) -> dict[str, ColumnState]:
    """The publication state of each of `columns` for the students enrolled in the class today, in one
    query (plus one for the settings when not given). A column with no cell yet is "Chưa công bố"."""
    settings = settings or gradebook_settings()
    auto = settings.auto_publish_after_minutes if settings.publish_policy == PublishPolicy.AUTO else None
    today = timezone.localdate()
    enrolled = Enrolment.objects.filter(
        student=OuterRef("student"),
        school_class_id=assignment.school_class_id,
        starts_on__lte=today,
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    table = Score._meta.db_table  # the base table of the query, unaliased
    differs = RawSQL(
        f'"{table}"."published_value" IS DISTINCT FROM "{table}"."value" '
        f'OR "{table}"."published_rating" IS DISTINCT FROM "{table}"."rating"',
        [],
        output_field=BooleanField(),
    )
    found = {
        row["column"]: row
        for row in Score.objects.filter(
            Exists(enrolled), subject_id=assignment.subject_id, term=term, column__in=columns
        )
        .values("column")
        .annotate(published_at=Max("published_at"), pending=Count("pk", filter=differs))
        .order_by()
    }
    return {
        column: ColumnState(
            column,
            found.get(column, {}).get("published_at"),
            found.get(column, {}).get("pending", 0),
            auto,
        )
        for column in columns
    }
