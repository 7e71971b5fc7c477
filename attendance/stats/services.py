"""The one write of the statistics pages: the audit record of a district export."""

from attendance.stats.export import ExportPeriod
from schoolbook.audit.services import audit_record


def export_record(*, actor, period: ExportPeriod, fmt: str, table: str | None) -> None:
    """Audit an export (who took which attendance data, in which format) before it is streamed."""
    audit_record(
        actor=actor,
        action="attendance.export",
        after={"from": period.start.isoformat(), "to": period.end.isoformat(), "format": fmt, "table": table},
        object_repr=period.text,
    )
