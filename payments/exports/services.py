"""The one write of the exports: the audit record of who took which payment data, before it is sent."""

from schoolbook.audit.services import audit_record


def export_record(*, actor, what: str, fmt: str, scope: dict) -> None:
    """`what`: the accounting workbook ("payments", "invoices") or the city export's table ("city:…")."""
    audit_record(actor=actor, action="payments.export", after={"what": what, "format": fmt, **scope})
