"""The parent portal under a term-start peak: parents sign in at once, then tap through their pages, against
gunicorn started as the Dockerfile starts it (its CMD and WEB_CONCURRENCY: sync workers, no threads), on
127.0.0.1, with locust as the load generator in a process of its own (bench/_portal_locust.py).

One bench school gets a roster of `--students` (seed_demo's planner and bulk writer), semester I of its
gradebook written as published (grades.demo), `--notices` published notices to every guardian of the school
and, for the measured parents, two leave requests each. Each of `max(--users)` parents has an account (phone
and password) and two children. Then:

1. CPU per page, sequentially: one parent signs in with the real form and opens each page `--cpu-requests`
   times (after a warm-up), one request at a time, in `--cpu-rounds` rounds; the CPU time gunicorn's
   processes (master and workers) and the bench database's PostgreSQL backends spent, read from the
   scheduler's nanosecond counters in /proc, divided by the number of requests; the median of the rounds.
   With `--compare CHECKOUT`, a second gunicorn serves that checkout (its own Redis database) and each
   page is opened on both in turn, round by round: a change's before and after side by side (no load
   phase then).
2. For each number of parents in `--users`: the notices marked unread and the home visits forgotten (so that
   each level does the same first-view writes), then locust: the login phase (every parent signs in as soon
   as it is spawned, all within a quarter of a second: a burst after an SMS) and the steady phase
   (`--seconds` from when the last one is in: each parent opens one of its pages, waits the think time,
   again), with one anonymous visitor opening /login/ twice a second throughout, the baseline. Reported:
   p50/p95/p99 and throughput per phase, errors, sign-ins per second, and the CPU gunicorn, the database and
   the load generator spent per request.

The think time, uniform in `--think` (1–3 s by default), is a parent tapping from one page to the next, not
reading each one; parents who read for 10 s a page would bring five times fewer requests per parent.

The load generator runs on the same two cores as the server: its own CPU time is reported next to the
server's, and the server's CPU per page is read from the server's processes alone, so the generator's share
does not inflate it (it does lengthen the queue, which the latencies include, as the baseline page shows).

The schools, their schemas and people are dropped at the end and at the start (bench/_setup.py).

    .venv/bin/python bench/portal.py [--users 50,100,200] [--seconds 60] [--students 450] [--notices 100]
"""

import argparse
import json
import os
import random
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

from schoolbook.devstack import free_port

