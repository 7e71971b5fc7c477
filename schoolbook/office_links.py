"""A school's records for the education offices' data links (offices.links), made inside the school's schema
from the same rows as its exports: the attendance export's classes and marks of a day
(attendance.stats.export: session roll calls only, the same counting rule) and the city payment export's
payments recorded that day (payments.exports.city). Here, in the composition layer, because the offices app
may not import its sibling apps; offices.tasks calls it through settings.OFFICE_LINKS_PRODUCER.

What each record carries is docs/integrations.md's: the student's code and sector identifier (mã định danh),
never a name (the centre links records to the student by the sector identifier; DOMAIN.md §7: as little
personal data as the purpose needs). A class record is made for every class of the year on a day the
school took at least one session roll call, so a class that did not take it shows as zeros; on other days
(weekends, holidays) nothing is sent."""

from attendance.stats.export import export_classes, export_marks
from offices.links import protocol
from offices.links.selectors import links_covering
from offices.links.services import Produced, records_enqueue
from payments.exports.city import export_payments
from payments.exports.periods import Period

# The log's label of a record says which class and session or which receipt, never which student: the office
# sees the centre's answers, not a student's record (docs/decisions.md, "Offices live in public…").
SESSIONS = {"morning": "buổi sáng", "afternoon": "buổi chiều"}
_MARK_FIELDS = [f for f in protocol.RECORD_FIELDS[protocol.ATTENDANCE_MARK] if f != "school_code"]
_PAYMENT_FIELDS = [f for f in protocol.RECORD_FIELDS[protocol.PAYMENT] if f != "school_code"]


def records_produce(*, school, day) -> int:
    """Write `day`'s records into the outbox of every link covering `school` (the current schema); returns
    the number of outbox rows written (0 when nothing changed since the last run)."""
    types = {kind for link in links_covering(school) for kind in link.record_types()}
    produced = {}
    if protocol.ATTENDANCE_CLASS in types:
        produced[protocol.ATTENDANCE_CLASS] = _classes(school, day)
    if protocol.ATTENDANCE_MARK in types:
        produced[protocol.ATTENDANCE_MARK] = _marks(school, day)
    if protocol.PAYMENT in types:
        produced[protocol.PAYMENT] = _payments(school, day)
    if not produced:
        return 0
    return records_enqueue(school=school, day=day, produced=produced)


def _classes(school, day) -> list[Produced]:
    rows = export_classes(day, day)
    if not any(row["roll_calls"] for row in rows):
        return []  # not a school day here: no zeros for the weekend
    return [
        Produced(
            record_id=f"{school.code}/{protocol.ATTENDANCE_CLASS}/{day.isoformat()}/{row['class']}",
            label=row["class"],
            data={"school_code": school.code, "date": day.isoformat()}
            | {k: row[k] for k in protocol.RECORD_FIELDS[protocol.ATTENDANCE_CLASS] if k in row},
        )
        for row in rows
    ]


def _marks(school, day) -> list[Produced]:
    return [
        Produced(
            record_id=f"{school.code}/{protocol.ATTENDANCE_MARK}/{row['date']}/{row['session']}/{row['student_code']}",
            label=f"{row['class']} · {SESSIONS.get(row['session'], row['session'])}",
            data={"school_code": school.code} | {k: row[k] for k in _MARK_FIELDS},
        )
        for row in export_marks(day, day)
    ]


def _payments(school, day) -> list[Produced]:
    return [
        Produced(
            record_id=f"{school.code}/{protocol.PAYMENT}/{row['payment_id']}",
            label=f"{row['receipt']} · {row['amount']:,} đ".replace(",", "."),
            data={"school_code": school.code} | {k: row[k] for k in _PAYMENT_FIELDS},
        )
        for row in export_payments(Period(day, day, day.isoformat()))
    ]
