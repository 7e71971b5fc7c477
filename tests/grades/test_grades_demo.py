"""Bulk gradebook seeding (grades/demo.py) for the demo, the benchmark and tests: complete, valid by the
rules, deterministic for a seed; and `seed_demo` seeds a term of scores for the demo school."""

import io
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from grades.demo import gradebook_seed
from grades.entry.services import semester_averages
from grades.models import FINAL_COLUMNS, AssessmentPlan, Conduct, Score, regular_columns
from grades.rules.circular22 import Level
from students.models import (
    Assessment,
    Enrolment,
    GradeLevel,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    Subject,
    TeachingAssignment,
)
from tenants.models import School


@pytest.fixture
def two_classes(world):
    """School A: 6A1 and 7A1 of 20 students each, no teaching assignments; one teacher (Vũ Giáo Viên)."""
    with schema_context(world.school_a.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        for grade in (6, 7):
            school_class = SchoolClass.objects.create(
                name=f"{grade}A1", grade=GradeLevel.objects.get(number=grade), year=year
            )
            for n in range(20):
                student = Student.objects.create(
                    student_code=f"SD{grade}{n:02d}", full_name=f"Học Sinh {grade} {n}",
                    date_of_birth="2013-01-01", gender="male",
                )  # fmt: skip
                Enrolment.objects.create(student=student, school_class=school_class, starts_on=year.starts_on)
        yield year


def _snapshot():
    return {
        (s.student.student_code, s.subject.code, s.column): (s.value, s.rating)
        for s in Score.objects.select_related("student", "subject")
    } | {
        (c.student.student_code, "conduct", c.term.number): c.rating
        for c in Conduct.objects.select_related("student", "term")
    }


def test_seed_is_complete_and_valid(two_classes):
    year = two_classes
    term = year.terms.get(number=1)
    counts = gradebook_seed(year, [term], random.Random(1))
    secondary = list(Subject.objects.filter(level="lower_secondary", assessment__in=["scored", "pass_fail"]))
    assert len(secondary) == 12
    # every class got an assignment per secondary subject, given to the school's only teacher
    teacher = StaffMember.objects.get(user__phone="+84900000013")
    assert TeachingAssignment.objects.filter(teacher=teacher).count() == counts.assignments == 2 * 12
    plans = {
        (p.grade.number, p.subject_id): p
        for p in AssessmentPlan.objects.filter(year=year).select_related("grade")
    }
    expected = 0
    for grade in (6, 7):
        for subject in secondary:
            plan = plans[(grade, subject.pk)]
            assert plan.locked_at is not None  # entry has started
            expected += 20 * (plan.regular_count + 2)
    assert Score.objects.count() == counts.scores == expected
    for score in Score.objects.select_related("subject"):
        assert score.version == 1 and score.updated_by == teacher and score.published_at is not None
        if score.subject.assessment == Assessment.SCORED:
            assert score.rating is None and Decimal(0) <= score.value <= Decimal(10)
            assert score.value == score.value.quantize(Decimal("0.1"))
            assert score.published_value == score.value
        else:
            assert score.value is None and score.rating is not None
    columns = Counter(Score.objects.values_list("column", flat=True))
    assert set(columns) >= set(regular_columns(2)) | set(FINAL_COLUMNS)
    # every student has a result in every subject: all cells of the plan are there
    assignment = TeachingAssignment.objects.get(school_class__name="6A1", subject__code="toan")
    averages = semester_averages(assignment, term)
    assert len(averages) == 20 and all(average is not None for average in averages.values())
    ratings = Counter(Conduct.objects.filter(term=term).values_list("rating", flat=True))
    assert sum(ratings.values()) == counts.conducts == 40 and set(ratings) <= {level.value for level in Level}
    assert ratings[Level.TOT.value] > ratings[Level.CHUA_DAT.value]  # most students are rated Tốt
    # a second run adds nothing
    again = gradebook_seed(year, [term], random.Random(1))
    assert (again.assignments, again.scores, again.conducts) == (0, 0, 0)


def test_seed_is_deterministic_and_fill_leaves_gaps(two_classes):
    year = two_classes
    term = year.terms.get(number=1)
    gradebook_seed(year, [term], random.Random(7))
    first = _snapshot()
    Score.objects.all().delete()
    Conduct.objects.all().delete()
    gradebook_seed(year, [term], random.Random(7))
    assert _snapshot() == first
    Score.objects.all().delete()
    Conduct.objects.all().delete()
    gradebook_seed(year, [term], random.Random(8))
    assert _snapshot() != first
    Score.objects.all().delete()
    partial = gradebook_seed(year, [term], random.Random(7), fill=0.5)
    assert (
        0.4 * len([k for k in first if k[1] != "conduct"])
        < partial.scores
        < 0.6 * len([k for k in first if k[1] != "conduct"])
    )


def test_seed_demo_seeds_a_term_of_scores(world):
    out = io.StringIO()
    started = timezone.now()
    call_command("seed_demo", stdout=out, students_per_school=40, seed=3)
    seconds = (timezone.now() - started).total_seconds()
    with schema_context(School.objects.get(code="thcs-demo").schema_name):
        year = SchoolYear.objects.get(is_current=True)
        term = year.terms.get(number=1)
        assert Score.objects.filter(term=term).count() > 40 * 12 * 4
        assert Conduct.objects.filter(term=term).count() == 40
        assert not Score.objects.exclude(term=term).exists()
    assert "scores" in out.getvalue()
    assert seconds < 30
