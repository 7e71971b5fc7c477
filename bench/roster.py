"""Roster: student search on a 3,000-student school, and importing a 2,000-student workbook.

Search: a school `bench-roster` is seeded with `seed_demo`'s own planner and bulk writer (75 classes of 40,
~4,000 guardians with users and affiliations, teachers and assignments), then ANALYZEd. Each of ~200
queries (a seeded student's full name typed with accents, a folded name fragment, a surname with a middle
name, a given name, a student code, a name that matches nobody; drawn at random, fixed seed) is timed
twice, each time as a page would: the first page of 25 with the total count (Django's Paginator: one
COUNT, one SELECT):

- `spec`: `Student` filtered by `full_name_folded__icontains=fold(q) | student_code__icontains=q`, ordered
  by the Vietnamese sort key (the roster search's query);
- `student_list`: the student list page's own query, `students.roster.selectors.student_list(search=q)`,
  which also annotates each student's current class (two subqueries).

Import: a second school `bench-import` gets the 50 classes the workbook names; a workbook of 2,000
students with one or two guardians each (made with openpyxl in the template's layout) goes through
`students.imports.roster.roster_check` (the dry-run preview) and `roster_import` (check again, then write
everything in one transaction); then the same file again (nothing changes, matched by student code).

Both schools, their schemas and people are dropped at the end and at the start (bench/_setup.py).

    .venv/bin/python bench/roster.py [--students 3000] [--queries 200] [--import-students 2000]
"""

import argparse
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

SEARCH_TARGET_MS = 50
IMPORT_TARGET_S = 10
PAGE_SIZE = 25
SEED = 2026
# Phones (bench_phone numbers): teachers, guardians of the search school, the admins, the import's guardians.
TEACHERS, GUARDIANS, ADMINS, IMPORTED = 500_000, 600_000, 700_000, 800_000


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def queries(rng: random.Random, students, count: int) -> list[tuple[str, str]]:
    from schoolbook.text import fold

    kinds = []
    for _ in range(count):
        student = rng.choice(students)
        surname, middle, given = student.full_name.split()
        kind = rng.choice(
            ["full name", "folded fragment", "surname + middle", "given name", "code", "no match"]
        )
        query = {
            "full name": student.full_name,
            "folded fragment": fold(f"{middle} {given}"),
            "surname + middle": f"{surname} {middle}",
            "given name": given.lower(),
            "code": student.student_code,
            "no match": "zzz không có ai",
        }[kind]
        kinds.append((kind, query))
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--students", type=int, default=3000, help="students in the search school")
    parser.add_argument("--queries", type=int, default=200, help="search queries timed")
    parser.add_argument("--import-students", type=int, default=2000, help="students in the imported workbook")
    args = parser.parse_args()

    _setup.setup()
    from django.core.paginator import Paginator
    from django.db import connection, transaction
    from django.db.models import Q
    from django_tenants.utils import schema_context

    from schoolbook.management.commands.seed_demo import class_layout, plan_roster, roster_write
    from schoolbook.onboarding import school_onboard
    from schoolbook.text import fold
    from students.models import GradeLevel, SchoolClass, SchoolYear, Student
    from students.roster.selectors import student_list

    _setup.drop_bench_schools()
    actor = _setup.bench_admin()

    def onboard(code: str, admin: int):
        return school_onboard(actor=actor, data={
            "code": f"{_setup.CODE_PREFIX}{code}", "name": f"Trường THCS Đo Hiệu Năng {code}",
            "levels": ["lower_secondary"], "province": "Hà Nội",
            "admin_name": "Quản Trị Đo", "admin_phone": _setup.bench_phone(ADMINS + admin),
        })  # fmt: skip

    rows: list[str] = []
    started = time.perf_counter()
    try:
        # --- search ---------------------------------------------------------------------------------
        school = onboard("roster", 1)
        guardian_numbers = iter(range(GUARDIANS, TEACHERS + 400_000))
        with schema_context(school.schema_name):
            year = SchoolYear.objects.get(is_current=True)
            plan = plan_roster(
                rng=random.Random(SEED), grades=[6, 7, 8, 9], students=args.students,
                first_year=year.starts_on.year, next_phone=lambda: _setup.bench_phone(next(guardian_numbers)),
            )  # fmt: skip
            seed_start = time.perf_counter()
            with transaction.atomic():
                counts = roster_write(
                    actor=actor, school=school, plan=plan,
                    teacher_phone=lambda number: _setup.bench_phone(TEACHERS + number),
                )  # fmt: skip
            seed_seconds = time.perf_counter() - seed_start
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            students = list(Student.objects.only("full_name", "student_code"))
            rng = random.Random(SEED)
            timings: dict[str, list[float]] = {"spec": [], "student_list": []}
            by_kind: dict[str, list[float]] = {}
            hits = 0

            def spec_query(q: str):
                return Student.objects.filter(
                    Q(full_name_folded__icontains=fold(q)) | Q(student_code__icontains=q.strip())
                ).order_by("sort_key", "student_code")

            for kind, q in queries(rng, students, args.queries):
                variants = [("spec", spec_query), ("student_list", lambda q: student_list(search=q))]
                if rng.random() < 0.5:
                    variants.reverse()  # alternate which runs first
                for name, make in variants:
                    start = time.perf_counter()
                    paginator = Paginator(make(q), PAGE_SIZE)
                    page = paginator.page(1)
                    found = list(page.object_list)
                    total = paginator.count
                    elapsed = (time.perf_counter() - start) * 1000
                    timings[name].append(elapsed)
                    if name == "spec":
                        by_kind.setdefault(kind, []).append(elapsed)
                        hits += total > 0
                    assert len(found) == min(total, PAGE_SIZE)
            plan_text = _explain(connection, spec_query("nguyen van")[:PAGE_SIZE])

        rows += [
            f"| seed a {counts.students}-student school with `roster_write` ({counts.classes} classes, "
            f"{counts.guardians} guardians, {counts.teachers} teachers, {counts.users_created} users) | s "
            f"| {seed_seconds:.2f} | | |",
        ]
        for name, label in (
            ("spec", "search, page 1 of 25 + count: `full_name_folded icontains` or code `icontains`"),
            ("student_list", "search, page 1 of 25 + count: the page's `student_list(search=q)`"),
        ):
            values = timings[name]
            p95 = pct(values, 95)
            verdict = "met" if p95 < SEARCH_TARGET_MS else "NOT met"
            rows.append(
                f"| {label} ({len(values)} queries) | ms | {statistics.median(values):.1f} | {p95:.1f} "
                f"| p95 < {SEARCH_TARGET_MS} ms: {verdict} |"
            )
        for kind, values in sorted(by_kind.items()):
            rows.append(
                f"|   `spec`, {kind} ({len(values)}) | ms | {statistics.median(values):.1f} "
                f"| {pct(values, 95) if len(values) > 1 else values[0]:.1f} | |"
            )

        # --- import -----------------------------------------------------------------------------------
        import_rows = _import_part(args, actor, onboard, class_layout, plan_roster, GradeLevel, SchoolClass)
        rows += import_rows
    finally:
        elapsed = time.perf_counter() - started
        dropped = _setup.drop_bench_schools()

    print("| Roster | unit | median (or total) | p95 | target |")
    print("|---|---|---:|---:|---|")
    print("\n".join(rows))
    print(
        f"\n{hits}/{args.queries} queries found someone; "
        f"query plan of the `spec` search (page 1):\n{plan_text}"
        f"\n{dropped} bench schools dropped; run took {elapsed:.0f} s."
    )
    return 0