SEED = 2027
PASSWORD = "Bench-Phụ-huynh-2026"
# Phones (bench_phone numbers): teachers, guardians of the roster, admins, the measured parents.
TEACHERS, GUARDIANS, ADMINS, PARENTS = 100_000, 300_000, 900_000, 950_000
TARGET_P95_MS = 100
TARGET_CPU_MS = 4
TARGET_SIGN_INS = 40
# The pages of a parent and how often each is opened in the steady phase.
PAGE_WEIGHTS = {"home": 3, "school home": 1, "grades": 3, "notices": 2, "notice": 2, "leave": 1}
LOCUST = Path(__file__).resolve().parent / "_portal_locust.py"
COMPARE_REDIS_DB = 4  # the compared server's own cache (0–3 and 6–15 are others': bench/_setup, tests/plugin)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", default="50,100,200", help="numbers of parents, comma-separated")
    parser.add_argument("--seconds", type=float, default=60, help="length of each steady phase")
    parser.add_argument("--students", type=int, default=450)
    parser.add_argument("--notices", type=int, default=100)
    parser.add_argument("--think", default="1,3", help="think time between two pages: min,max seconds")
    parser.add_argument("--cpu-requests", type=int, default=200, help="requests per page in the CPU pass")
    parser.add_argument("--cpu-rounds", type=int, default=5, help="the CPU pass's rounds (median reported)")
    parser.add_argument(
        "--compare", metavar="CHECKOUT", help="another checkout (e.g. main's worktree) served by a second "
        "gunicorn beside this one, its pages alternated with this one's in the CPU pass; no load phase",
    )  # fmt: skip
    args = parser.parse_args()
    levels = [int(n) for n in args.users.split(",")]
    think = [float(s) for s in args.think.split(",")]
    if args.students < 2 * max(levels):
        parser.error("--students must be at least twice the largest number of parents (two children each)")

    _setup.setup()
    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    started = time.perf_counter()
    processes = []
    runs = []
    try:
        school, parents = _seed(actor, args.students, args.notices, max(levels))
        server, port = _gunicorn()
        processes.append(server)
        host = f"http://127.0.0.1:{port}"
        servers = [(host, server.pid)]
        if args.compare:
            other, other_port = _gunicorn(Path(args.compare).resolve(), redis_db=COMPARE_REDIS_DB)
            processes.append(other)
            servers.append((f"http://127.0.0.1:{other_port}", other.pid))
        cpu_rows = _cpu_per_page(servers, parents[0], args.cpu_requests, args.cpu_rounds)
        for users in [] if args.compare else levels:
            _reset_reads(school)
            runs.append((users, _locust(host, parents[:users], think, args.seconds, server.pid)))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        elapsed = time.perf_counter() - started
        dropped = _setup.drop_bench_schools()

    workers = _dockerfile()[1]
    print(f"\nParent portal: gunicorn as the Dockerfile runs it ({workers} sync workers), {_setup.machine()}")
    print(
        f"{args.students} students, semester I published, {args.notices} notices to every guardian; "
        f"think time {think[0]:g}–{think[1]:g} s; steady phase {args.seconds:g} s; load average "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    print(
        f"CPU pass: the median of {args.cpu_rounds} rounds, CPU time from /proc/<pid>/task/*/schedstat"
        + (f"; second column: {args.compare} beside this checkout, alternated" if args.compare else "")
    )
    columns = ["server CPU ms/page", "database CPU ms/page"]
    if args.compare:
        columns += [f"{Path(args.compare).name}: server", f"{Path(args.compare).name}: database"]
    print("\n| page (one at a time) | requests | " + " | ".join(columns) + " |")
    print("|---|---:|" + "---:|" * len(columns))
    for name, count, figures in cpu_rows:
        cells = " | ".join(f"{server_ms:.2f} | {database_ms:.2f}" for server_ms, database_ms in figures)
        print(f"| {name} | {count} | {cells} |")
    for index, label in enumerate(["Parent pages in the steady mix"] + [f"… and in {args.compare}"] * (
        len(cpu_rows[0][2]) - 1
    )):  # fmt: skip
        weighted = sum(
            PAGE_WEIGHTS[name] * figures[index][0] for name, _, figures in cpu_rows if name in PAGE_WEIGHTS
        ) / sum(PAGE_WEIGHTS.values())
        print(f"\n{label}: {weighted:.2f} ms of server CPU a page (target ≤ {TARGET_CPU_MS})")

    print(
        "\n| parents | phase | page | requests | errors | per s | p50 ms | p95 ms | p99 ms "
        "| server CPU ms/req | db CPU ms/req | generator CPU | machine busy |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    for users, result in runs:
        for row in _rows(users, result):
            print("| " + " | ".join(row) + " |")
        verdicts.append(_verdict(users, result))
    print()
    for line in verdicts:
        print(line)
    print(f"{dropped} bench schools dropped; run took {elapsed:.0f} s.")
    return 0


# --- data -----------------------------------------------------------------------------------------------


def _seed(actor, students: int, notices: int, count: int):
    """The school, and `count` parents: dicts of phone, pages [(name, url, weight)] and notice URLs."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from accounts.models import User
    from attendance.models import LeaveRequest
    from grades.demo import gradebook_seed
    from notices.models import Audience, Notice, NoticeRecipient, Status
    from students.models import Enrolment, Guardian, SchoolYear, StaffMember, StudentGuardian
    from tenants.routing import school_reverse
    from tenants.services import affiliation_add

    school, _ = _setup.roster_school(
        actor, code="portal", name="Trường THCS Đo Cổng Phụ Huynh", students=students, seed=SEED,
        teachers=TEACHERS, guardians=GUARDIANS, admins=ADMINS,
    )  # fmt: skip
    encoded = make_password(PASSWORD)  # one hash for all: the bench times checking it, not making it
    users = [
        User.objects.create_user(_setup.bench_phone(PARENTS + n), full_name=f"Phụ Huynh Đo {n}")
        for n in range(count)
    ]
    User.objects.filter(pk__in=[user.pk for user in users]).update(password=encoded)
    for user in users:
        affiliation_add(user=user, school=school, is_guardian=True)
    now = _now()
    with schema_context(school.schema_name), transaction.atomic():
        year = SchoolYear.objects.get(is_current=True)
        gradebook_seed(year, [year.terms.get(number=1)], random.Random(SEED))
        children = list(
            Enrolment.objects.filter(ends_on__isnull=True).order_by("pk").values_list("student_id", flat=True)
        )
        guardians = [Guardian.objects.create(full_name=u.full_name, phone=u.phone, user=u) for u in users]
        StudentGuardian.objects.bulk_create(
            StudentGuardian(student_id=children[2 * n + k], guardian=guardian, relationship="mother")
            for n, guardian in enumerate(guardians)
            for k in (0, 1)
        )
        author = StaffMember.objects.order_by("pk").first()
        body = " ".join(["Kính gửi quý phụ huynh, nhà trường xin thông báo lịch học và các hoạt động."] * 8)
        Notice.objects.bulk_create(
            Notice(
                title=f"Thông báo số {n + 1}: lịch học tuần {n % 35 + 1}", body=body,
                audience=Audience.SCHOOL, status=Status.PUBLISHED, author=author,
                published_at=now - timedelta(hours=notices - n),
            )
            for n in range(notices)
        )  # fmt: skip
        with connection.cursor() as cursor:  # every guardian of the school, as publishing to the school does
            cursor.execute(
                f"INSERT INTO {NoticeRecipient._meta.db_table} (notice_id, guardian_id, user_id) "
                f"SELECT n.id, g.id, g.user_id FROM {Notice._meta.db_table} n "
                f"CROSS JOIN {Guardian._meta.db_table} g"
            )
        notice_ids = list(Notice.objects.values_list("pk", flat=True))
        LeaveRequest.objects.bulk_create(
            LeaveRequest(
                student_id=children[2 * n], requested_by=user, reason="Con bị sốt, xin phép nghỉ học.",
                start_date=now.date() - timedelta(days=days), end_date=now.date() - timedelta(days=days - 1),
                status=status, decided_at=now - timedelta(days=days) if status != "pending" else None,
            )
            for n, user in enumerate(users)
            for days, status in ((20, LeaveRequest.Status.APPROVED), (2, LeaveRequest.Status.PENDING))
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        def pages(n):
            first, second = children[2 * n], children[2 * n + 1]
            return [
                ("home", "/home/", PAGE_WEIGHTS["home"]),
                ("school home", school_reverse(school, "school_home"), PAGE_WEIGHTS["school home"]),
                ("grades", school_reverse(school, "student_grades", pk=first), PAGE_WEIGHTS["grades"] / 2),
                ("grades", school_reverse(school, "student_grades", pk=second), PAGE_WEIGHTS["grades"] / 2),
                ("notices", "/notices/", PAGE_WEIGHTS["notices"]),
                ("notice", None, PAGE_WEIGHTS["notice"]),
                ("leave", school_reverse(school, "leave_parent_list"), PAGE_WEIGHTS["leave"]),
            ]

        notice_urls = [school_reverse(school, "notice_detail", pk=pk) for pk in notice_ids]
    parents = [
        {"phone": user.phone.replace("+84", "0"), "pages": pages(n), "notices": notice_urls}
        for n, user in enumerate(users)
    ]
    return school, parents


def _now():
    from django.utils import timezone

    return timezone.now()


def _reset_reads(school) -> None:
    """Every notice unread and no home visit yet: each level's parents do the same first-view work."""
    from django_tenants.utils import schema_context

    from accounts.models import HomeVisit
    from notices.models import NoticeRecipient

    HomeVisit.objects.filter(user__phone__startswith="+84" + _setup.PHONE_PREFIX[1:]).delete()
    with schema_context(school.schema_name):
        NoticeRecipient.objects.update(read_at=None)


# --- the server -----------------------------------------------------------------------------------------


def _dockerfile() -> tuple[list[str], str]:
    """The Dockerfile's CMD (a JSON list) and its WEB_CONCURRENCY."""
    text = (_setup.ROOT / "Dockerfile").read_text()
    command = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))
    workers = re.search(r"WEB_CONCURRENCY=(\d+)", text).group(1)
    return command, workers


