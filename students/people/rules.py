"""Pure rules for adding people one by one (no Django), tested by table in
tests/students/people/test_people_rules.py.

Age for a grade (Circular 32/2020 for primary, 32/2020 and 28/2020 for secondary): a child enters grade 1 in
the calendar year they turn 6, so a student of grade g in the school year starting in year Y is normally born
in Y − 5 − g. A school meets students one year younger (early entry) and up to three years older (late entry,
repeated years, returning students); outside that window the date of birth is almost certainly a typing
error, and the form says which years it expects."""

EARLIER_BY = 1  # years younger than the normal age that are still accepted
LATER_BY = 3  # years older


def expected_birth_years(grade: int, school_year_start: int) -> range:
    """The birth years accepted for a student of `grade` in the school year that starts in
    `school_year_start`, oldest first."""
    normal = school_year_start - 5 - grade
    return range(normal - LATER_BY, normal + EARLIER_BY + 1)


def birth_year_fits(grade: int, school_year_start: int, birth_year: int) -> bool:
    return birth_year in expected_birth_years(grade, school_year_start)
