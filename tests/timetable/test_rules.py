"""The timetable's pure rules, by tables: the week's slots, which version holds on a day and until when, a
teacher's clashes, and how files write weekdays and sessions."""

import datetime

import pytest

from timetable.rules import (
    AFTERNOON,
    MORNING,
    Booking,
    clashes,
    session_of,
    version_ends,
    version_on,
    week_slots,
    week_start,
    weekday_of,
)

D = datetime.date
SEP_8, SEP_15, OCT_6, MAY_31 = D(2025, 9, 8), D(2025, 9, 15), D(2025, 10, 6), D(2026, 5, 31)


def test_week_slots_day_by_day_mornings_first():
    slots = week_slots(2, 1)
    assert len(slots) == 6 * 3
    assert slots[:4] == [(0, MORNING, 1), (0, MORNING, 2), (0, AFTERNOON, 1), (1, MORNING, 1)]
    assert week_slots(5, 0)[-1] == (5, MORNING, 5)


@pytest.mark.parametrize(
    "day, monday",
    [(D(2025, 9, 8), D(2025, 9, 8)), (D(2025, 9, 13), D(2025, 9, 8)), (D(2025, 9, 14), D(2025, 9, 8))],
)
def test_week_start(day, monday):
    assert week_start(day) == monday


@pytest.mark.parametrize(
    "starts, day, expected",
    [
        ([], SEP_8, None),  # no version at all
        ([SEP_15], SEP_8, None),  # before the first
        ([SEP_8], SEP_8, SEP_8),  # its first day
        ([SEP_8, SEP_15], D(2025, 9, 14), SEP_8),  # the day before the new one
        ([SEP_15, SEP_8], SEP_15, SEP_15),  # the new one from its day, whatever the order given
        ([SEP_8, SEP_15, OCT_6], D(2025, 12, 1), OCT_6),  # the latest started
    ],
)
def test_version_on(starts, day, expected):
    assert version_on(starts, day) == expected


@pytest.mark.parametrize(
    "starts, start, expected",
    [
        ([SEP_8], SEP_8, MAY_31),  # the last version holds to the year's end
        ([SEP_8, SEP_15], SEP_8, D(2025, 9, 14)),  # until the day before the next
        ([OCT_6, SEP_8, SEP_15], SEP_15, D(2025, 10, 5)),
    ],
)
def test_version_ends(starts, start, expected):
    assert version_ends(starts, start, MAY_31) == expected


MON1 = (0, MORNING, 1)


def booking(group, slot=MON1, first=SEP_8, last=MAY_31, teacher=7, new=True):
    return Booking(teacher, group, slot, first, last, new)


@pytest.mark.parametrize(
    "bookings, expected",
    [
        # one teacher, two classes, same slot, both holding: a clash from the later start
        ([booking("6A1"), booking("6A2", new=False)], [("6A1", "6A2", SEP_8)]),
        ([booking("6A1", first=SEP_15), booking("6A2", new=False)], [("6A1", "6A2", SEP_15)]),
        # another slot, another teacher, the same class: no clash
        ([booking("6A1"), booking("6A2", slot=(0, MORNING, 2), new=False)], []),
        ([booking("6A1"), booking("6A2", teacher=8, new=False)], []),
        ([booking("6A1"), booking("6A1", new=False)], []),
        # the same period number in the afternoon is another slot
        ([booking("6A1"), booking("6A2", slot=(0, AFTERNOON, 1), new=False)], []),
        # the other class's version ended before the new one starts: no clash
        ([booking("6A1", first=SEP_15), booking("6A2", last=D(2025, 9, 14), new=False)], []),
        # two old bookings clashing are not this change's fault
        ([booking("6A1", new=False), booking("6A2", new=False)], []),
        # two new ones (an import): one clash, reported once
        ([booking("6A1"), booking("6A2")], [("6A1", "6A2", SEP_8)]),
        # the same pair through two versions of the other class: once, at the first day
        (
            [booking("6A1"), booking("6A2", last=SEP_15, new=False), booking("6A2", first=OCT_6, new=False)],
            [("6A1", "6A2", SEP_8)],
        ),
    ],
)
def test_clashes(bookings, expected):
    found = [(*clash.groups, clash.since) for clash in clashes(bookings)]
    assert found == expected


@pytest.mark.parametrize(
    "text, weekday",
    [("2", 0), ("thu 2", 0), ("t2", 0), ("thu hai", 0), ("hai", 0), ("3", 1), ("thu tu", 2), ("tu", 2),
     ("thu nam", 3), ("6", 4), ("t7", 5), ("thu bay", 5), ("8", None), ("cn", None), ("1", None), ("", None)],
)  # fmt: skip
def test_weekday_of(text, weekday):
    assert weekday_of(text) == weekday


@pytest.mark.parametrize(
    "text, session", [("sang", MORNING), ("s", MORNING), ("chieu", AFTERNOON), ("buoi chieu", AFTERNOON),
                      ("toi", None), ("", None)]
)  # fmt: skip
def test_session_of(text, session):
    assert session_of(text) == session
