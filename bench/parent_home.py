"""The parent's home (/home/): one card per child in every school, with what is new since the last visit.

Each of `--schools` bench schools is onboarded and gets a roster of `--students` (seed_demo's planner and
bulk writer) and semester I of its gradebook, written as published (grades.demo), then ANALYZEd. A parent
with two children in each of the first k schools (k = 1 … schools) is timed opening /home/ through Django's
test client, as a logged-in phone would: the first visit looks back seven days, so every seeded score is
"new" (the most work the page does); the figures are the median of `--runs` requests and the query count of
the last. The page's query count must not grow with the number of children in a school, and grow by a
constant per school.

The schools, their schemas and people are dropped at the end and at the start (bench/_setup.py).

    .venv/bin/python bench/parent_home.py [--schools 3] [--students 1200] [--runs 30]
"""

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

SEED = 2026
CHILDREN_PER_SCHOOL = 2
TARGET_MS = 300
# Phones (bench_phone numbers): teachers, guardians, admins, the measured parents.
TEACHERS, GUARDIANS, ADMINS, PARENTS = 100_000, 300_000, 900_000, 950_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--schools", type=int, default=3)
    parser.add_argument("--students", type=int, default=1200, help="students in each school")
    parser.add_argument("--runs", type=int, default=30, help="requests per measurement (median reported)")
    args = parser.parse_args()

    _setup.setup()
    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    started = time.perf_counter()
    try:
        schools = [_school(actor, index, args.students) for index in range(args.schools)]
        rows = []
        for count in range(1, args.schools + 1):
            parent = _parent(count, schools[:count])
            rows.append((count, *_measure(parent, args.runs)))
    finally:
        elapsed = time.perf_counter() - started
        dropped = _setup.drop_bench_schools()

    print(f"\nParent home, {args.students} students and a published semester I per school, {args.runs} runs")
    print("| schools with children | children | new scores on the cards | median ms | queries |")
    print("|---:|---:|---:|---:|---:|")
    for count, median, queries, lines in rows:
        print(f"| {count} | {count * CHILDREN_PER_SCHOOL} | {lines} | {median:.1f} | {queries} |")
    worst = max(median for _, median, _, _ in rows)
    print(f"\nTarget < {TARGET_MS} ms: {'met' if worst < TARGET_MS else 'NOT met'} (worst {worst:.1f} ms).")
    print(f"{dropped} bench schools dropped; run took {elapsed:.0f} s.")
    return 0


def _school(actor, index: int, students: int):
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from grades.demo import gradebook_seed
    from schoolbook.management.commands.seed_demo import plan_roster, roster_write
    from schoolbook.onboarding import school_onboard
    from students.models import SchoolYear

    school = school_onboard(actor=actor, data={
        "code": f"{_setup.CODE_PREFIX}home-{index}", "name": f"Trường THCS Đo Trang Chủ {index}",
        "levels": ["lower_secondary"], "province": "Hà Nội",
        "admin_name": "Quản Trị Đo", "admin_phone": _setup.bench_phone(ADMINS + index),
    })  # fmt: skip
    guardian_numbers = iter(range(GUARDIANS + index * 10_000, GUARDIANS + (index + 1) * 10_000))
    with schema_context(school.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        plan = plan_roster(
            rng=random.Random(SEED + index), grades=[6, 7, 8, 9], students=students,
            first_year=year.starts_on.year, next_phone=lambda: _setup.bench_phone(next(guardian_numbers)),
        )  # fmt: skip
        with transaction.atomic():
            roster_write(
                actor=actor, school=school, plan=plan,
                teacher_phone=lambda number: _setup.bench_phone(TEACHERS + index * 1_000 + number),
            )  # fmt: skip
        gradebook_seed(year, [year.terms.get(number=1)], random.Random(SEED))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return school


def _parent(count: int, schools):
    """A parent (their own login) of two children in each of `schools`."""
    from django_tenants.utils import schema_context

    from accounts.models import User
    from students.models import Enrolment, Guardian, StudentGuardian
    from tenants.services import affiliation_add

    phone = _setup.bench_phone(PARENTS + count)
    user = User.objects.create_user(phone, full_name=f"Phụ Huynh Đo {count}")
    for school in schools:
        with schema_context(school.schema_name):
            guardian = Guardian.objects.create(full_name=user.full_name, phone=user.phone, user=user)
            enrolments = Enrolment.objects.filter(ends_on__isnull=True).order_by("pk")
            student_ids = enrolments.values_list("student_id", flat=True)[count * 10 : count * 10 + 2]
            StudentGuardian.objects.bulk_create(
                StudentGuardian(student_id=pk, guardian=guardian, relationship="mother") for pk in student_ids
            )
        affiliation_add(user=user, school=school, is_guardian=True)
    return user


def _measure(user, runs: int) -> tuple[float, int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    client.get("/home/")  # the session's first request fills the per-request caches
    timings, queries, page = [], 0, ""
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get("/home/")
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
        queries, page = len(captured), response.content.decode()
        connection.set_schema_to_public()
    return statistics.median(timings), queries, sum(int(n) for n in re.findall(r"(\d+) điểm mới", page))


if __name__ == "__main__":
    raise SystemExit(main())
