"""Conversations: how long after a teacher sends a message the guardian's push is handed to the push
service, through the real path: the service (conversations.services.message_post) writes the message and
its outbox rows and commits, a real Celery worker (as `make run` starts it) picks the delivery up, and the
Web Push gateway encrypts and POSTs it to a local fake push service (tests.fakes.push, which checks the
VAPID signature and decrypts each payload as a browser would). Target: < 2 s, median of N.

One school, `bench-conversation`, with a small roster (bench/_setup.roster_school); the guardian of one
student gets an account and a push subscription from the fake; the school has no quiet hours, the teacher
no office hours apply (a teacher's message is never held). Each run posts one message by the homeroom
teacher in the same conversation and waits for the fake to receive its push; the time is from just before
the service call to the fake's receipt (polled every 2 ms).

    .venv/bin/python bench/conversation.py [--runs 20]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

TARGET_SECONDS = 2.0
TEACHERS, GUARDIANS, ADMINS = 100_000, 500_000, 900_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=20, help="messages sent (median reported)")
    args = parser.parse_args()

    from tests.fakes.push import new_vapid_keys

    keys = new_vapid_keys()  # before Django reads the environment: this process plans push, the worker sends
    os.environ["WEBPUSH_VAPID_PRIVATE_KEY"] = keys["vapid_private_key"]
    os.environ["WEBPUSH_VAPID_PUBLIC_KEY"] = keys["vapid_public_key"]
    _setup.setup()
    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    started = time.perf_counter()
    try:
        timings = _measure(actor, args.runs)
    finally:
        elapsed = time.perf_counter() - started
        dropped = _setup.drop_bench_schools()
    median = statistics.median(timings)
    print("\n| runs | median s | min s | max s | target |")
    print("|---|---|---|---|---|")
    low, high = min(timings), max(timings)
    print(f"| {len(timings)} | {median:.3f} | {low:.3f} | {high:.3f} | < {TARGET_SECONDS:.0f} s |")
    print(f"\n{_setup.machine()}\n{dropped} bench school dropped; run took {elapsed:.0f} s.")
    if median >= TARGET_SECONDS:
        print(f"NOT MET: median {median:.3f} s ≥ {TARGET_SECONDS} s", file=sys.stderr)
        return 1
    return 0


def _measure(actor, runs: int) -> list[float]:
    import datetime
    import json

    from django.db import transaction
    from django_tenants.utils import schema_context

    from accounts.models import ContactPoint, User
    from conversations.services import conversation_start, message_post
    from messaging.models import DEFAULT_CHANNEL_ORDER, MessagingSettings
    from schoolbook.devstack import worker_command
    from schoolbook.outbound import origin
    from students.models import SchoolClass, StudentGuardian
    from tests.fakes.push import FakePushService

    school, _roster = _setup.roster_school(
        actor, code="conversation", name="Trường THCS Đo Tin Nhắn", students=45, seed=2026,
        teachers=TEACHERS, guardians=GUARDIANS, admins=ADMINS,
    )  # fmt: skip
    log = _setup.ROOT / "artifacts" / "bench-conversation-worker.log"
    log.parent.mkdir(exist_ok=True)
    with FakePushService() as push:
        with schema_context(school.schema_name):
            never = datetime.time(0, 0)
            MessagingSettings.objects.create(
                channel_order=list(DEFAULT_CHANNEL_ORDER), quiet_hours_start=never, quiet_hours_end=never
            )
            school_class = SchoolClass.objects.filter(homeroom_teacher__isnull=False).order_by("name").first()
            link = StudentGuardian.objects.filter(student__enrolments__school_class=school_class).first()
            guardian = link.guardian
            user = guardian.user or User.objects.filter(phone=guardian.phone).first()
            if user is None:
                user = User.objects.create_user(guardian.phone, full_name=guardian.full_name)
            guardian.user = user
            guardian.save(update_fields=["user"])
            ContactPoint.objects.create(
                user=user, channel="push", gateway="webpush", address=json.dumps(push.subscribe())
            )
            teacher = school_class.homeroom_teacher.user
            conversation = conversation_start(
                actor=teacher,
                student=link.student,
                recipients=[user.pk],
                body="Chào anh chị.",
                client_key="0",
            ).conversation
        worker = _setup.worker_start(
            worker_command(), log, LOG_LEVEL="INFO",
            DJANGO_SETTINGS_MODULE="tests.fakes.push_worker_settings", PUSH_TEST_ORIGINS=origin(push.url),
        )  # fmt: skip
        try:
            _wait(lambda: len(push.received) >= 1, 30)  # the first message, sent before the worker ran
            timings = []
            for run in range(1, runs + 1):
                before = len(push.received)
                start = time.perf_counter()
                with schema_context(school.schema_name), transaction.atomic():
                    message_post(
                        actor=teacher,
                        conversation=conversation,
                        body=f"Tin nhắn số {run}.",
                        client_key=str(run),
                    )
                _wait(lambda: len(push.received) > before, 30)  # noqa: B023 (called at once)
                timings.append(time.perf_counter() - start)
            assert all(r.payload for r in push.received), "the fake refused a push"
        finally:
            _setup.worker_stop(worker)
    return timings


def _wait(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("the push did not arrive in time (see artifacts/bench-conversation-worker.log)")
        time.sleep(0.002)


if __name__ == "__main__":
    sys.exit(main())
