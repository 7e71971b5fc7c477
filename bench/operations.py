"""What operations cost: one school's backup and restore (schoolbook.backup), and what the metrics and the
access line add to every request (schoolbook.metrics, schoolbook.logs).

A bench school is onboarded with a roster of `--students` (seed_demo's planner and bulk writer) and semester
I of its gradebook (grades.demo), then backed up with `school_backup` (pg_dump of its schema in the snapshot
the public rows are read in) and restored under another code with `school_restore` (psql in one
transaction, every table's rows counted again; its people are already in the database, as when a school is
restored beside the live one). Then `--requests` GETs of /favicon.ico through Django's test client, with and
without the two middlewares, log lines written as JSON to /dev/null at INFO, as in production: the median
per request, each way.

The schools and their people are dropped at the end and at the start (bench/_setup.py).

    .venv/bin/python bench/operations.py [--students 1200] [--requests 2000]
"""

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

SEED = 2026
TEACHERS, GUARDIANS, ADMIN = 100_000, 300_000, 900_000
OBSERVING = ("schoolbook.logs.RequestLogMiddleware", "schoolbook.metrics.MetricsMiddleware")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--students", type=int, default=1200)
    parser.add_argument("--requests", type=int, default=2000, help="requests each way (median reported)")
    args = parser.parse_args()

    _setup.setup()
    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    started = time.perf_counter()
    try:
        school = _school(actor, args.students)
        backup = _backup_restore(school.code)
        with_mw, without_mw = _middleware(args.requests)
    finally:
        elapsed = time.perf_counter() - started
        dropped = _setup.drop_bench_schools()

    print(f"\nOne school's backup and restore, {args.students} students and semester I's gradebook")
    print(f"({_setup.machine()})")
    print("| tables | rows | users | archive MB | backup s | restore as a copy s |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {backup['tables']} | {backup['rows']} | {backup['users']} | {backup['mb']:.1f} | "
        f"{backup['backup']:.2f} | {backup['restore']:.2f} |"
    )
    print(f"\nA request through the metrics and the access line (JSON at INFO), {args.requests} each way")
    print("| middleware | median µs per request |")
    print("|---|---:|")
    print(f"| without the two | {without_mw:.0f} |")
    print(f"| with them | {with_mw:.0f} |")
    print(f"| cost | {with_mw - without_mw:.0f} |")
    print(f"\n{dropped} bench schools dropped; run took {elapsed:.0f} s.")
    return 0


def _school(actor, students: int):
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from grades.demo import gradebook_seed
    from schoolbook.management.commands.seed_demo import plan_roster, roster_write
    from schoolbook.onboarding import school_onboard
    from students.models import SchoolYear

    school = school_onboard(actor=actor, data={
        "code": f"{_setup.CODE_PREFIX}backup", "name": "Trường THCS Đo Sao Lưu",
        "levels": ["lower_secondary"], "province": "Hà Nội", "admin_name": "Quản Trị Đo",
        "admin_phone": _setup.bench_phone(ADMIN),
    })  # fmt: skip
    guardian_numbers = iter(range(GUARDIANS, GUARDIANS + 100_000))
    with schema_context(school.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        plan = plan_roster(
            rng=random.Random(SEED), grades=[6, 7, 8, 9], students=students, first_year=year.starts_on.year,
            next_phone=lambda: _setup.bench_phone(next(guardian_numbers)),
        )  # fmt: skip
        with transaction.atomic():
            roster_write(
                actor=actor, school=school, plan=plan,
                teacher_phone=lambda number: _setup.bench_phone(TEACHERS + number),
            )  # fmt: skip
        gradebook_seed(year, [year.terms.get(number=1)], random.Random(SEED))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.set_schema_to_public()
    return school


def _backup_restore(code: str) -> dict:
    from schoolbook.backup import school_backup, school_restore

    with tempfile.TemporaryDirectory() as work:
        archive = Path(work) / "school.tar"
        start = time.perf_counter()
        manifest = school_backup(code=code, path=archive)
        backed_up = time.perf_counter() - start
        start = time.perf_counter()
        restored = school_restore(path=archive, code=f"{code}-copy", progress=lambda line: None)
        return {
            "tables": restored.tables,
            "rows": restored.rows,
            "users": manifest["users"],
            "mb": archive.stat().st_size / 2**20,
            "backup": backed_up,
            "restore": time.perf_counter() - start,
        }


def _middleware(requests: int) -> tuple[float, float]:
    from django.conf import settings
    from django.test import Client, override_settings

    from schoolbook.logs import ContextFilter, json_formatter

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    with open(os.devnull, "w") as devnull:
        handler = logging.StreamHandler(devnull)
        handler.addFilter(ContextFilter())
        handler.setFormatter(json_formatter())
        root.handlers, root.level = [handler], logging.INFO
        try:
            without = [name for name in settings.MIDDLEWARE if name not in OBSERVING]
            with override_settings(MIDDLEWARE=without):
                bare = _median_us(Client(), requests)
            observed = _median_us(Client(), requests)
        finally:
            root.handlers, root.level = saved
    return observed, bare


def _median_us(client, requests: int) -> float:
    client.get("/favicon.ico")  # loads the middleware chain
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get("/favicon.ico")
        timings.append((time.perf_counter() - start) * 1e6)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings)


if __name__ == "__main__":
    sys.exit(main())
