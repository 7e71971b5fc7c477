"""The statement import's writes: a bank's column mapping, and the import itself (every new row through
the ledger in one database transaction, all or nothing; payments.statements.importer). Both audited."""

from django.db import transaction

from payments.models import StatementMapping
from payments.statements.importer import StatementReport, statement_importer
from schoolbook.audit.services import audit_record


def statement_mapping_save(*, actor, bank_bin: str, columns: dict[str, str]) -> StatementMapping:
    """Keep which header is which field for this bank's statements (the next import needs no mapping)."""
    columns = {name: text for name, text in columns.items() if text}
    with transaction.atomic():
        mapping = StatementMapping.objects.select_for_update().filter(bank_bin=bank_bin).first()
        before = dict(mapping.columns) if mapping else None
        if mapping is None:
            mapping = StatementMapping.objects.create(bank_bin=bank_bin, columns=columns)
        elif before != columns:
            mapping.columns = columns
            mapping.save(update_fields=["columns", "updated_at"])
        if before != columns:
            audit_record(
                actor=actor, action="payments.statement_mapping", obj=mapping, before=before, after=columns
            )
    return mapping


def statement_import(
    *, actor, school, mapping: dict[str, str], data: bytes, filename: str
) -> StatementReport:
    """Check the file again and record every new row, or nothing (`report.committed` tells which)."""
    return statement_importer(mapping).commit(actor=actor, school=school, data=data, filename=filename)
