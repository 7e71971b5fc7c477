"""Onboarding schools: one at a time with and without a spare schema ready, a CSV of many, and the deploy
command with all of them present.

Everything goes through the app as it is: the service `schoolbook.onboarding.school_onboard` (form
validation, School and Domain rows, the schema, audit, the admin's account, staff row and affiliation, the
subject catalogue, the spare-refill task sent on commit, one transaction) and, for the CSV, the command
`onboard_schools`. Nothing is patched to choose a path, only the pool's content:

- spare: a spare is made just before by `spares_refill(target=1)` (what the Celery refill runs: a replay
  of the schema template), timed on its own; onboarding renames it;
- replay: the pool is empty; onboarding replays the schema template into the new schema in its own
  transaction (tenants.schemas).

The two alternate school by school ([spare, replay] then [replay, spare]) so that both see the same noise;
each is checked to have taken its path. Singles are measured before the CSV (with the schools already in
the database) and after it (with the CSV's schools too). The CSV's time per school is read from the
schools' `created_at` (each row is its own transaction). Then `prepare_database` with nothing to migrate,
and capturing the template again (what `prepare_database` does after a deploy that brings a migration).
No Celery worker runs: the tasks sent wait in the bench broker and are purged at the end.

    .venv/bin/python bench/onboarding.py [--singles 20] [--csv 1000] [--keep]

Every bench school is dropped at the start (and at the end unless --keep). With --keep the CSV's schools
stay in the bench database `schoolbook_bench` for other measurements (prepare_database with a new
migration, `make run`'s start-up): see docs/benchmarks.md.
"""

import argparse
import io
import itertools
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

