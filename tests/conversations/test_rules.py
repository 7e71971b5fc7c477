"""The pure rules of conversations, by tables: who may start one with whom, who may read and write, and a
teacher's office hours (the next opening across weekdays and a weekend)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.rules import (
    ChildContacts,
    Refusal,
    hours_text,
    may_read,
    may_write,
    next_opening,
    start_refusal,
)

# The child's guardians 1 and 2, its teachers 10 (homeroom) and 11 (Toán); 3 is a parent of another child,
# 12 a teacher who does not teach the child.
CHILD = ChildContacts(guardians=frozenset({1, 2}), teachers=frozenset({10, 11}))


@pytest.mark.parametrize(
    ("author", "recipients", "refusal"),
    [
        (1, {10}, None),  # a guardian to the homeroom teacher
        (1, {11}, None),  # to a subject teacher
        (1, {10, 11}, Refusal.NOT_A_TEACHER),  # one teacher at a time
        (1, {2}, Refusal.NOT_A_TEACHER),  # never to the other guardian
        (1, {3}, Refusal.NOT_A_TEACHER),  # nor to another family
        (1, {12}, Refusal.NOT_A_TEACHER),  # nor to a teacher who does not teach the child
        (1, set(), Refusal.NO_RECIPIENT),
        (10, {1, 2}, None),  # a teacher to all the guardians
        (10, {2}, None),  # or to one
        (10, {3}, Refusal.NOT_A_GUARDIAN),  # not to a parent of another child
        (10, {11}, Refusal.NOT_A_GUARDIAN),  # not to a colleague (staff talk elsewhere)
        (12, {1}, Refusal.NOT_RELATED),  # a teacher who does not teach the child
        (3, {10}, Refusal.NOT_RELATED),  # a parent of another child
    ],
)
def test_who_may_start_a_conversation_with_whom(author, recipients, refusal):
    assert start_refusal(author, recipients, CHILD) == refusal


@pytest.mark.parametrize(
    ("user", "participants", "board", "reads", "writes"),
    [
        (1, {1, 10}, False, True, True),  # a participant
        (2, {1, 10}, False, True, True),  # the other guardian: the child's record; joins by writing
        (3, {1, 10}, False, False, False),  # a parent of another child
        (11, {1, 10}, False, False, False),  # a teacher of the child not in it
        (20, {1, 10}, True, True, False),  # the board by the school's policy reads, does not write
        (20, {1, 10}, False, False, False),  # and without the policy sees nothing
    ],
)
def test_who_may_read_and_write(user, participants, board, reads, writes):
    assert may_read(user, participants, CHILD.guardians, board) is reads
    assert may_write(user, participants, CHILD.guardians) is writes


HCM = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKDAYS = (0, 1, 2, 3, 4)


def at(day, hour, minute=0):
    return datetime(2026, 10, day, hour, minute, tzinfo=HCM)  # 5 Oct 2026 is a Monday


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(5, 9), None),  # Monday 9:00: within the hours
        (at(5, 7), None),  # the opening minute itself
        (at(5, 6, 59), at(5, 7)),  # just before: the same morning
        (at(5, 17), at(6, 7)),  # the closing minute is out: next morning
        (at(5, 22), at(6, 7)),  # Monday night → Tuesday
        (at(9, 16, 59), None),  # Friday, the last minute in
        (at(9, 18), at(12, 7)),  # Friday evening → Monday
        (at(10, 10), at(12, 7)),  # Saturday → Monday
        (at(11, 23, 59), at(12, 7)),  # Sunday night → Monday
    ],
)
def test_the_next_opening_across_weekdays_and_a_weekend(now, expected):
    assert next_opening(now, WEEKDAYS, time(7), time(17)) == expected


@pytest.mark.parametrize(
    ("weekdays", "opens", "closes", "now", "expected"),
    [
        ((), time(7), time(17), at(10, 10), None),  # no office hours: never held
        (WEEKDAYS, time(17), time(7), at(10, 10), None),  # a window that makes no sense: never held
        ((5,), time(8), time(11), at(5, 9), at(10, 8)),  # Saturdays only: Monday → Saturday
        ((0, 2, 4), time(13, 30), time(16), at(5, 16), at(7, 13, 30)),  # Mon/Wed/Fri afternoons
        ((6,), time(8), time(9), at(11, 10), at(18, 8)),  # Sunday after closing → next Sunday
    ],
)
def test_other_office_hours(weekdays, opens, closes, now, expected):
    assert next_opening(now, weekdays, opens, closes) == expected


@pytest.mark.parametrize(
    ("now", "days_off", "expected"),
    [
        (at(5, 9), [date(2026, 10, 5)], at(6, 7)),  # a Monday off, within the hours: Tuesday
        (at(9, 18), [date(2026, 10, 12)], at(13, 7)),  # Friday evening, the Monday off: Tuesday
        (at(5, 22), [date(2026, 10, 6) + timedelta(days=n) for n in range(10)], at(16, 7)),  # a long break
        (at(5, 9), [date(2026, 10, 6)], None),  # another day off: today's hours hold
        (at(5, 9), [date(2026, 10, 5) + timedelta(days=n) for n in range(61)], None),  # no opening in sight
    ],
)
def test_the_schools_days_off_are_not_openings(now, days_off, expected):
    assert next_opening(now, WEEKDAYS, time(7), time(17), days_off) == expected


@pytest.mark.parametrize(
    ("weekdays", "opens", "closes", "text"),
    [
        (WEEKDAYS, time(7), time(17), "T2–T6, 7:00–17:00"),
        ((0, 2, 4), time(7, 30), time(11), "T2, T4, T6, 7:30–11:00"),
        ((5, 6), time(8), time(10), "T7, CN, 8:00–10:00"),
    ],
)
def test_hours_as_schools_write_them(weekdays, opens, closes, text):
    assert hours_text(weekdays, opens, closes) == text
