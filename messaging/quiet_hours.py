"""Quiet hours: when a school sends nothing that can wait. Plain code, no Django.

A window is [start, end) in the school's local time and may cross midnight (21:00 → 06:30); start == end
means no quiet hours at all."""

from datetime import datetime, time, timedelta


def quiet_until(now: datetime, start: time, end: time) -> datetime | None:
    """When a message written at `now` (aware, local time) may go: None when it may go now, else the end
    of the window it falls in (same tzinfo as `now`)."""
    if start == end:
        return None
    clock = now.time().replace(tzinfo=None)
    crosses_midnight = start > end
    inside = (clock >= start or clock < end) if crosses_midnight else (start <= clock < end)
    if not inside:
        return None
    day = now.date() + timedelta(days=1) if crosses_midnight and clock >= start else now.date()
    return datetime.combine(day, end, tzinfo=now.tzinfo)
