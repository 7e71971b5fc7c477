"""The fixed-date national holidays (Bộ luật Lao động 2019, Article 112) and the weekdays of a range."""

from datetime import date

import pytest

from students.holidays import Holiday, fixed_holidays, weekdays_between


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # a school year from 5 September: 2 September is before it; 1 January, 30 April, 1 May inside
        (date(2026, 9, 5), date(2027, 5, 31), [
            Holiday(date(2027, 1, 1), "Tết Dương lịch"),
            Holiday(date(2027, 4, 30), "Ngày Chiến thắng"),
            Holiday(date(2027, 5, 1), "Ngày Quốc tế Lao động"),
        ]),
        # a year starting on 1 September has National Day inside; both ends are included
        (date(2026, 9, 1), date(2027, 1, 1), [
            Holiday(date(2026, 9, 2), "Quốc khánh"),
            Holiday(date(2027, 1, 1), "Tết Dương lịch"),
        ]),
        (date(2027, 1, 2), date(2027, 4, 29), []),
    ],
)  # fmt: skip
def test_fixed_holidays_inside_a_range(start, end, expected):
    assert fixed_holidays(start, end) == expected


@pytest.mark.parametrize(
    ("first", "last", "weekdays"),
    [
        (date(2026, 12, 7), date(2026, 12, 7), 1),  # a Monday
        (date(2026, 12, 12), date(2026, 12, 13), 0),  # a weekend
        (date(2026, 12, 7), date(2026, 12, 13), 5),  # a week
        (date(2027, 2, 5), date(2027, 2, 15), 7),  # Friday to the second Monday
        (date(2026, 12, 8), date(2026, 12, 7), 0),  # backwards
    ],
)
def test_weekdays_between(first, last, weekdays):
    assert weekdays_between(first, last) == weekdays