def _explain(connection, queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        return "\n".join("    " + row[0] for row in cursor.fetchall())


def _import_part(args, actor, onboard, class_layout, plan_roster, GradeLevel, SchoolClass) -> list[str]:
    from django_tenants.utils import schema_context
    from openpyxl import Workbook

    from students.models import SchoolYear, Student

    try:
        from students.imports.roster import STUDENT_COLUMNS, roster_check, roster_import
    except ImportError as error:  # the import helper's module is not there yet
        return [f"| import a {args.import_students}-student workbook | | not measured: {error} | | |"]

    school = onboard("import", 2)
    numbers = iter(range(IMPORTED, IMPORTED + 190_000))
    with schema_context(school.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        plan = plan_roster(
            rng=random.Random(SEED + 1), grades=[6, 7, 8, 9], students=args.import_students,
            first_year=year.starts_on.year, code_prefix="NK",
            next_phone=lambda: _setup.bench_phone(next(numbers)),
        )  # fmt: skip
        grades = {grade.number: grade for grade in GradeLevel.objects.all()}
        SchoolClass.objects.bulk_create(
            SchoolClass(name=name, grade=grades[grade], year=year) for name, grade in plan.classes.items()
        )
        relationship_label = {"father": "Bố", "mother": "Mẹ", "grandparent": "Bà"}
        workbook = Workbook()
        sheet = workbook.active
        sheet.append([header for _key, header, _required in STUDENT_COLUMNS])
        keys = [key for key, _header, _required in STUDENT_COLUMNS]
        for student in plan.students:
            values = {
                "student_code": student.code, "full_name": student.full_name,
                "date_of_birth": student.date_of_birth.strftime("%d/%m/%Y"),
                "gender": "Nam" if student.gender == "male" else "Nữ", "class_name": student.class_name,
            }  # fmt: skip
            for number, guardian in enumerate(plan.families[student.family][:2], start=1):
                values[f"g{number}_name"] = guardian.full_name
                values[f"g{number}_relationship"] = relationship_label[guardian.relationship]
                values[f"g{number}_phone"] = guardian.phone
            sheet.append([values.get(key, "") for key in keys])
        out = io.BytesIO()
        workbook.save(out)
        data = out.getvalue()

        timed = []
        start = time.perf_counter()
        report = roster_check(data, "hoc-sinh.xlsx")
        timed.append(
            ("dry run (`roster_check`: read, validate, count the changes)", time.perf_counter() - start)
        )
        if not report.ok:
            problems = "; ".join(f"{p.line}/{p.column}: {p.reason}" for p in report.problems[:5])
            return [f"| import | | workbook refused: {problems} | | |"]
        start = time.perf_counter()
        report = roster_import(actor=actor, school=school, data=data, filename="hoc-sinh.xlsx")
        timed.append(("**import (`roster_import`: check again, write all in one transaction)**",
                      time.perf_counter() - start))  # fmt: skip
        assert report.committed and Student.objects.count() == args.import_students, report.problems[:3]
        summary = report.summary
        start = time.perf_counter()
        again = roster_import(actor=actor, school=school, data=data, filename="hoc-sinh.xlsx")
        timed.append(("the same file again (nothing changes)", time.perf_counter() - start))
        assert not again.summary.has_changes, again.summary
    rows = [
        f"| workbook: {args.import_students} students, {len(plan.classes)} classes, "
        f"{summary.guardians_created} guardians, {len(data) // 1024} KiB | | | | |"
    ]
    for label, seconds in timed:
        target = ""
        if label.startswith("**import"):
            target = f"< {IMPORT_TARGET_S} s: {'met' if seconds < IMPORT_TARGET_S else 'NOT met'}"
        rows.append(f"| {label} | s | {seconds:.2f} | | {target} |")
    return rows


if __name__ == "__main__":
    sys.exit(main())
