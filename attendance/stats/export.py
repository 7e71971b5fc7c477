"""The export of a day's or a month's attendance for the district's data centre, as CSV or JSON, both
streamed. docs/attendance-export.md describes every field and the counting rule.

Two tables, with the same field names in both formats (machine names, stable, documented; not the page's
Vietnamese headers, which a data centre's import would have to follow through translations):
- `marks`: one record per student and session roll call (period 0) with a mark: P, K or M (late). A
  student without a record was present, as in the roll call itself. Notes are not exported: they may hold
  health details the district does not need;
- `classes`: per class of the current year, the session roll calls taken, the student-sessions they
  covered, the marks of each kind and the present rate: what a rate needs, so no one re-derives it.

A CSV file holds one table (`?table=`); the JSON document holds both. The export is audited
(attendance.stats.services.export_record)."""

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, F, When
from django.db.models.functions import Length
from django.utils import timezone
from django_tenants.utils import schema_context

from attendance.models import ABSENCES, Session
from attendance.rules import LIMIT, WARN_FROM
from attendance.stats.selectors import (
    MARK_CODES,
    Slot,
    class_order,
    month_bounds,
    roll_call_slots,
    session_marks,
)
from schoolbook.spreadsheets import csv_lines
from students.models import SchoolClass

MARK_FIELDS = [
    "date",
    "session",
    "grade",
    "class",
    "student_code",
    "student_name",
    "mark",
    "absence",
    "source",
    "sector_id",
]
CLASS_FIELDS = [
    "from", "to", "grade", "class", "roll_calls", "student_sessions",
    "excused", "unexcused", "absences", "late", "present_rate",
]  # fmt: skip


def export_marks(start: datetime.date, end: datetime.date) -> Iterator[dict]:
    """One record per student and session roll call with a mark, from `start` to `end`, by day, session,
    class and student; read in chunks (docs/attendance-export.md describes each field)."""
    rows = (
        session_marks()
        .filter(roll_call__date__range=(start, end))
        .annotate(
            day=F("roll_call__date"),
            session=F("roll_call__session"),
            class_name=F("roll_call__school_class__name"),
            grade=F("roll_call__school_class__grade__number"),
            code=F("student__student_code"),
            name=F("student__full_name"),
            sector_id=F("student__sector_id"),
        )
        .order_by(
            "roll_call__date",
            Case(When(roll_call__session=Session.MORNING, then=0), default=1),
            "roll_call__school_class__grade__number",
            Length("roll_call__school_class__name"),
            "roll_call__school_class__name",
            "student__sort_key",
            "student__student_code",
        )
        .values_list("day", "session", "grade", "class_name", "code", "name", "mark", "source", "sector_id")
    )
    for day, session, grade, class_name, code, name, mark, source, sector_id in rows.iterator(
        chunk_size=2000
    ):
        yield {
            "date": day.isoformat(),
            "session": session,
            "grade": grade,
            "class": class_name,
            "student_code": code,
            "student_name": name,
            "mark": MARK_CODES[mark],
            "absence": mark in ABSENCES,
            "source": source,
            "sector_id": sector_id,
        }


def export_classes(start: datetime.date, end: datetime.date) -> list[dict]:
    """Per class of the current year: roll calls taken, student-sessions and marks from `start` to `end`."""
    classes = SchoolClass.objects.filter(year__is_current=True).select_related("grade")
    per_class: dict[int, Slot] = {}
    for class_id, _day, _session, slot in roll_call_slots(classes, start, end):
        per_class[class_id] = per_class.get(class_id, Slot()) + slot
    records = []
    for school_class in class_order(classes):
        slot = per_class.get(school_class.pk, Slot())
        records.append(
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "grade": school_class.grade.number,
                "class": school_class.name,
                "roll_calls": slot.roll_calls,
                "student_sessions": slot.student_sessions,
                "excused": slot.absences.excused,
                "unexcused": slot.absences.unexcused,
                "absences": slot.absences.total,
                "late": slot.absences.late,
                "present_rate": round(slot.present / slot.student_sessions, 4)
                if slot.student_sessions
                else None,
            }
        )
    return records


TABLES = {"marks": (MARK_FIELDS, export_marks), "classes": (CLASS_FIELDS, export_classes)}
FORMATS = ("csv", "json")


@dataclass(frozen=True)
class ExportPeriod:
    start: datetime.date
    end: datetime.date
    text: str  # as in the URL: 2026-11-25 (a day) or 2026-11 (a month)


def export_period(text: str) -> ExportPeriod | None:
    """ "2026-11-25" → that day; "2026-11" → that month; anything else → None."""
    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            return ExportPeriod(day, day, text)
        if len(text) == 7:
            first, last = month_bounds(datetime.date.fromisoformat(text + "-01"))
            return ExportPeriod(first, last, text)
    except ValueError:
        return None
    return None


def export_csv(period: ExportPeriod, table: str) -> Iterator[str]:
    """One table as CSV lines: UTF-8 with a BOM (Excel then shows the accents), text that could run as a
    formula quoted. The rows are produced while the response is sent, after the view has returned: the
    generator keeps the school's schema that was current when it was made."""
    fields, rows = TABLES[table]
    schema = connection.schema_name

    def lines():
        with schema_context(schema):
            yield from csv_lines(fields, rows(period.start, period.end))

    return lines()


def export_json(period: ExportPeriod, school) -> Iterator[str]:
    """Both tables in one JSON document, written piece by piece: the head, the classes, then the marks one
    record at a time (a month of a large school is tens of thousands of records)."""
    schema = connection.schema_name
    head = {
        "school": {"code": school.code, "name": school.name},
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "counting_rule": {"absence_marks": ["P", "K"], "limit": LIMIT, "warn_from": WARN_FROM},
    }

    def chunks():
        with schema_context(schema):
            yield json.dumps(head, ensure_ascii=False)[:-1]  # the object stays open for the two tables
            yield ', "classes": ' + json.dumps(export_classes(period.start, period.end), ensure_ascii=False)
            yield ', "marks": ['
            for n, record in enumerate(export_marks(period.start, period.end)):
                yield ("," if n else "") + json.dumps(record, ensure_ascii=False)
            yield "]}"

    return chunks()
