"""The payment-data export for the city's operations centre, as CSV or JSON, both streamed, made exactly as
the attendance export for the district (attendance/stats/export.py, docs/attendance-export.md): the same
sign-in and roles' 404, the same URL shape (a day, a month; here also a range), the same formats and
conventions. docs/payment-export.md describes every field.

Two tables, with the same field names in both formats (machine names, stable, documented):
- `payments`: one record per payment recorded in the period, reversals as negative records;
- `invoices`: one record per invoice due in the period, with what has been paid on it so far.

Only what a collection figure needs: the student's code and class, never a name, a parent's phone, a bank
account, a transfer note (parents write names and phone numbers in them) or a bank reference. A CSV file holds
one table (`?table=`); the JSON document holds both. Every export is audited (payments.exports.services)."""

import json
from collections.abc import Iterator

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from payments.exports.periods import Period
from payments.exports.selectors import invoice_records, payment_records
from schoolbook.spreadsheets import csv_lines

CURRENCY = "VND"

PAYMENT_FIELDS = [
    "payment_id", "date", "recorded_at", "receipt", "invoice_code", "round", "grade", "class",
    "student_code", "amount", "source", "received_at", "reverses_payment_id", "sector_id",
]  # fmt: skip
INVOICE_FIELDS = [
    "invoice_code", "round", "due_on", "grade", "class", "student_code", "items", "total", "paid",
    "outstanding", "state", "overdue", "sector_id",
]  # fmt: skip


def export_payments(period: Period) -> Iterator[dict]:
    for record in payment_records(period.start, period.end):
        yield {
            "payment_id": record.payment_id,
            "date": record.recorded_at.date().isoformat(),
            "recorded_at": record.recorded_at.isoformat(timespec="seconds"),
            "receipt": record.receipt,
            "invoice_code": record.invoice_code,
            "round": record.round,
            "grade": record.grade,
            "class": record.school_class,
            "student_code": record.student_code,
            "amount": record.amount,
            "source": record.source,
            "received_at": record.received_at.isoformat(timespec="seconds"),
            "reverses_payment_id": record.reverses,
            "sector_id": record.student_sector_id,
        }


def export_invoices(period: Period) -> Iterator[dict]:
    for record in invoice_records(due=(period.start, period.end)):
        yield {
            "invoice_code": record.code,
            "round": record.round,
            "due_on": record.due_on.isoformat(),
            "grade": record.grade,
            "class": record.school_class,
            "student_code": record.student_code,
            "items": "; ".join(description for description, _amount in record.items),
            "total": record.total,
            "paid": record.paid,
            "outstanding": record.outstanding,
            "state": record.state,
            "overdue": record.overdue,
            "sector_id": record.student_sector_id,
        }


TABLES = {"payments": (PAYMENT_FIELDS, export_payments), "invoices": (INVOICE_FIELDS, export_invoices)}
FORMATS = ("csv", "json")


def export_csv(period: Period, table: str) -> Iterator[str]:
    """One table as CSV lines (schoolbook.spreadsheets.csv_lines: UTF-8 with a BOM, formula-safe text).
    The rows are produced while the response is sent, after the view has returned: the generator keeps
    the school's schema that was current when it was made."""
    fields, rows = TABLES[table]
    schema = connection.schema_name

    def lines():
        with schema_context(schema):
            yield from csv_lines(fields, rows(period))

    return lines()


def export_json(period: Period, school) -> Iterator[str]:
    """Both tables in one JSON document, written piece by piece, one record at a time."""
    schema = connection.schema_name
    head = {
        "school": {"code": school.code, "name": school.name},
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "currency": CURRENCY,
    }

    def chunks():
        with schema_context(schema):
            yield json.dumps(head, ensure_ascii=False)[:-1]  # the object stays open for the two tables
            for name, (_fields, rows) in TABLES.items():
                yield f', "{name}": ['
                for n, record in enumerate(rows(period)):
                    yield ("," if n else "") + json.dumps(record, ensure_ascii=False)
                yield "]"
            yield "}"

    return chunks()
