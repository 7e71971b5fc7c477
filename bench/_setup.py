"""Shared by the benchmarks: their own database, Django set up, and the clean-up of what they created.

The benchmarks never touch the development database: they use a database named `schoolbook_bench` on the
same PostgreSQL server (the embedded one unless DATABASE_URL is set), created here if missing and migrated
with `prepare_database`, and Redis database 3 (of the embedded Redis, or of the server in REDIS_URL: 0 is
`make run`'s, 1 and 2 the tests') for the cache and the Celery broker alike. No worker listens there: the
tasks the app sends (the spare-schema refill after each onboarding) stay queued until `purge_bench_queue`.

The bench database keeps no pool of spare schemas (SPARE_SCHEMAS=0): a benchmark that needs spares makes
them itself, and `drop_bench_schools` drops them with the schools.
"""

import io
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# This checkout's packages first, before anything imports one: ahead of the venv's editable install, which
# may point at another checkout (a git worktree sharing the venv), and of the bench scripts' own directory
# (bench/attendance.py is not the attendance app).
if sys.path[:1] != [str(ROOT)]:
    sys.path.insert(0, str(ROOT))
BENCH_DATABASE = "schoolbook_bench"
BENCH_REDIS_DB = 3
# Every school a benchmark creates has a code starting with this, every person a phone in this range.
CODE_PREFIX = "bench-"
PHONE_PREFIX = "0909"  # E.164: +84909…
# Held (a PostgreSQL session advisory lock) for the life of a benchmark process: two benchmarks at once
# would drop each other's schools, since each drops every bench school at the start.
LOCK_KEY = 0x5C4B_BE4C
_lock_connection = None


def _bench_database_url(url: str) -> str:
    """The same server as `url`, database BENCH_DATABASE (created if missing)."""
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return parts._replace(path=f"/{BENCH_DATABASE}").geturl()


def _lock_bench_database(url: str) -> None:
    """Wait until no other benchmark runs on the bench database; hold the lock until this process exits."""
    global _lock_connection
    import psycopg

    _lock_connection = psycopg.connect(url, autocommit=True)
    if not _lock_connection.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]:
        print("Another benchmark is using the bench database: waiting for it to finish…", file=sys.stderr)
        _lock_connection.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])


def setup() -> None:
    """Start the servers if needed, point Django at the bench database, set Django up, migrate."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbook.settings")
    os.environ.setdefault("DEBUG", "0")  # as in production: no query log, no debug pages
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # One connection for the whole run (the default 60 s would reconnect in the middle of a round).
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")

    from schoolbook.devstack import ensure_services

    ensure_services()
    # Database 3 of the same Redis server, whether embedded or given: never the development queue, where a
    # running worker would pick up the benchmarks' tasks.
    redis = urlsplit(os.environ["REDIS_URL"])
    os.environ["REDIS_URL"] = os.environ["CELERY_BROKER_URL"] = urlunsplit(
        redis._replace(path=f"/{BENCH_REDIS_DB}")
    )
    os.environ["SPARE_SCHEMAS"] = "0"
    os.environ["DATABASE_URL"] = _bench_database_url(os.environ["DATABASE_URL"])
    _lock_bench_database(os.environ["DATABASE_URL"])

    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    # Tasks must be queued, not run in this process (an eager refill would migrate spares mid-benchmark).
    assert not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False), "the benchmarks need a queued Celery"
    assert settings.CELERY_BROKER_URL.endswith(f"/{BENCH_REDIS_DB}"), settings.CELERY_BROKER_URL
    call_command("prepare_database", verbosity=0, stdout=io.StringIO())  # one table, nothing else


def drop_spares() -> int:
    """Drop every spare schema of the bench database (rows and schemas, and spare schemas left without a
    row). Returns the number of schemas dropped."""
    from django.db import connection, transaction

    from tenants.models import SpareSchema
    from tenants.schemas import SPARE_PREFIX

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [SPARE_PREFIX.replace("_", "\\_") + "%"]
        )
        schemas = {row[0] for row in cursor.fetchall()}
        schemas |= set(SpareSchema.objects.values_list("schema_name", flat=True))
        # One transaction a schema: dropping one locks its ~600 relations, and PostgreSQL's lock table
        # holds 6,400 (max_locks_per_transaction × max_connections) for all transactions at once.
        for schema in sorted(schemas):
            with transaction.atomic():
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                SpareSchema.objects.filter(schema_name=schema).delete()
    return len(schemas)


def bench_admin():
    """The platform admin every benchmark acts as (created once, dropped with the bench's people)."""
    from accounts.models import User

    actor, _ = User.objects.get_or_create(
        phone="+84" + bench_phone(999999)[1:],
        defaults={"full_name": "Bench Platform Admin", "is_platform_admin": True},
    )
    return actor


def purge_bench_queue() -> int:
    """Delete the tasks waiting in the bench broker's queues (all three the workers consume: a task left in
    `bulk` would claim a later run's deliveries); returns how many there were."""
    from schoolbook.celery import app
    from schoolbook.devstack import WORKER_QUEUES

    with app.connection_for_write() as conn:
        return sum(conn.default_channel.queue_purge(queue) or 0 for queue in WORKER_QUEUES.split(","))


def drop_bench_schools() -> int:
    """Drop every bench school: its schema, its School/Domain/affiliation rows, the public audit events
    about it, and the people the benchmarks created; then every spare schema (the bench database keeps
    none of its own) and the tasks queued in the bench broker. Returns the number of schools dropped."""
    from django.db import connection, transaction

    from accounts.models import ContactPoint, HomeVisit, OneTimeCode, User
    from schoolbook.audit.models import AuditEvent
    from tenants.models import School, SchoolAffiliation

    connection.set_schema_to_public()
    schools = list(School.objects.filter(code__startswith=CODE_PREFIX))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            ["school_" + CODE_PREFIX.replace("-", "\\_") + "%"],
        )
        schemas = {row[0] for row in cursor.fetchall()} | {school.schema_name for school in schools}
        for schema in sorted(schemas):
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    AuditEvent.objects.filter(
        object_type="tenants.school", object_id__in=[str(school.pk) for school in schools]
    ).delete()
    School.objects.filter(pk__in=[school.pk for school in schools]).delete()  # domains, affiliations cascade
    # Raw deletes: the ORM's cascade would look for the school tables' foreign keys to users in `public`.
    people = list(
        User.objects.filter(phone__startswith="+84" + PHONE_PREFIX[1:]).values_list("pk", flat=True)
    )
    if people:
        with transaction.atomic(), connection.cursor() as cursor:
            for table, column in [
                (AuditEvent._meta.db_table, "actor_id"),
                (OneTimeCode._meta.db_table, "user_id"),
                (HomeVisit._meta.db_table, "user_id"),
                (ContactPoint._meta.db_table, "user_id"),  # a bench guardian's push subscription
                (SchoolAffiliation._meta.db_table, "user_id"),
                (User._meta.db_table, "id"),
            ]:
                cursor.execute(f'DELETE FROM "{table}" WHERE "{column}" = ANY(%s)', [people])
    drop_spares()
    purge_bench_queue()
    return len(schools)


