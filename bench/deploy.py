"""Deploys with many schools: `prepare_database` with nothing to migrate, one new migration applied to every
school, and `make run` up to its login page, all on a database holding --schools schools.

The schools are onboarded first from one CSV through `schools_onboard_csv` with two jobs (timed: the bulk
onboarding, measured in detail by bench/onboarding.py), then the three measurements run as separate
processes, as an operator runs them:

- nothing pending: `manage.py prepare_database` (public, then every school and spare found up to date), run
  --runs times, median;
- one new migration: a throw-away app `bench_probe` (one CreateModel migration, a table and an index) is
  written to a temporary directory and added to TENANT_APPS by a settings module there, then
  `manage.py prepare_database --jobs J` migrates every school; timed once per --jobs value (the probe is
  rolled back in between by dropping its table and its `django_migrations` row in every schema, one
  statement for all). Counted from the command's own summary;
- `make run`: `schoolbook.devstack.run` with the bench database (DATABASE_URL set, so it starts no server of
  its own: the PostgreSQL start is not in the time), until GET /login/ answers 200. The first start seeds
  the demo schools (timed apart); the second, with nothing to seed, is the one measured.

The demo schools `make run` seeds, the bench schools and people, and the queued tasks are dropped at the end
(and the bench schools at the start).

    .venv/bin/python bench/deploy.py [--schools 1000] [--jobs 1,2] [--runs 3]
"""

import argparse
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

TARGETS = {"nothing": 10.0, "migration": 120.0, "run": 20.0}  # seconds, at 1,000 schools
PROBE_MIGRATION = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Probe",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("note", models.CharField(max_length=40, db_index=True)),
            ],
        ),
    ]
"""


def _schools_csv(count: int) -> str:
    rows = ["code,name,levels,province,admin_name,admin_phone"]
    for number in range(count):
        rows.append(
            f"{_setup.CODE_PREFIX}deploy-{number:04d},Trường THCS Triển Khai {number},lower_secondary,"
            f"Hà Nội,Quản Trị {number},{_setup.bench_phone(500_000 + number)}"
        )
    return "\n".join(rows) + "\n"


def _probe_app(directory: Path) -> None:
    """The throw-away app and a settings module that adds it to the school schemas' apps."""
    app = directory / "bench_probe"
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "migrations" / "0001_initial.py").write_text(PROBE_MIGRATION)
    (directory / "bench_probe_settings.py").write_text(
        textwrap.dedent("""
            from schoolbook.settings import *  # noqa: F403

            TENANT_APPS = [*TENANT_APPS, "bench_probe"]  # noqa: F405
            INSTALLED_APPS = [*INSTALLED_APPS, "bench_probe"]  # noqa: F405
        """)
    )


def _probe_remove(schemas: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ DECLARE name text; BEGIN FOREACH name IN ARRAY %s::text[] LOOP "
            "EXECUTE format('DROP TABLE IF EXISTS %%I.bench_probe_probe', name); "
            "EXECUTE format('DELETE FROM %%I.django_migrations WHERE app = ''bench_probe''', name); "
            "END LOOP; END $$",
            [schemas],
        )


def _manage(*args: str, env: dict | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(_setup.ROOT / "manage.py"), *args],
        env=env or os.environ,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def _run_until_login(port: int) -> float:
    """Seconds from starting `make run`'s stack to its login page answering; the stack is then stopped."""
    import requests

    with contextlib.suppress(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/login/", timeout=2)
        raise SystemExit(f"port {port} is taken: choose another with --port")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", f"from schoolbook.devstack import run; run(port={port})"],
        cwd=_setup.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit("make run's stack exited before answering")
            try:
                if requests.get(f"http://127.0.0.1:{port}/login/", timeout=2).status_code == 200:
                    return time.perf_counter() - started
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
    finally:
        # The whole group (the stack and its web, worker and beat): SIGINT may be ignored in a background job.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def _print(rows: list, present: int) -> None:
    print(f"\nDeploys with {present} schools in the database ({_setup.machine()})\n")
    print(f"{'what':42} {'':18} {'seconds':>9} {'target':>8}")
    for what, detail, seconds, target in rows:
        verdict = "" if target is None else f"< {target:.0f} {'ok' if seconds < target else 'MISSED'}"
        print(f"{what:42} {detail:18} {seconds:9.2f} {verdict:>8}")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--jobs", default="1,2", help="--jobs values for the new migration, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs of prepare_database with nothing pending")
    parser.add_argument("--port", type=int, default=8765, help="make run's port here")
    args = parser.parse_args()
    jobs = [int(value) for value in args.jobs.split(",")]

    _setup.setup()
    from django.db import connection

    from schoolbook.onboarding import schools_onboard_csv
    from tenants.models import School

    _setup.drop_bench_schools()
    before = set(School.objects.values_list("code", flat=True))
    rows = []
    try:
        started = time.perf_counter()
        report = schools_onboard_csv(actor=_setup.bench_admin(), text=_schools_csv(args.schools), jobs=2)
        onboard = time.perf_counter() - started
        assert not report.problems and len(report.created) == args.schools, report.problems[:3]
        present = School.objects.count()
        rows.append(("onboard_schools from one CSV", f"{args.schools} schools", onboard, None))

        nothing = [_manage("prepare_database")[0] for _ in range(args.runs)]
        median = statistics.median(nothing)
        rows.append(
            ("prepare_database, nothing pending", f"median of {args.runs}", median, TARGETS["nothing"])
        )

        schemas = list(School.objects.values_list("schema_name", flat=True))
        with tempfile.TemporaryDirectory() as directory:
            _probe_app(Path(directory))
            env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench_probe_settings", PYTHONPATH=directory)
            for count in jobs:
                seconds, output = _manage("prepare_database", "--jobs", str(count), env=env)
                migrated = int(re.search(r"(\d+) schemas migrated", output).group(1))
                assert migrated == len(schemas), output[-500:]
                rows.append((f"one new migration, --jobs {count}", f"{migrated} schemas", seconds,
                             TARGETS["migration"] if count == 2 else None))  # fmt: skip
                _probe_remove(schemas)

        seeded = _run_until_login(args.port)
        rows.append(("make run, first start (seeds the demo)", "", seeded, None))
        warm = _run_until_login(args.port)
        rows.append(("make run to the login page", "demo seeded", warm, TARGETS["run"]))
        _print(rows, present)  # before the clean-up, which takes minutes with a thousand schemas
    finally:
        demo = School.objects.exclude(code__in=before).exclude(code__startswith=_setup.CODE_PREFIX)
        for school in demo:
            school.delete(force_drop=True)
        _setup.drop_bench_schools()

    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
