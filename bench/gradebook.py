"""Gradebook: saving a column, a class's term results and the principal's dashboard, on a 2,000-student
school with a full term of scores, against a small school (the query counts must be the same).

Two schools are seeded with `seed_demo`'s planner and bulk writer (`plan_roster`, `roster_write`: teachers,
a teaching assignment for each of the 12 lower-secondary subjects in every class, students, guardians) and
`grades.demo.gradebook_seed` (assessment plans, every cell of semester I — about 130,000 Score rows for the
big school — and conduct), then ANALYZEd:

- `bench-grades`: 2,000 students in 45 classes (44–45 each), grades 6–9;
- `bench-grades-small`: 90 students in 2 classes of 45.

Then, on each school, each operation is run N times (median, and the number of SQL queries of one run):

- `scores_save`: a teacher saves a 45-cell column (Toán TX1 of a 45-student class; every run changes every
  cell, so each run writes 45 cells and 45 history rows);
- `class_results` of that class for semester I (the homeroom teacher's results page's selector);
- `grades.dashboard.selectors.dashboard` for semester I, and for the year (the principal dashboard's
  selector);
- the dashboard page and one drill-down page through the Django test client (middleware, session, template).

Both schools, their schemas and people are dropped at the end and at the start (bench/_setup.py).

    .venv/bin/python bench/gradebook.py [--students 2000] [--classes 45] [--runs 15]
"""

import argparse
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

SEED = 2026
TARGETS_MS = {"save": 100, "results": 200, "dashboard": 300}
SMALL_STUDENTS, SMALL_CLASSES = 90, 2
# Phones (bench_phone numbers): teachers and guardians of each school, the admins and principals.
TEACHERS, GUARDIANS, ADMINS = (100_000, 300_000), (500_000, 700_000), 900_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--students", type=int, default=2000, help="students in the big school")
    parser.add_argument("--classes", type=int, default=45, help="classes in the big school")
    parser.add_argument("--runs", type=int, default=15, help="runs of each operation (median reported)")
    args = parser.parse_args()

    _setup.setup()

    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    started = time.perf_counter()
    try:
        small = _school(actor, "grades-small", 0, SMALL_STUDENTS, SMALL_CLASSES)
        big = _school(actor, "grades", 1, args.students, args.classes)
        measured = {name: _measure(school, args.runs) for name, school in (("small", small), ("big", big))}
        explain = _parts(big, args.runs)
    finally:
        elapsed = time.perf_counter() - started
        dropped = _setup.drop_bench_schools()

    _print(args, small, big, measured, explain)
    print(f"\n{dropped} bench schools dropped; run took {elapsed:.0f} s.")
    return 0


