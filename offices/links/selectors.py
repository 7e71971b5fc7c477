"""Reads about the data links: the links that cover a school, and an office's sent log with its filters and
counts (public tables only: the log never reads a school's schema)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from offices.links.models import DataLink, LinkRecord


def links_covering(school) -> list[DataLink]:
    """The enabled links of the offices covering `school` now."""
    return list(
        DataLink.objects.filter(enabled=True, office__memberships__school=school).select_related("office")
    )


@dataclass(frozen=True)
class LogFilter:
    status: str = ""  # a LinkRecord.Status, or "" for all
    kind: str = ""
    school: str = ""  # a school code
    start: date | None = None
    end: date | None = None
    record: int | None = None  # one record (the replay button of a row)


def log_records(*, office, filters: LogFilter):
    """The office's records matching `filters`, newest first, with their school."""
    records = LinkRecord.objects.filter(office=office).select_related("school")
    if filters.status:
        records = records.filter(status=filters.status)
    if filters.kind:
        records = records.filter(kind=filters.kind)
    if filters.school:
        records = records.filter(school__code=filters.school)
    if filters.start:
        records = records.filter(day__gte=filters.start)
    if filters.end:
        records = records.filter(day__lte=filters.end)
    if filters.record:
        records = records.filter(pk=filters.record)
    return records.order_by("-produced_at", "-pk")


def log_counts(*, office) -> dict[str, int]:
    """Records per status, over the whole log (one query)."""
    counts = LinkRecord.objects.filter(office=office).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in counts}


def log_last_success(*, office):
    """When the centre last took a record of this office (None: never)."""
    return (
        LinkRecord.objects.filter(office=office)
        .filter(Q(status=LinkRecord.Status.SENT) | Q(status=LinkRecord.Status.DUPLICATE))
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
