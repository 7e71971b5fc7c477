"""Quiet hours by table: inside, outside, both edges, windows across midnight and within a day."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from messaging.quiet_hours import quiet_until

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HCM)


NIGHT = (time(21, 0), time(6, 30))
NOON = (time(11, 30), time(13, 30))


@pytest.mark.parametrize(
    "now, window, expected",
    [
        (at(25, 20, 59), NIGHT, None),  # just before
        (at(25, 21, 0), NIGHT, at(26, 6, 30)),  # the first minute is quiet
        (at(25, 23, 45), NIGHT, at(26, 6, 30)),  # late evening waits for tomorrow morning
        (at(26, 0, 0), NIGHT, at(26, 6, 30)),  # after midnight waits for this morning
        (at(26, 6, 29), NIGHT, at(26, 6, 30)),
        (at(26, 6, 30), NIGHT, None),  # the end is not quiet
        (at(26, 12, 0), NIGHT, None),
        (at(25, 11, 29), NOON, None),
        (at(25, 11, 30), NOON, at(25, 13, 30)),  # a window within one day
        (at(25, 13, 30), NOON, None),
        (at(25, 3, 0), (time(0, 0), time(0, 0)), None),  # start == end: no quiet hours
    ],
)
def test_quiet_until(now, window, expected):
    assert quiet_until(now, *window) == expected
