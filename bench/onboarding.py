"""Onboarding a school: the app's pool path (rename a ready spare schema) vs. migrating a new schema.

Both paths are the app as it is, through the real service `schoolbook.onboarding.school_onboard` (form
validation, School and Domain rows, audit, the school admin's account, staff row and affiliation, and the
spare-refill task sent on commit, all in one transaction), and through the app's own
`tenants.schemas.create_school_schema`; nothing is patched to choose the path, only the pool's content:

- pool (the app with a spare ready): a spare is made just before, by `spares_refill(target=1)`, which is
  what the Celery refill runs; `create_school_schema` takes it (`SELECT … FOR UPDATE SKIP LOCKED`) and
  renames it. Making the spare (CREATE SCHEMA + migrate_schemas + its row) is timed on its own: it is the
  cost the pool moves off the request path;
- migrations (the app with the pool empty, its fallback, i.e. django-tenants without a base schema):
  `create_school_schema` finds no spare and runs CREATE SCHEMA + `migrate_schemas --schema=<new>`.

The paths alternate school by school, in the order [spare, pool, migrations] then [migrations, spare, pool],
so that both see the same machine noise. Each school's time is split into phases by wrapping the functions
the service calls (the app code is not changed); every school is checked to have taken the path it is
counted in. No Celery worker runs: the refill tasks the onboardings send wait in the bench broker (Redis
db 3, see _setup) and are purged at the end. Everything created (schools, schemas, spares, people, tasks) is
dropped at the end, and at the start if a previous run was interrupted.

    .venv/bin/python bench/onboarding.py [--schools 50] [--existing 0]

--existing N first onboards N schools (untimed, pool empty) so that the timed ones are added to a database
that already holds N schools.
"""

import argparse
import logging
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

TARGET_SECONDS = 0.5
TARGET_SPEEDUP = 3.0
PATHS = ("pool", "migrations", "fill")
CODE_INFIX = {"pool": "p-", "migrations": "m-", "fill": "fill-"}
PHONE_BASE = {"pool": 200000, "migrations": 100000, "fill": 400000}  # routing uses 300000


class Phases:
    """Seconds spent and calls made per phase, for the school being onboarded."""

    def __init__(self):
        self.current: dict[str, float] = defaultdict(float)

    def reset(self) -> dict[str, float]:
        done, self.current = self.current, defaultdict(float)
        return done

    def wrap(self, function, phase: str):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.current[phase] += time.perf_counter() - start
                self.current[f"{phase}_calls"] += 1

        return timed