class School:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def _school(actor, code: str, index: int, students: int, classes: int) -> School:
    """Onboard a bench school, write its roster and semester I of its gradebook; returns what the
    measurements need (the school, its principal, a 45-student class, its Toán assignment, the terms)."""
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from accounts.roles import Role
    from grades.demo import gradebook_seed
    from grades.models import Score
    from schoolbook.management.commands.seed_demo import CLASS_SIZE, class_layout, plan_roster, roster_write
    from schoolbook.onboarding import school_onboard
    from students.models import SchoolClass, SchoolYear, TeachingAssignment
    from students.services import staff_add

    school = school_onboard(actor=actor, data={
        "code": f"{_setup.CODE_PREFIX}{code}", "name": f"Trường THCS Đo Sổ Điểm {index}",
        "levels": ["lower_secondary"], "province": "Hà Nội",
        "admin_name": "Quản Trị Đo", "admin_phone": _setup.bench_phone(ADMINS + 2 * index),
    })  # fmt: skip
    guardian_numbers = iter(range(GUARDIANS[index], GUARDIANS[index] + 190_000))
    with schema_context(school.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        plan = plan_roster(
            rng=random.Random(SEED + index), grades=[6, 7, 8, 9], students=students,
            first_year=year.starts_on.year, next_phone=lambda: _setup.bench_phone(next(guardian_numbers)),
        )  # fmt: skip
        # `class_layout` makes classes of about 40; lay the same students out in `classes` classes instead.
        plan.classes = class_layout([6, 7, 8, 9], classes * CLASS_SIZE)
        names = list(plan.classes)
        for number, student in enumerate(plan.students):
            student.class_name = names[number * len(names) // len(plan.students)]
        with transaction.atomic():
            roster = roster_write(
                actor=actor, school=school, plan=plan,
                teacher_phone=lambda number: _setup.bench_phone(TEACHERS[index] + number),
            )  # fmt: skip
        principal = staff_add(
            actor=actor, school=school, phone=_setup.bench_phone(ADMINS + 2 * index + 1),
            full_name="Hiệu Trưởng Đo", roles=[Role.PRINCIPAL],
        )  # fmt: skip
        term1, term2 = year.terms.get(number=1), year.terms.get(number=2)
        seed_start = time.perf_counter()
        grades = gradebook_seed(year, [term1], random.Random(SEED))
        seed_seconds = time.perf_counter() - seed_start
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        school_class = next(
            c for c in SchoolClass.objects.filter(year=year).order_by("name") if c.enrolments.count() == 45
        )
        assignment = TeachingAssignment.objects.select_related("teacher").get(
            school_class=school_class, subject__code="toan"
        )
        return School(
            school=school, year=year, term1=term1, term2=term2, principal=principal.user,
            school_class=school_class, assignment=assignment, roster=roster, grades=grades,
            seed_seconds=seed_seconds, scores=Score.objects.count(),
        )  # fmt: skip


def _timed(runs: int, call, before=None) -> tuple[float, int]:
    """Median milliseconds of `runs` calls, and the number of queries of the last one. `before` runs
    untimed before each call (preparing the input)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries = [], 0
    for _ in range(runs):
        argument = before() if before else None
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            call(argument) if before else call()
            timings.append((time.perf_counter() - start) * 1000)
        queries = len(captured)
    return statistics.median(timings), queries


def _measure(s: School, runs: int) -> dict[str, tuple[float, int]]:
    from django.db import connection
    from django_tenants.utils import schema_context

    from grades.dashboard.selectors import Period, dashboard
    from grades.entry.services import scores_save
    from grades.models import Score
    from grades.results.selectors import class_results
    from students.models import Enrolment

    results = {}
    terms = (s.term1, s.term2)
    with schema_context(s.school.schema_name):
        students = list(
            Enrolment.objects.filter(school_class=s.school_class).values_list("student_id", flat=True)
        )

        def column():
            """Toán TX1 of the class, every cell changed to another value (at the versions read)."""
            current = {
                pk: (value, version)
                for pk, value, version in Score.objects.filter(
                    subject=s.assignment.subject, term=s.term1, column="TX1", student_id__in=students
                ).values_list("student_id", "value", "version")
            }
            cells = []
            for pk in students:
                value, version = current.get(pk, (None, None))
                text = "8,5" if value == Decimal("7.5") else "7,5"
                cells.append({"student_id": pk, "column": "TX1", "text": text, "version": version})
            return cells

        def save(cells):
            result = scores_save(
                actor_staff=s.assignment.teacher, assignment=s.assignment, term=s.term1, cells=cells
            )
            assert len(result.saved) == 45, [c.reason for c in result.cells if c.status != "saved"][:3]

        results["save"] = _timed(runs, save, before=column)
        results["results"] = _timed(runs, lambda: class_results(s.school_class, s.term1))
        results["dashboard"] = _timed(runs, lambda: dashboard(Period(s.year, s.term1, terms)))
        results["dashboard_year"] = _timed(runs, lambda: dashboard(Period(s.year, None, terms)))
    client = _setup.signed_in_client(s.principal)
    base = f"/s/{s.school.code}/grades/dashboard/"

    def get(path):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        connection.set_schema_to_public()

    page = f"{base}?term={s.term1.pk}"
    drill = f"{base}list/?term={s.term1.pk}&kind=learning&value=kha"
    get(page)  # the session's first request loads the school and the staff row into the caches
    results["page"] = _timed(runs, lambda: get(page))
    results["list"] = _timed(runs, lambda: get(drill))
    return results


def _parts(s: School, runs: int) -> dict[str, float]:
    """The big school's dashboard part by part (median ms), to see where the time goes."""
    from django_tenants.utils import schema_context

    from grades.dashboard.selectors import Period, class_subjects, conduct_counts, student_results

    period = Period(s.year, s.term1, (s.term1, s.term2))
    with schema_context(s.school.schema_name):
        students = student_results(period)
        return {
            name: _timed(runs, lambda call=call: call(period))[0]
            for name, call in (
                (
                    "student_results (the one scan of the cells: SQL, then the rule per student)",
                    student_results,
                ),
                (
                    "class_subjects (progress and averages per class × subject: sums of those results)",
                    lambda period: class_subjects(period, students),
                ),
                ("conduct_counts", conduct_counts),
            )
        }


def _print(args, small: School, big: School, measured, parts) -> None:
    rows = [
        ("save", "`scores_save`: a 45-cell column (Toán TX1), every cell changed"),
        ("results", "`class_results`: one class (45 students), semester I"),
        ("dashboard", "**`dashboard` selector, semester I**"),
        ("dashboard_year", "`dashboard` selector, the year"),
        ("page", "dashboard page (test client: middleware, session, template), semester I"),
        ("list", "drill-down page: learning result Khá, whole school (first 50)"),
    ]
    print(f"| Gradebook ({args.runs} runs each) | small school: median ms (queries) "
          f"| {big.roster.students} students: median ms (queries) | target |")  # fmt: skip
    print("|---|---:|---:|---|")
    for key, label in rows:
        (small_ms, small_q), (big_ms, big_q) = measured["small"][key], measured["big"][key]
        target = ""
        if key in TARGETS_MS:
            target = f"< {TARGETS_MS[key]} ms: {'met' if big_ms < TARGETS_MS[key] else 'NOT met'}"
        same = "" if small_q == big_q else " **queries differ**"
        print(f"| {label} | {small_ms:.1f} ({small_q}) | {big_ms:.1f} ({big_q}){same} | {target} |")
    for name, ms in parts.items():
        print(f"|   {name} | | {ms:.1f} | |")
    for s in (small, big):
        print(
            f"\n`{s.school.code}`: {s.roster.students} students in {s.roster.classes} classes, "
            f"{s.roster.assignments} teaching assignments; `gradebook_seed` wrote {s.grades.scores} scores "
            f"and {s.grades.conducts} conduct ratings in {s.seed_seconds:.2f} s"
        )


if __name__ == "__main__":
    sys.exit(main())
