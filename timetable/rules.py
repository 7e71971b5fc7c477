"""The timetable's rules, with no Django: the week's slots (weekday × session × period), which version of a
class's timetable holds on a day, and a teacher's clashes (two classes at the same period of the same day
while both versions hold).

A school week here is Monday to Saturday (Vietnamese schools teach on Saturday mornings at least); each
session (buổi) has the school's number of periods (tiết), morning and afternoon counted from 1 as timetables
print them ("tiết 2 buổi chiều")."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

WEEKDAYS = range(6)  # Monday (0) … Saturday (5): date.weekday()
MORNING, AFTERNOON = "morning", "afternoon"
SESSIONS = (MORNING, AFTERNOON)
MAX_PERIODS = 10  # per session: the roll call's period numbers go no higher

Slot = tuple[int, str, int]  # (weekday, session, period)


def week_slots(morning: int, afternoon: int) -> list[Slot]:
    """Every slot of the week, day by day, morning before afternoon, periods in order."""
    return [
        (day, session, period)
        for day in WEEKDAYS
        for session, count in ((MORNING, morning), (AFTERNOON, afternoon))
        for period in range(1, count + 1)
    ]


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of `day`'s week."""
    return day - datetime.timedelta(days=day.weekday())


def version_on(starts: list[datetime.date], day: datetime.date) -> datetime.date | None:
    """Of a class's versions (their start dates, any order), the start of the one that holds on `day`: the
    latest that has started. None before the first."""
    started = [start for start in starts if start <= day]
    return max(started, default=None)


def version_ends(starts: list[datetime.date], start: datetime.date, last_day: datetime.date) -> datetime.date:
    """The last day the version starting on `start` holds: the day before the next version starts, else
    `last_day` (the end of the class's school year)."""
    later = [other for other in starts if other > start]
    return min(later) - datetime.timedelta(days=1) if later else last_day


@dataclass(frozen=True)
class Booking:
    """A teacher taken for a slot by a class while one version holds (from `first` to `last`, inclusive).
    `new`: part of the change being checked (clashes between old bookings are not this change's fault)."""

    teacher: int
    group: str  # the class's name
    slot: Slot
    first: datetime.date
    last: datetime.date
    new: bool = True


@dataclass(frozen=True)
class Clash:
    teacher: int
    slot: Slot
    groups: tuple[str, str]  # the new booking's class first
    since: datetime.date  # the first day both hold


def clashes(bookings: list[Booking]) -> list[Clash]:
    """Each pair of bookings of one teacher for one slot, by two different classes, whose days overlap and
    at least one of which is new; a pair found more than once (several versions) is reported once, at its
    first day."""
    by_teacher_slot: dict[tuple[int, Slot], list[Booking]] = defaultdict(list)
    for booking in bookings:
        by_teacher_slot[(booking.teacher, booking.slot)].append(booking)
    found: dict[tuple, Clash] = {}
    for (teacher, slot), group in by_teacher_slot.items():
        for a, b in combinations(group, 2):
            if a.group == b.group or not (a.new or b.new):
                continue
            since, until = max(a.first, b.first), min(a.last, b.last)
            if since > until:
                continue
            first, second = (a, b) if a.new else (b, a)
            key = (teacher, slot, *sorted((first.group, second.group)))
            if key not in found or since < found[key].since:
                found[key] = Clash(teacher, slot, (first.group, second.group), since)
    return sorted(found.values(), key=lambda c: (c.slot, c.groups, c.teacher))


# --- how timetables write days and sessions -----------------------------------------------------------------

_WEEKDAY_WORDS = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}


def weekday_of(folded: str) -> int | None:
    """A weekday as Vietnamese timetables write it, already accent-folded and lower case: "2"…"7", "thu 2",
    "t2", "thu hai", "hai" → 0 (Monday) … 5 (Saturday); None for anything else (Sunday included)."""
    text = " ".join(folded.replace(".", " ").split())
    for prefix in ("thu ", "t"):
        if text.startswith(prefix) and text != "tu":
            text = text[len(prefix) :].strip()
            break
    if text.isdigit() and 2 <= int(text) <= 7:
        return int(text) - 2
    return _WEEKDAY_WORDS.get(text)


def session_of(folded: str) -> str | None:
    """ "sang", "s" → morning; "chieu", "c" → afternoon (folded); None otherwise."""
    text = folded.strip()
    if text in ("sang", "s", "buoi sang"):
        return MORNING
    if text in ("chieu", "c", "buoi chieu"):
        return AFTERNOON
    return None