@contextmanager
def patched(obj, name: str, value):
    own = name in getattr(obj, "__dict__", {})
    original = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        if own:
            setattr(obj, name, original)
        else:
            delattr(obj, name)  # e.g. a method shadowed on an instance


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--schools", type=int, default=50, help="schools onboarded by each path")
    parser.add_argument(
        "--existing",
        type=int,
        default=0,
        help="first onboard this many schools, untimed (a database that already holds many schools)",
    )
    args = parser.parse_args()
    if args.schools < 2:
        parser.error("--schools must be at least 2 (for a p90)")

    _setup.setup()
    from django.db import connection

    import schoolbook.onboarding
    import tenants.schemas
    import tenants.services
    import tenants.tasks
    from tenants.models import School, SpareSchema

    _setup.drop_bench_schools()
    # The fallback logs a warning per school ("No spare schema left"): expected here, and checked below.
    logging.getLogger("tenants.schemas").setLevel(logging.ERROR)
    actor = _setup.bench_admin()
    phases = Phases()
    refill_task = tenants.tasks.refill_spare_schemas

    def onboard(path: str, index: int) -> dict[str, float]:
        code = f"{_setup.CODE_PREFIX}{CODE_INFIX[path]}{index:05d}"
        data = {
            "code": code,
            "name": f"Trường Đo Hiệu Năng {code}",
            "levels": ["lower_secondary"],
            "province": "Hà Nội",
            "admin_name": f"Quản Trị {code}",
            "admin_phone": _setup.bench_phone(PHONE_BASE[path] + index),
        }
        spares = SpareSchema.objects.count()
        if spares != (1 if path == "pool" else 0):
            raise SystemExit(f"{code}: {spares} spares before a {path} onboarding")
        phases.reset()
        start = time.perf_counter()
        schoolbook.onboarding.school_onboard(actor=actor, data=data)
        total = time.perf_counter() - start
        result = phases.reset()
        result["total"] = total
        # The path really taken: only the fallback migrates, and the pool path uses up its spare.
        migrated = result.get("migrate_calls", 0) > 0
        if migrated != (path != "pool") or SpareSchema.objects.exists():
            raise SystemExit(f"{code}: did not take the {path} path")
        if result.get("enqueue_calls") != 1:
            raise SystemExit(f"{code}: the refill task was not sent on commit")
        return result

    def schema_size(schema: str) -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", [schema])
            tables = cursor.fetchone()[0]
            cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations')
            return tables, cursor.fetchone()[0]

    def make_spare() -> float:
        start = time.perf_counter()
        made = tenants.schemas.spares_refill(target=1)
        seconds = time.perf_counter() - start
        if made != 1:
            raise SystemExit(f"spares_refill(target=1) made {made} spares")
        return seconds

    results: dict[str, list[dict[str, float]]] = {path: [] for path in PATHS}
    spare_seconds: list[float] = []
    started = time.perf_counter()
    try:
        with (
            patched(
                schoolbook.onboarding,
                "_create_school",
                phases.wrap(schoolbook.onboarding._create_school, "all"),
            ),
            patched(School, "create_schema", phases.wrap(School.create_schema, "schema")),
            patched(
                tenants.schemas,
                "_migrate_new_schema",
                phases.wrap(tenants.schemas._migrate_new_schema, "migrate"),
            ),
            patched(tenants.services, "audit_record", phases.wrap(tenants.services.audit_record, "audit")),
            patched(
                schoolbook.onboarding, "staff_add", phases.wrap(schoolbook.onboarding.staff_add, "staff_add")
            ),
            # An instance attribute: what `transaction.on_commit(refill_spare_schemas.delay)` picks up.
            patched(refill_task, "delay", phases.wrap(refill_task.delay, "enqueue")),
        ):
            for index in range(args.existing):
                results["fill"].append(onboard("fill", index))
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE %s", ["school\\_%"])
                schemas_before = cursor.fetchone()[0]
            school_rows_before = School.objects.count()
            for index in range(args.schools):
                pool_first = index % 2 == 0
                if not pool_first:
                    results["migrations"].append(onboard("migrations", index))
                spare_seconds.append(make_spare())
                if index == 0:
                    schema_tables, schema_migrations = schema_size(SpareSchema.objects.get().schema_name)
                results["pool"].append(onboard("pool", index))
                if pool_first:
                    results["migrations"].append(onboard("migrations", index))
    finally:
        elapsed = time.perf_counter() - started
        purged = _setup.purge_bench_queue()
        dropped = _setup.drop_bench_schools()

    for runs in results.values():
        for run in runs:
            run["validation"] = run["total"] - run["all"]
            run["rest"] = run["all"] - run["schema"] - run["audit"] - run["staff_add"] - run["enqueue"]

    def cells(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f} | {p90(values) * 1000:.1f}"

    def row(label: str, path: str, key: str, part: slice = slice(None)) -> str:
        values = [run[key] for run in results[path][part]]
        return f"| {label} | {len(values)} | {cells(values)} |"

    def median_of(path: str, key: str) -> float:
        return statistics.median(run[key] for run in results[path])

    pool_median = median_of("pool", "total")
    speedup = median_of("migrations", "total") / pool_median
    schema_speedup = median_of("migrations", "schema") / median_of("pool", "schema")
    lines = [
        "| Onboarding one school (milliseconds) | schools | median | p90 |",
        "|---|---:|---:|---:|",
        f"| schools (School rows / `school_…` schemas) in the database before the timed part | | "
        f"{school_rows_before} / {schemas_before} | |",
        f"| school schema: tables / migrations (what a spare or the fallback migrates) | | "
        f"{schema_tables} / {schema_migrations} | |",
        row("**pool path (the app, a spare ready): `school_onboard`, total**", "pool", "total"),
        row("  form validation", "pool", "validation"),
        row(
            "  `School.create_schema`: take the oldest spare (`FOR UPDATE SKIP LOCKED`), rename it",
            "pool",
            "schema",
        ),
        row("  `audit_record` school.onboard", "pool", "audit"),
        row("  `staff_add` (admin user, staff row, affiliation, audits)", "pool", "staff_add"),
        row("  refill task sent to the broker on commit (`refill_spare_schemas.delay`)", "pool", "enqueue"),
        row("  rest (School + Domain rows, signals, commit)", "pool", "rest"),
        row("  total, first 10 schools of the run", "pool", "total", slice(0, 10)),
        row("  total, last 10 schools of the run", "pool", "total", slice(-10, None)),
        row(
            "**migrations path (the app's fallback, pool empty): `school_onboard`, total**",
            "migrations",
            "total",
        ),
        row("  `School.create_schema` (CREATE SCHEMA + migrate_schemas)", "migrations", "schema"),
        row("  total, first 10 schools of the run", "migrations", "total", slice(0, 10)),
        row("  total, last 10 schools of the run", "migrations", "total", slice(-10, None)),
        f"| **making one spare, off the request path: `spares_refill(target=1)`** (CREATE SCHEMA + "
        f"migrate_schemas + row) | {len(spare_seconds)} | {cells(spare_seconds)} |",
        f"| speed-up, total (median migrations / median pool) | | {speedup:.1f}× | |",
        f"| speed-up, `School.create_schema` only | | {schema_speedup:.0f}× | |",
        f"| target ≤ {TARGET_SECONDS} s per school (pool median) | | "
        f"{'met' if pool_median <= TARGET_SECONDS else 'NOT met'} ({pool_median * 1000:.1f} ms) | |",
        f"| target ≥ {TARGET_SPEEDUP:.0f}× faster than migrations (total) | | "
        f"{'met' if speedup >= TARGET_SPEEDUP else 'NOT met'} ({speedup:.1f}×) | |",
    ]
    print("\n".join(lines))
    sent = round(sum(run.get("enqueue_calls", 0) for runs in results.values() for run in runs))
    print(
        f"\n{args.existing} schools onboarded first (untimed); {dropped} bench schools dropped; "
        f"{sent} refill tasks sent, {purged} purged from the bench broker (no worker); "
        f"run took {elapsed:.0f} s (paths alternated school by school)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