def bench_phone(number: int) -> str:
    return f"{PHONE_PREFIX}{number:06d}"


def signed_in_client(user):
    """A test client signed in as `user` whose session has passed the authenticator check, as a manager's
    session has after the 2FA page: the benchmarks time the pages, not the 2FA redirect."""
    from django.test import Client

    from accounts.services_2fa import SESSION_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = user.pk
    session.save()
    return client


def machine() -> str:
    """One line naming the machine and the servers, for the benchmark's table."""
    import platform

    from django.db import connection

    model = "unknown"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(
                (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model
            )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, PostgreSQL {postgres}, "
        f"{platform.system()} {platform.release()}"
    )


def roster_school(actor, *, code: str, name: str, students: int, seed: int, class_size: int = 45,
                  teachers: int, guardians: int, admins: int):  # fmt: skip
    """Onboard a bench school and write its roster (`seed_demo.roster_seed`: grades 6–9, `students`
    students in classes of about `class_size`, guardians who receive notifications, enrolled since the
    start of the year, ANALYZEd); phones from the bench ranges starting at `teachers`, `guardians` and
    `admins`. Returns (school, roster counts)."""
    from django_tenants.utils import schema_context

    from schoolbook.management.commands.seed_demo import roster_seed
    from schoolbook.onboarding import school_onboard

    school = school_onboard(actor=actor, data={
        "code": f"{CODE_PREFIX}{code}", "name": name, "levels": ["lower_secondary"], "province": "Hà Nội",
        "admin_name": "Quản Trị Đo", "admin_phone": bench_phone(admins),
    })  # fmt: skip
    with schema_context(school.schema_name):
        roster = roster_seed(
            actor=actor, school=school, students=students, seed=seed, class_size=class_size,
            guardian_phone=lambda number: bench_phone(guardians + number),
            teacher_phone=lambda number: bench_phone(teachers + number),
        )  # fmt: skip
    return school, roster


def worker_start(command: list[str], log: Path, **env: str):
    """A Celery worker process (`command`, e.g. schoolbook.devstack.worker_command()) on the bench database
    and broker (this process's environment, plus `env`), returned once it consumes; its output goes to
    `log`. Give it LOG_LEVEL=INFO: its "ready." line is read here."""
    import subprocess
    import time

    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=dict(os.environ, **env), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while "ready." not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            worker_stop(process)
            raise SystemExit(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return process


def worker_stop(process) -> None:
    """Warm shutdown, killed if that takes over 30 s."""
    import subprocess

    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _process_stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, or None once it is gone. The CPU time is the scheduler's, in
    nanoseconds (/proc/<pid>/task/<tid>/schedstat, summed over the threads), not stat's utime + stime:
    those count 10 ms clock ticks, so a 5 ms page read as 0 or 10 ms and 40 requests varied by ±3 ms."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        nanoseconds = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as schedstat:
                nanoseconds += int(schedstat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return parent, nanoseconds / 1e9


def cpu_snapshot(server_pid: int, database: str) -> dict:
    """CPU seconds so far, from /proc: of a server (the process `server_pid` and its children, e.g.
    gunicorn's master and workers), of the PostgreSQL backends of `database` (by their process title), of
    this process, and of the whole machine (busy and total); with the monotonic time. Differences of two
    snapshots are what each spent in between."""
    import time

    server = backends = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        stat = _process_stat(pid)
        if stat is None:
            continue
        if int(pid) == server_pid or stat[0] == server_pid:
            server += stat[1]
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                title = cmdline.read()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
            backends += stat[1]
    with open("/proc/stat") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:]]
    return {
        "at": time.monotonic(),
        "server": server,
        "database": backends,
        "self": time.process_time(),
        "machine_busy": (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK"),
        "machine_total": sum(ticks) / os.sysconf("SC_CLK_TCK"),
    }
