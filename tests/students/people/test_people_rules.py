"""The age window for a grade (students.people.rules), by table: a student of grade g in the school year
starting in year Y is normally born in Y − 5 − g; one year younger and three years older are accepted."""

import pytest

from students.people.rules import birth_year_fits, expected_birth_years


@pytest.mark.parametrize(
    "grade, year_start, born, fits",
    [
        (1, 2026, 2020, True),  # turns 6 in 2026: the normal age
        (1, 2026, 2021, True),  # one year early
        (1, 2026, 2022, False),  # four years old
        (1, 2026, 2017, True),  # three years late
        (1, 2026, 2016, False),
        (6, 2026, 2015, True),
        (6, 2026, 2012, True),
        (6, 2026, 2011, False),
        (6, 2026, 2016, True),
        (6, 2026, 2017, False),
        (9, 2026, 2012, True),
        (9, 2026, 2026, False),  # the year of the school year: a typing error
        (10, 2025, 2010, True),
        (12, 2026, 2009, True),
        (12, 2026, 2006, True),
        (12, 2026, 2005, False),
    ],
)
def test_birth_year_fits_the_grade(grade, year_start, born, fits):
    assert birth_year_fits(grade, year_start, born) is fits


def test_expected_birth_years_run_oldest_first():
    assert list(expected_birth_years(6, 2026)) == [2012, 2013, 2014, 2015, 2016]
