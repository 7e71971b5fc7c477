"""Fan-out: a notice to 3,000 guardians of one school, and one to 100,000 guardians over 50 schools, sent
through a local fake eSMS that answers each request 20 ms late, by real Celery workers started as `make run`
starts them (`schoolbook.devstack.worker_command`: one prefork worker, two processes, every queue).

What is measured, per run: the time from publishing (the first `messages_send`, which is what publishing a
notice calls: one per school, in its schema, `bulk=True`, in a transaction) to the last delivery recorded
`sent` (the latest `sent_at`, written by the worker once the provider has answered); deliveries per second
over that time; duplicates at the fake: RequestIds (schema and Delivery id) requested more than once, and
messages it accepted more than once (what a parent would get twice); the tasks the worker ran (and how many
were retries); and the worker's CPU time per delivery (its own and its pool's, read when it has exited),
which depends much less than the rate on what else the machine is running at the time. Each size is run
with the default MESSAGING_BATCH_SIZE (one task, claim and UPDATE per batch, the batch's requests sent in
parallel by the gateway) and the small one with MESSAGING_BATCH_SIZE=1 (one task per recipient: the
baseline).

Set-up (not timed): the fake eSMS (tests/fakes/sms_providers.py) runs in this process on 127.0.0.1 (its
CPU, like the database's, is shared with the workers: a 2-core machine runs everything); the workers get it
by environment (SMS_GATEWAY=esms, ESMS_URL…), with the gateway's shared rate limit raised to
ESMS_RATE_PER_SECOND (default 10,000/s, burst 1,000) so that the pipeline, not the provider contract, is
what is measured. Schools are onboarded from spare schemas made just before; each gets its guardians by
bulk_create (phones +84909…, no users) and a MessagingSettings row without quiet hours (the default
21:00–06:30 would hold the notice until morning). The workers are started afresh for each run on the bench
database and Redis db 3 (bench/_setup.py), and the messaging tables are emptied between runs.

Everything (schools, schemas, people, queued tasks) is dropped at the end and at the start.

    .venv/bin/python bench/fanout.py [--schools 50] [--guardians 2000] [--first 3000] [--latency-ms 20]
                                     [--rate 10000] [--baseline-big]

The baseline sends about 20 messages a second (a task, a claim and an UPDATE per message, two at a time):
on 100,000 it would take over an hour, so by default it runs on the first school only, and the 100,000
run is compared with that rate; --baseline-big runs it on all 100,000 too.
"""

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _setup

from tests.fakes.sms_providers import FakeEsms

