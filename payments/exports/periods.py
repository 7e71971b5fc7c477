"""The period of an export as its URL writes it. Pure rules, no Django.

As the attendance export (docs/attendance-export.md): "2026-11-25" is that day and "2026-11" that calendar
month; the payment export also takes a range "2026-09-01_2026-12-31" (both days included, at most
MAX_DAYS days, the first not after the last), since a term or a school year is what a data centre pulls
at once. Anything else is no period (the view answers 404)."""

import calendar
import datetime
import re
from dataclasses import dataclass

MAX_DAYS = 366
_DAY, _MONTH = r"\d{4}-\d{2}-\d{2}", r"\d{4}-\d{2}"


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    text: str  # as in the URL


def period_parse(text: str) -> Period | None:
    try:
        if re.fullmatch(_DAY, text):
            day = datetime.date.fromisoformat(text)
            return Period(day, day, text)
        if re.fullmatch(_MONTH, text):
            first = datetime.date.fromisoformat(text + "-01")
            last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
            return Period(first, last, text)
        if re.fullmatch(f"{_DAY}_{_DAY}", text):
            start, end = datetime.date.fromisoformat(text[:10]), datetime.date.fromisoformat(text[11:])
            if start <= end and (end - start).days < MAX_DAYS:
                return Period(start, end, text)
    except ValueError:
        return None
    return None
