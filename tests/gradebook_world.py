"""Builders of gradebook test data in school A (the conftest world's `test-a`): the year with its assessment
plans, grade 6, the usual teacher and managers, classes 6A1 / 6A2, Toán and Giáo dục thể chất, students
enrolled today, guardians and parents who can sign in.

Every builder writes in the current schema: call them inside `schema_context(world.school_a.schema_name)`
(the test modules' fixtures yield from inside it, so test bodies may call them directly). Each test module
keeps its own fixture, which calls `gradebook_world` (or the smaller builders) with its own names, phones
and codes, and adds what only it needs."""

from types import SimpleNamespace

from django.db import connection
from django.test.utils import CaptureQueriesContext

from grades.models import AssessmentPlan
from grades.results.services import assessment_plan_generate
from students.models import (
    GradeLevel,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Subject,
    TeachingAssignment,
)
from tests.factories import student_enrol


class GradebookWorld(SimpleNamespace):
    """What a gradebook test works with; test modules add their own attributes.

    Set by `gradebook_base`: world (the conftest World), year (current, plans generated), term1, term2,
    term (= term1), grade (6), teacher (Vũ Giáo Viên), principal, admin (StaffMember of the conftest users),
    toan, gdtc (the lower secondary subjects Toán and Giáo dục thể chất).
    Added by `gradebook_world`: a1 (6A1), a2 (6A2), math and pe (the teacher's Toán and Giáo dục thể chất in
    6A1), students (in 6A1, codes HS0, HS1, …), outsider (HS-OTHER, in 6A2)."""


def gradebook_base(world) -> GradebookWorld:
    """School A's current year with its assessment plans generated, and who and what every gradebook test
    refers to; creates no class, assignment or student."""
    year = SchoolYear.objects.get(is_current=True)
    assessment_plan_generate(actor=world.admin_a, year=year)
    term1, term2 = year.terms.get(number=1), year.terms.get(number=2)
    return GradebookWorld(
        world=world,
        year=year,
        term1=term1,
        term2=term2,
        term=term1,
        grade=GradeLevel.objects.get(number=6),
        teacher=StaffMember.objects.get(user=world.teacher_a),
        principal=StaffMember.objects.get(user=world.principal_a),
        admin=StaffMember.objects.get(user=world.admin_a),
        toan=Subject.objects.get(level="lower_secondary", code="toan"),
        gdtc=Subject.objects.get(level="lower_secondary", code="giao-duc-the-chat"),
    )


def gradebook_world(world, *, students, outsider, homeroom=None, born="2014-01-01") -> GradebookWorld:
    """`gradebook_base`, then 6A1 (homeroom teacher `homeroom`: a StaffMember, "teacher" for Vũ Giáo Viên,
    or None) where Vũ Giáo Viên teaches Toán (4 TX) and Giáo dục thể chất (Đ / CĐ, 2 TX), one student per
    name in `students` (codes HS0, HS1, …), and 6A2 with one student of its own named `outsider`."""
    g = gradebook_base(world)
    if homeroom == "teacher":
        homeroom = g.teacher
    g.a1 = SchoolClass.objects.create(name="6A1", grade=g.grade, year=g.year, homeroom_teacher=homeroom)
    g.a2 = SchoolClass.objects.create(name="6A2", grade=g.grade, year=g.year)
    g.math = TeachingAssignment.objects.create(teacher=g.teacher, school_class=g.a1, subject=g.toan)
    g.pe = TeachingAssignment.objects.create(teacher=g.teacher, school_class=g.a1, subject=g.gdtc)
    g.students = [student_enrol(f"HS{n}", g.a1, name, born=born) for n, name in enumerate(students)]
    g.outsider = student_enrol("HS-OTHER", g.a2, outsider, born=born)
    return g


def plans_generate_undoable(year, grade, subject):
    """For tests on committed data (the live server's): generate the year's assessment plans and return the
    plan of `grade` × `subject` and a function that deletes the plans generated here and puts back the
    plan's lock (the first save locks it)."""
    plans_before = set(AssessmentPlan.objects.values_list("pk", flat=True))
    assessment_plan_generate(actor=None, year=year)
    plan = AssessmentPlan.objects.get(year=year, grade=grade, subject=subject)
    locked_before = plan.locked_at

    def undo():
        AssessmentPlan.objects.exclude(pk__in=plans_before).delete()
        AssessmentPlan.objects.filter(pk=plan.pk).update(locked_at=locked_before)

    return plan, undo


def cells_from(rows):
    """(student or its pk, column, text, version) tuples → the cells of a save, as the grid posts them."""
    return [
        {"student_id": s.pk if hasattr(s, "pk") else s, "column": c, "text": t, "version": v}
        for s, c, t, v in rows
    ]


def page_queries(client, path) -> int:
    """How many queries a GET of `path` takes (asserting that it succeeds)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def grid_cell(page, student, column):
    """The input of `student` × `column` in an entry grid open in a Playwright page."""
    return page.locator(f'.cell[data-row="{student.pk}"][data-col="{column}"]')