def _gunicorn(checkout: Path = _setup.ROOT, redis_db: int | None = None):
    """gunicorn as the Dockerfile starts it, bound to a free port of 127.0.0.1, serving `checkout`'s code
    (and with its own Redis database, emptied first, if `redis_db`); returns (process, port)."""
    command, workers = _dockerfile()
    port = free_port()
    bind = command.index("--bind") + 1
    command[bind] = f"127.0.0.1:{port}"
    command[0] = str(Path(sys.executable).parent / command[0])
    env = {**os.environ, "WEB_CONCURRENCY": workers, "PYTHONPATH": str(checkout)}
    if redis_db is not None:
        import redis

        url = urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{redis_db}").geturl()
        redis.Redis.from_url(url).flushdb()
        env["REDIS_URL"] = env["CELERY_BROKER_URL"] = url
    log = tempfile.TemporaryFile()  # noqa: SIM115 (read if gunicorn stops, closed with the process)
    process = subprocess.Popen(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn stopped: {shlex.join(command)}\n{log.read().decode()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start within 60 s")


# --- 1. CPU per page, one request at a time -------------------------------------------------------------


def _cpu_per_page(servers: list[tuple[str, int]], parent: dict, requests_per_page: int, rounds: int):
    """For each page: [(server ms, database ms) per server], each the median over `rounds` rounds of
    requests_per_page / rounds requests. A round opens every page on every server in turn (the servers'
    order alternating from round to round), so that what the machine does meanwhile falls on all alike."""
    import requests

    database = _database_name()
    clients = [_sign_in(host, parent) for host, _ in servers]
    pages = [("/login/ (anonymous)", "/login/", False)]
    for name, url, _ in parent["pages"]:
        if name not in (page[0] for page in pages):
            pages.append((name, url or parent["notices"][0], True))
    each = max(1, requests_per_page // rounds)
    sign_ins = max(1, min(each, 5))
    samples = {
        name: [[] for _ in servers] for name in ["sign-in (GET + POST /login/)"] + [p[0] for p in pages]
    }
    anonymous = [requests.Session() for _ in servers]
    for number in range(rounds):
        order = list(range(len(servers)))
        if number % 2:
            order.reverse()
        for index in order:
            host, pid = servers[index]
            samples["sign-in (GET + POST /login/)"][index].append(
                _measure(pid, database, sign_ins, lambda host=host: _sign_in(host, parent))
            )
        for name, url, signed_in in pages:
            for index in order:
                host, pid = servers[index]
                client = clients[index] if signed_in else anonymous[index]
                if number == 0:
                    for _ in range(5):  # every worker compiles its templates and fills its caches first
                        client.get(host + url)

                def open_page(client=client, url=host + url, name=name):
                    answer = client.get(url, allow_redirects=False)
                    assert answer.status_code == 200, f"{name}: {answer.status_code}"

                samples[name][index].append(_measure(pid, database, each, open_page))
    return [
        (
            name,
            len(per_server[0]) * (sign_ins if name.startswith("sign-in") else each),
            [
                (statistics.median(s for s, _ in runs), statistics.median(d for _, d in runs))
                for runs in per_server
            ],
        )
        for name, per_server in samples.items()
    ]


def _measure(server_pid: int, database: str, count: int, request) -> tuple[float, float]:
    """(server ms, database ms) a request costs on average over `count` of them."""
    before = _setup.cpu_snapshot(server_pid, database)
    for _ in range(count):
        request()
    after = _setup.cpu_snapshot(server_pid, database)
    return (
        (after["server"] - before["server"]) * 1000 / count,
        (after["database"] - before["database"]) * 1000 / count,
    )


def _sign_in(host: str, parent: dict):
    """A fresh visitor's GET /login/ and POST (the password check included); returns the signed-in session."""
    import requests

    session = requests.Session()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(f"{host}/login/").text)
    answer = session.post(
        f"{host}/login/",
        data={"csrfmiddlewaretoken": token.group(1), "phone": parent["phone"], "password": PASSWORD},
        allow_redirects=False,
    )
    assert answer.status_code == 302, f"sign-in answered {answer.status_code}"
    return session


def _database_name() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


# --- 2. the load ----------------------------------------------------------------------------------------


def _locust(host: str, parents: list[dict], think: list[float], seconds: float, server_pid: int) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        plan = {
            "host": host, "parents": parents, "password": PASSWORD, "think": think, "seconds": seconds,
            "users": len(parents), "spawn_rate": len(parents) * 4, "login_timeout": 300,
            "gunicorn_pid": server_pid, "database": _database_name(), "out": f"{directory}/result.json",
        }  # fmt: skip
        path = Path(directory) / "plan.json"
        path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        subprocess.run(
            [sys.executable, str(LOCUST), str(path)], check=True, timeout=seconds + 400,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        return json.loads(Path(plan["out"]).read_text(encoding="utf-8"))


def _percentiles(times: list[float]) -> tuple[float, float, float]:
    if len(times) < 2:
        return (times[0],) * 3 if times else (0.0, 0.0, 0.0)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _phase_groups(result: dict, phase: str) -> dict[str, list]:
    groups: dict[str, list] = {}
    for record_phase, name, ms, error in result["records"]:
        if record_phase == phase:
            groups.setdefault(name, []).append((ms, error))
    return groups


def _row(users, phase, name, entries, seconds, cpu=("", "", "", "")):
    times = [ms for ms, _ in entries]
    errors = sum(1 for _, error in entries if error)
    p50, p95, p99 = _percentiles(times)
    rate = len(entries) / seconds if seconds else 0
    return [str(users), phase, name, str(len(entries)), str(errors), f"{rate:.1f}",
            f"{p50:.0f}", f"{p95:.0f}", f"{p99:.0f}", *cpu]  # fmt: skip


def _cpu(result, start, end, requests):
    begin, finish = result["marks"][start], result["marks"][end]
    seconds = finish["at"] - begin["at"]
    busy = (finish["machine_busy"] - begin["machine_busy"]) / (
        finish["machine_total"] - begin["machine_total"]
    )
    return (
        f"{(finish['server'] - begin['server']) * 1000 / max(requests, 1):.1f}",
        f"{(finish['database'] - begin['database']) * 1000 / max(requests, 1):.1f}",
        f"{(finish['self'] - begin['self']) / seconds * 100:.0f} % of a core",
        f"{busy * 100:.0f} %",
    )


def _rows(users: int, result: dict):
    marks = result["marks"]
    rows = []
    login = _phase_groups(result, "login")
    login_seconds = marks["steady"]["at"] - marks["start"]["at"] if "steady" in marks else 0
    requests = sum(len(entries) for entries in login.values())
    for name, entries in sorted(login.items()):
        rows.append(_row(users, "login", name, entries, login_seconds))
    if "steady" not in marks:
        return rows
    rows[0][9:] = _cpu(result, "start", "steady", requests)
    steady = _phase_groups(result, "steady")
    seconds = marks["end"]["at"] - marks["steady"]["at"]
    baseline = steady.pop("/login/ (baseline)", [])
    pages = [entry for entries in steady.values() for entry in entries]
    everything = pages + baseline
    rows.append(
        _row(
            users,
            "steady",
            "all parent pages",
            pages,
            seconds,
            _cpu(result, "steady", "end", len(everything)),
        )
    )
    for name, entries in sorted(steady.items()):
        rows.append(_row(users, "steady", name, entries, seconds))
    rows.append(_row(users, "steady", "/login/ (baseline)", baseline, seconds))
    return rows


def _verdict(users: int, result: dict) -> str:
    marks = result["marks"]
    if "steady" not in marks:
        return f"{users} parents: the login phase did not finish"
    signs = [e for p, n, _, e in result["records"] if p == "login" and n == "sign-in: POST /login/"]
    rate = len(signs) / (marks["steady"]["at"] - marks["start"]["at"])
    steady = [(ms, e) for p, n, ms, e in result["records"] if p == "steady" and n != "/login/ (baseline)"]
    p95 = _percentiles([ms for ms, _ in steady])[1]
    errors = Counter(e for p, _, _, e in result["records"] if e and p in ("login", "steady"))
    reasons = "; ".join(f"{count} × {reason[:80]}" for reason, count in errors.most_common(3))
    return (
        f"{users} parents: {rate:.1f} sign-ins/s (target ≥ {TARGET_SIGN_INS}); steady p95 {p95:.0f} ms "
        f"(target < {TARGET_P95_MS}); {errors.total()} errors{': ' + reasons if reasons else ''}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