SINGLE_TARGET = 0.1  # seconds, one onboarding, either path
CSV_TARGET = 120.0  # seconds, 1,000 schools
PREPARE_TARGET = 10.0  # seconds, prepare_database with nothing to migrate, 1,000 schools
PATHS = ("spare", "replay")


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} | {p90(values) * 1000:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--singles", type=int, default=20, help="single onboardings per path, before and after"
    )
    parser.add_argument("--csv", type=int, default=1000, help="schools in the CSV")
    parser.add_argument("--jobs", type=int, default=2, help="onboard_schools --jobs (spares made at once)")
    parser.add_argument("--keep", action="store_true", help="leave the CSV's schools in the bench database")
    args = parser.parse_args()

    _setup.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    import schoolbook.onboarding
    import tenants.schemas
    from tenants.models import SchemaTemplate, School, SpareSchema
    from tenants.schema_template import migration_state

    _setup.drop_bench_schools()
    logging.getLogger("tenants.schemas").setLevel(logging.ERROR)
    actor = _setup.bench_admin()
    serial = iter(range(1_000_000))

    def school_count() -> int:
        return School.objects.count()

    def onboard(path: str) -> float:
        number = next(serial)
        code = f"{_setup.CODE_PREFIX}{path[0]}-{number:05d}"
        if path == "spare":
            started = time.perf_counter()
            made = tenants.schemas.spares_refill(target=1)
            spare_seconds.append(time.perf_counter() - started)
            assert made == 1, made
        if SpareSchema.objects.count() != (path == "spare"):
            raise SystemExit(f"{code}: wrong pool before a {path} onboarding")
        spare_name = SpareSchema.objects.values_list("schema_name", flat=True).first()
        started = time.perf_counter()
        school_onboard(actor=actor, data={
            "code": code, "name": f"Trường Đo Hiệu Năng {code}", "levels": ["lower_secondary"],
            "province": "Hà Nội", "admin_name": f"Quản Trị {code}", "admin_phone": _setup.bench_phone(number),
        })  # fmt: skip
        seconds = time.perf_counter() - started
        if SpareSchema.objects.exists() or (path == "spare" and schema_exists(spare_name)):
            raise SystemExit(f"{code}: did not take the {path} path")
        return seconds

    def schema_exists(name: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
            return cursor.fetchone() is not None

    def singles(label: str) -> None:
        present = school_count()
        runs: dict[str, list[float]] = {path: [] for path in PATHS}
        for index in range(args.singles):
            for path in PATHS if index % 2 == 0 else reversed(PATHS):
                runs[path].append(onboard(path))
        single_rows.append((label, present, runs))

    school_onboard = schoolbook.onboarding.school_onboard
    spare_seconds: list[float] = []
    single_rows: list[tuple[str, int, dict[str, list[float]]]] = []
    started = time.perf_counter()
    keep = False
    try:
        singles("before the CSV")

        csv_present = school_count()
        rows = ["code,name,levels,province,admin_name,admin_phone"]
        first = next(serial)
        for number in range(first, first + args.csv):
            code = f"{_setup.CODE_PREFIX}csv-{number:05d}"
            rows.append(f"{code},Trường CSV {number},lower_secondary,Hà Nội,Quản Trị {number},"
                        f"{_setup.bench_phone(number)}")  # fmt: skip
        for _ in range(args.csv):
            next(serial)
        with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8") as csv_file:
            csv_file.write("\n".join(rows) + "\n")
            csv_file.flush()
            csv_started, csv_started_at = time.perf_counter(), timezone.now()
            call_command("onboard_schools", csv_file.name, "--jobs", str(args.jobs), stdout=io.StringIO())
            csv_seconds = time.perf_counter() - csv_started
        created = list(
            School.objects.filter(code__startswith=f"{_setup.CODE_PREFIX}csv-")
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )
        if len(created) != args.csv:
            raise SystemExit(f"the CSV made {len(created)} schools of {args.csv}")
        gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(created)]
        # Before the first school: counting the good rows and making their spares.
        spares_phase = (created[0] - csv_started_at).total_seconds()
        tenth = max(1, len(gaps) // 10)

        singles("after the CSV")

        present = school_count()
        prepare_started = time.perf_counter()
        call_command("prepare_database", verbosity=0, stdout=io.StringIO())
        prepare_seconds = time.perf_counter() - prepare_started
        SchemaTemplate.objects.filter(migration_state=migration_state()).delete()
        capture_started = time.perf_counter()
        assert tenants.schemas.template_refresh()
        capture_seconds = time.perf_counter() - capture_started
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_class")
            relations = cursor.fetchone()[0]
        script_size = len(SchemaTemplate.objects.get(migration_state=migration_state()).script)
        keep = args.keep
    finally:
        elapsed = time.perf_counter() - started
        purged = _setup.purge_bench_queue()
        dropped = 0 if keep else _setup.drop_bench_schools()

    lines = [
        "| Onboarding (milliseconds unless stated) | schools present | runs | median | p90 |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, schools, runs in single_rows:
        for path in PATHS:
            what = "a spare ready (renamed)" if path == "spare" else "no spare (template replayed)"
            lines.append(
                f"| one school, {what}, {label} | {schools} | {len(runs[path])} | {ms(runs[path])} |"
            )
    lines += [
        f"| making a spare (`spares_refill(target=1)`: replay + row), off the request path | | "
        f"{len(spare_seconds)} | {ms(spare_seconds)} |",
        f"| **CSV of {args.csv} schools (`onboard_schools --jobs {args.jobs}`), total, seconds** | "
        f"{csv_present} | 1 | {csv_seconds:.1f} | |",
        f"| CSV: validating the rows and making {args.csv} spares (`--jobs {args.jobs}`), seconds | "
        f"{csv_present} | 1 | {spares_phase:.1f} | |",
        f"| CSV: then onboarding the {args.csv} rows (renames), seconds | | 1 | "
        f"{(created[-1] - created[0]).total_seconds():.1f} | |",
        f"| CSV, time per school, first {tenth} | {csv_present} | {tenth} | {ms(gaps[:tenth])} |",
        f"| CSV, time per school, last {tenth} | {csv_present + args.csv - tenth} | {tenth} | "
        f"{ms(gaps[-tenth:])} |",
        f"| `prepare_database`, nothing to migrate, seconds | {present} | 1 | {prepare_seconds:.2f} | |",
        f"| capturing the template again (a deploy with a new migration), seconds | {present} | 1 | "
        f"{capture_seconds:.2f} | |",
    ]
    worst_single = max(statistics.median(runs[path]) for _, _, runs in single_rows for path in PATHS)
    lines += [
        f"| target: one onboarding < {SINGLE_TARGET * 1000:.0f} ms, either path (worst median) | | | "
        f"{'met' if worst_single < SINGLE_TARGET else 'NOT met'} ({worst_single * 1000:.0f} ms) | |",
        f"| target: CSV of 1,000 < {CSV_TARGET:.0f} s (scaled to 1,000) | | | "
        f"{'met' if csv_seconds * 1000 / args.csv < CSV_TARGET else 'NOT met'} "
        f"({csv_seconds * 1000 / args.csv:.0f} s) | |",
        f"| target: prepare_database < {PREPARE_TARGET:.0f} s | | | "
        f"{'met' if prepare_seconds < PREPARE_TARGET else 'NOT met'} ({prepare_seconds:.1f} s) | |",
    ]
    print(_setup.machine())
    print("\n".join(lines))
    print(
        f"\n{relations} relations in the bench database at the end; "
        f"template script {script_size // 1024} kB; "
        f"{purged} tasks purged from the bench broker (no worker); run took {elapsed:.0f} s; "
        + (
            f"{dropped} bench schools dropped."
            if not keep
            else "schools kept (--keep): see docs/benchmarks.md."
        )
    )
    if keep:
        print(f"The bench database: DATABASE_URL='{os.environ['DATABASE_URL']}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