TARGET_RATE, TARGET_SPEEDUP = 500, 5
BURST = 1000  # ESMS_BURST of the workers: more than any batch, so no batch waits for tokens
# Phones (bench_phone numbers): guardians of school i from GUARDIANS + i * 10,000 (≤ 10,000 each), admins.
GUARDIANS, ADMINS = 0, 990_000
BODY = (
    "Trường THCS Đo Gửi Tin {school}: kính mời phụ huynh họp lớp lúc 8 giờ sáng thứ Bảy 12/4 tại "
    "phòng học của lớp. Trân trọng."
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--schools", type=int, default=50, help="schools of the big run")
    parser.add_argument("--guardians", type=int, default=2000, help="guardians of each school but the first")
    parser.add_argument(
        "--first", type=int, default=3000, help="guardians of the first school (the small run)"
    )
    parser.add_argument("--latency-ms", type=float, default=20, help="the fake eSMS's answer delay")
    parser.add_argument("--rate", type=int, default=10_000, help="ESMS_RATE_PER_SECOND of the workers")
    parser.add_argument("--baseline-big", action="store_true", help="run the baseline on the big run too")
    args = parser.parse_args()

    fake = FakeEsms()
    fake.delay = args.latency_ms / 1000
    options = fake.settings()
    os.environ.update({
        "SMS_GATEWAY": "esms", "ESMS_URL": options["url"], "ESMS_API_KEY": options["api_key"],
        "ESMS_SECRET_KEY": options["secret_key"], "ESMS_BRANDNAME": options["brandname"],
        "ESMS_CALLBACK_URL": options["callback_url"],
        "ESMS_RATE_PER_SECOND": str(args.rate), "ESMS_BURST": str(BURST),
    })  # fmt: skip
    _setup.setup()  # the workers inherit this process's environment: bench database, Redis db 3
    from django.conf import settings

    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    batch_size = settings.MESSAGING_BATCH_SIZE
    runs = []
    started = time.perf_counter()
    with fake, tempfile.TemporaryDirectory(prefix="bench-fanout-") as logs:
        try:
            seed_start = time.perf_counter()
            schools = _schools(actor, args)
            seed_seconds = time.perf_counter() - seed_start
            small, big = schools[:1], schools
            plan = [("small", small, batch_size), ("small", small, 1), ("big", big, batch_size)]
            if args.baseline_big:
                plan.append(("big", big, 1))
            for number, (size, run_schools, run_batch) in enumerate(plan):
                log = Path(logs) / f"worker-{number}.log"
                runs.append(_run(fake, size, run_schools, run_batch, log))
        finally:
            elapsed = time.perf_counter() - started
            dropped = _setup.drop_bench_schools()

    _print(args, runs, batch_size, seed_seconds)
    print(f"\n{dropped} bench schools dropped; run took {elapsed:.0f} s.")
    return 0


def _schools(actor, args) -> list:
    """Onboard the bench schools (from spares made here) with their guardians and no quiet hours."""
    import datetime

    from django.db import connection
    from django_tenants.utils import schema_context

    from messaging.models import DEFAULT_CHANNEL_ORDER, MessagingSettings
    from schoolbook.onboarding import school_onboard
    from students.models import Guardian
    from tenants.schemas import spares_refill

    spares_refill(target=args.schools)
    schools = []
    for index in range(args.schools):
        school = school_onboard(actor=actor, data={
            "code": f"{_setup.CODE_PREFIX}fanout-{index}", "name": f"Trường THCS Đo Gửi Tin {index}",
            "levels": ["lower_secondary"], "province": "Hà Nội",
            "admin_name": "Quản Trị Đo", "admin_phone": _setup.bench_phone(ADMINS + index),
        })  # fmt: skip
        count = args.first if index == 0 else args.guardians
        first = GUARDIANS + index * 10_000
        with schema_context(school.schema_name):
            Guardian.objects.bulk_create(
                Guardian(
                    full_name=f"Phụ Huynh {n}", phone="+84" + _setup.bench_phone(first + n)[1:]
                ).set_sort_key()
                for n in range(count)
            )
            never = datetime.time(0, 0)
            MessagingSettings.objects.create(
                channel_order=list(DEFAULT_CHANNEL_ORDER), quiet_hours_start=never, quiet_hours_end=never
            )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        schools.append(school)
    return schools


class Run:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def _run(fake: FakeEsms, size: str, schools: list, batch_size: int, log: Path) -> Run:
    """Publish the notice in every school of `schools` with the workers running, wait for every delivery
    to be sent, and read the fake's counts."""
    from django.db import connection, transaction
    from django.db.models import Max
    from django.test import override_settings
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from messaging.models import Delivery, Message
    from messaging.outbox.selectors import Recipient
    from messaging.outbox.services import messages_send
    from schoolbook.devstack import worker_command
    from students.models import Guardian

    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Delivery, Message))
    for school in schools:  # a clean slate: the previous run's messages
        with schema_context(school.schema_name), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables}")
    fake.requests.clear()
    fake.sent.clear()
    fake.accepted.clear()
    _setup.purge_bench_queue()
    # LOG_LEVEL: the worker's "ready." and "succeeded in" lines, read here, are INFO (Django's LOGGING, which
    # the benchmarks set to WARNING for themselves).
    worker = _setup.worker_start(
        worker_command(), log, MESSAGING_BATCH_SIZE=str(batch_size), LOG_LEVEL="INFO"
    )
    load = os.getloadavg()[0]
    cpu_before = _cpu_seconds(resource.RUSAGE_CHILDREN), _cpu_seconds(resource.RUSAGE_SELF)
    try:
        published_at = timezone.now()
        start = time.perf_counter()
        expected = 0
        with override_settings(MESSAGING_BATCH_SIZE=batch_size):
            for school in schools:
                with schema_context(school.schema_name), transaction.atomic():
                    guardians = Guardian.objects.order_by("pk").values_list("full_name", "phone")
                    body = BODY.format(school=school.name)
                    items = [(Recipient(phone=phone, name=name), body) for name, phone in guardians]
                    messages_send(
                        purpose="notice",
                        items=items,
                        bulk=True,
                        reference="notice:bench",
                        title="Họp phụ huynh",
                    )
                    expected += len(items)
        publish_seconds = time.perf_counter() - start
        # The fake counts acceptances as they happen: wait on it, then read the outcome from the database.
        deadline = time.monotonic() + 120 + expected / 20
        while fake.total_sent < expected and time.monotonic() < deadline:
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        statuses, last_sent = Counter(), published_at
        for _ in range(50):
            statuses, last_sent = Counter(), published_at
            for school in schools:
                with schema_context(school.schema_name):
                    statuses.update(Delivery.objects.values_list("status", flat=True))
                    latest = Delivery.objects.aggregate(latest=Max("sent_at"))["latest"]
                    last_sent = max(last_sent, latest or published_at)
            if statuses[Delivery.Status.SENT] == expected:
                break
            time.sleep(0.2)
    finally:
        # Once it has exited, its CPU time and its pool's count as this process's children's.
        _setup.worker_stop(worker)
    worker_cpu = _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before[0]
    bench_cpu = _cpu_seconds(resource.RUSAGE_SELF) - cpu_before[1]
    if statuses != Counter({Delivery.Status.SENT: expected}):
        raise SystemExit(f"{size} run, batch {batch_size}: not all sent: {dict(statuses)} of {expected}")
    requested = Counter(r.body.get("RequestId") for r in fake.requests if isinstance(r.body, dict))
    seconds = (last_sent - published_at).total_seconds()
    return Run(
        size=size, schools=len(schools), batch_size=batch_size, deliveries=expected,
        publish_seconds=publish_seconds, seconds=seconds, rate=expected / seconds,
        requests=sum(requested.values()), repeated=sum(1 for n in requested.values() if n > 1),
        twice=sum(1 for n in fake.sent.values() if n > 1),
        tasks=log.read_text().count("succeeded in"), retries=log.read_text().count(" retry: "),
        worker_cpu_ms=worker_cpu * 1000 / expected, bench_cpu_ms=bench_cpu * 1000 / expected, load=load,
    )  # fmt: skip


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _print(args, runs: list[Run], batch_size: int, seed_seconds: float) -> None:
    print(
        f"| Fan-out, fake eSMS {args.latency_ms:g} ms away | publish s | publish → last sent, s "
        "| deliveries/s | tasks (retries) | keys requested twice | SMS accepted twice "
        "| worker CPU ms/delivery | load avg |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        label = f"{run.deliveries:,} guardians, {run.schools} school{'s' if run.schools > 1 else ''}: "
        label += f"**batches of {run.batch_size}**" if run.batch_size > 1 else "one task per recipient"
        print(
            f"| {label} | {run.publish_seconds:.1f} | {run.seconds:.1f} | {run.rate:.0f} "
            f"| {run.tasks} ({run.retries}) | {run.repeated} | {run.twice} | {run.worker_cpu_ms:.2f} "
            f"| {run.load:.1f} |"
        )
    by_key = {(r.size, r.batch_size): r for r in runs}
    baseline = by_key[("small", 1)]
    print()
    for size in ("small", "big"):
        run, base = by_key[(size, batch_size)], by_key.get((size, 1), baseline)
        speedup = run.rate / base.rate
        met = run.rate >= TARGET_RATE and speedup >= TARGET_SPEEDUP and run.repeated == run.twice == 0
        print(
            f"- {run.deliveries:,}: {run.rate:.0f} deliveries/s, {speedup:.1f}× the baseline "
            f"({base.deliveries:,} guardians: {base.rate:.0f}/s); target ≥ {TARGET_RATE}/s, "
            f"≥ {TARGET_SPEEDUP}× and no duplicates: {'met' if met else 'NOT met'}"
        )
    print(
        f"\nMachine: {os.cpu_count()} CPUs ({_cpu()}), Python {platform.python_version()}; workers: "
        f"`{' '.join(_worker_args())}`; ESMS_RATE_PER_SECOND={args.rate}, ESMS_BURST={BURST}; "
        f"load avg: 1-minute average at each run's start (other processes share the machine); "
        f"seeding took {seed_seconds:.0f} s."
    )


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _worker_args() -> list[str]:
    from schoolbook.devstack import worker_command

    return ["celery", *worker_command()[3:]]


if __name__ == "__main__":
    sys.exit(main())
