"""The pure rules of conversations about a child, no Django: who may start one with whom, who may read and
write in one, and a teacher's office hours (when a message written now is delivered).

People are named by their user ids. A conversation belongs to one child: its people are that child's
guardians and the school's staff, never another family."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class ChildContacts:
    """Who may talk about one child: its guardians (with a login) and the staff who teach it now (the
    homeroom teacher of its current class and that class's teachers)."""

    guardians: frozenset[int]
    teachers: frozenset[int]


class Refusal(StrEnum):
    NOT_RELATED = "not_related"  # the author is neither a guardian nor a teacher of the child
    NO_RECIPIENT = "no_recipient"
    NOT_A_TEACHER = "not_a_teacher"  # a guardian may write only to a teacher of the child, one at a time
    NOT_A_GUARDIAN = "not_a_guardian"  # a teacher may write only to the child's guardians


def start_refusal(author: int, recipients: Collection[int], contacts: ChildContacts) -> Refusal | None:
    """Why `author` may not start a conversation about the child with `recipients`, or None when they may.
    A guardian writes to one teacher who teaches the child now; a teacher who teaches the child now writes
    to some or all of its guardians. Nobody writes to a parent of another child, nor a guardian to a
    guardian."""
    recipients = set(recipients)
    if not recipients:
        return Refusal.NO_RECIPIENT
    if author in contacts.guardians:
        if len(recipients) != 1 or not recipients <= contacts.teachers:
            return Refusal.NOT_A_TEACHER
        return None
    if author in contacts.teachers:
        if not recipients <= contacts.guardians:
            return Refusal.NOT_A_GUARDIAN
        return None
    return Refusal.NOT_RELATED


def may_read(
    user: int, participants: Collection[int], guardians: Collection[int], principal_reads: bool
) -> bool:
    """A conversation is part of the child's record: its participants, every guardian of the child (as they
    all see its grades), and, where the school's policy allows it, the principal and school admin
    (`principal_reads`: the caller has that role and the policy is on) may read it."""
    return user in participants or user in guardians or principal_reads


def may_write(user: int, participants: Collection[int], guardians: Collection[int]) -> bool:
    """Participants write; a guardian of the child who was not addressed joins by writing. The principal
    reading by the school's policy does not write (they would start their own conversation)."""
    return user in participants or user in guardians


# --- office hours ---------------------------------------------------------------------------------------

DEFAULT_WEEKDAYS = (0, 1, 2, 3, 4)  # Monday to Friday (datetime.weekday())
DEFAULT_OPENS = time(7, 0)
DEFAULT_CLOSES = time(17, 0)
OPENING_SEARCH_DAYS = 60  # longer than any break inside a school year (Tết is about two weeks)


def next_opening(
    now: datetime, weekdays: Collection[int], opens: time, closes: time, days_off: Collection[date] = ()
) -> datetime | None:
    """When a message written at `now` (aware, the school's local time) reaches a teacher whose office hours
    are [opens, closes) on `weekdays`, the school's `days_off` excepted: None when it is within them, else
    the next opening (same tzinfo). No weekday, or opens not before closes, means no office hours: always
    None (never held). A stretch of days off longer than OPENING_SEARCH_DAYS also gives None: the message is
    not held past it."""
    days, off = set(weekdays), set(days_off)
    if not days or opens >= closes:
        return None
    clock = now.time().replace(tzinfo=None)
    if now.weekday() in days and now.date() not in off and opens <= clock < closes:
        return None
    for ahead in range(OPENING_SEARCH_DAYS):
        day = now.date() + timedelta(days=ahead)
        if day.weekday() not in days or day in off:
            continue
        opening = datetime.combine(day, opens, tzinfo=now.tzinfo)
        if opening > now:
            return opening
    return None


WEEKDAY_SHORT = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")


def hours_text(weekdays: Collection[int], opens: time, closes: time) -> str:
    """ "T2–T6, 7:00–17:00" or "T2, T4, T6, 7:30–11:00": how Vietnamese schools write it."""
    days = sorted(set(weekdays))
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        span = f"{WEEKDAY_SHORT[days[0]]}–{WEEKDAY_SHORT[days[-1]]}"
    else:
        span = ", ".join(WEEKDAY_SHORT[d] for d in days)
    return f"{span}, {opens.hour}:{opens.minute:02d}–{closes.hour}:{closes.minute:02d}"
