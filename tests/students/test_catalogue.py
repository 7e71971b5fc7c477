"""The 2018 programme's catalogue seeded at onboarding, and Circular 22's regular-assessment counts."""

from datetime import date

import pytest
from django_tenants.utils import schema_context

from students import catalogue
from students.models import GradeLevel, SchoolYear, Subject, SubjectLoad
from students.services import catalogue_seed, school_year_bounds


@pytest.mark.parametrize(
    ("periods", "assessment", "expected"),
    [
        (35, "scored", 2),  # "2 if the subject has 35 periods a year"
        (52, "scored", 3),  # "3 if more than 35 and up to 70"
        (70, "scored", 3),
        (105, "scored", 4),  # "4 if more than 70"
        (140, "scored", 4),
        (70, "pass_fail", 2),  # comment-only subjects: 2
    ],
)
def test_regular_assessments_follow_circular_22(periods, assessment, expected):
    assert catalogue.regular_assessments(periods, assessment) == expected


@pytest.mark.parametrize(
    ("today", "name", "first_day", "last_day"),
    [
        (date(2025, 11, 20), "2025-2026", date(2025, 9, 5), date(2026, 5, 31)),
        (date(2026, 3, 1), "2025-2026", date(2025, 9, 5), date(2026, 5, 31)),
        (date(2026, 8, 10), "2026-2027", date(2026, 9, 5), date(2027, 5, 31)),
    ],
)
def test_school_year_of_a_day(today, name, first_day, last_day):
    year_name, starts_on, _, ends_on = school_year_bounds(today)
    assert (year_name, starts_on, ends_on) == (name, first_day, last_day)


def test_onboarding_seeds_grades_subjects_and_the_current_year(world):
    with schema_context(world.school_a.schema_name):  # a lower secondary school
        assert list(GradeLevel.objects.values_list("number", flat=True)) == [6, 7, 8, 9]
        assert Subject.objects.count() == len(catalogue.CATALOGUE["lower_secondary"]) == 12
        math_6 = SubjectLoad.objects.get(subject__code="toan", grade__number=6)
        assert math_6.periods_per_year == 140
        tech = dict(
            SubjectLoad.objects.filter(subject__code="cong-nghe").values_list(
                "grade__number", "periods_per_year"
            )
        )
        assert tech == {6: 35, 7: 35, 8: 52, 9: 52}
        assert Subject.objects.get(code="giao-duc-the-chat").assessment == "pass_fail"
        year = SchoolYear.objects.get(is_current=True)
        assert [term.number for term in year.terms.all()] == [1, 2]


def test_seeding_is_idempotent_and_keeps_the_schools_edits(world):
    with schema_context(world.school_a.schema_name):
        SubjectLoad.objects.filter(subject__code="toan", grade__number=6).update(periods_per_year=175)
        catalogue_seed(levels=["lower_secondary", "upper_secondary"], today=date(2025, 10, 1))
        assert SubjectLoad.objects.get(subject__code="toan", grade__number=6).periods_per_year == 175
        assert GradeLevel.objects.count() == 7
        assert Subject.objects.filter(level="upper_secondary").count() == 17
        assert SchoolYear.objects.filter(is_current=True).count() == 1


def test_every_catalogue_subject_has_periods_only_for_its_own_grades():
    for level, specs in catalogue.CATALOGUE.items():
        for spec in specs:
            assert spec.periods and set(spec.periods) <= set(catalogue.GRADES[level]), spec.code
