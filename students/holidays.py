"""The national public holidays on fixed dates of the solar calendar, which a school year's days off can be
prefilled with. Pure: no Django.

Bộ luật Lao động 2019 (Law 45/2019/QH14), Article 112(1), gives workers, teachers included, paid days off on:
a) Tết Dương lịch, 1 day (1 January); b) Tết Âm lịch, 5 days; c) Ngày Chiến thắng, 1 day (30 April);
d) Ngày Quốc tế lao động, 1 day (1 May); đ) Quốc khánh, 2 days (2 September and one adjacent day, before or
after); e) Giỗ Tổ Hùng Vương, 1 day (10th of the third lunar month).

Only a), c), d) and 2 September of đ) fall on dates known in advance. Tết Âm lịch and Giỗ Tổ Hùng Vương move
with the lunar calendar, and the Government announces each year whether National Day's second day is 1 or
3 September, and which days replace a holiday falling on a weekend (Article 112(3)): the school adds those
itself, as each province's school calendar says."""

from datetime import date, timedelta
from typing import NamedTuple


class Holiday(NamedTuple):
    day: date
    name: str


# (month, day, name as the law names it). The names are stored as the school's data, in Vietnamese.
FIXED = [
    (1, 1, "Tết Dương lịch"),
    (4, 30, "Ngày Chiến thắng"),
    (5, 1, "Ngày Quốc tế Lao động"),
    (9, 2, "Quốc khánh"),
]


def fixed_holidays(start: date, end: date) -> list[Holiday]:
    """The fixed-date holidays from `start` to `end` (both included), in date order."""
    found = [
        Holiday(date(year, month, day), name)
        for year in range(start.year, end.year + 1)
        for month, day, name in FIXED
    ]
    return sorted(holiday for holiday in found if start <= holiday.day <= end)


def weekdays_between(first: date, last: date) -> int:
    """Monday to Friday days from `first` to `last` (both included; 0 when last < first)."""
    days = (last - first).days + 1
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    return weeks * 5 + sum(1 for n in range(rest) if (first + timedelta(days=n)).weekday() < 5)
