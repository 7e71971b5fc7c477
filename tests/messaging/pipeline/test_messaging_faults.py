"""Fault tests of the sending pipeline with real Celery workers and Redis, sending through the eSMS gateway to
a local fake eSMS (tests/fakes) that counts accepted messages by RequestId (schema and Delivery id) and, like
the real eSMS, answers 124 "duplicate" to a repeated RequestId without sending: a worker killed mid fan-out,
a provider that fails or answers too late, a task delivered twice. Each time every recipient must get
exactly one SMS.

The workers here are this module's own (node `faults@…`), configured by environment for the fake; the
session's `celery_worker`, if a test started it, stops consuming meanwhile, so that no task of ours reaches
a worker whose eSMS is the real one."""

import functools
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from django_tenants.utils import schema_context

from messaging.delivery_keys import delivery_key
from messaging.models import Delivery, Message
from messaging.outbox.selectors import Recipient
from messaging.outbox.services import messages_send
from messaging.tasks import deliver_batch, sweep
from tenants.models import School
from tests.conftest import ARTIFACTS, other_workers_paused, wait_for, worker_kill, worker_start, worker_stop
from tests.fakes.sms_providers import FakeEsms
from tests.fakes.smtp import FakeSmtp

pytestmark = pytest.mark.slow

SCHOOL = "test-a"  # a school of the session's world
NODE = "faults@%h"
GATEWAY_TIMEOUT = 0.5  # ESMS_TIMEOUT of the workers: a "late" answer comes after it
CLAIM_TIMEOUT = 2  # MESSAGING_CLAIM_TIMEOUT_SECONDS of the workers: longer than any batch here takes


MAX_ATTEMPTS = 4  # MESSAGING_MAX_ATTEMPTS of the workers: a down gateway gives up after these


class FaultyEsms(FakeEsms):
    """FakeEsms whose calls for chosen RequestIds fail in a given order: `faults[key] = ["500", "late"]`
    answers HTTP 500 to that key's first call (sending nothing) and accepts its second but answers only
    after the gateway's timeout. Decided per key, not by chance, so that the number of retries (and with
    the pipeline's backoff, the duration) is the same on every run."""

    def __init__(self):
        self.faults: dict[str, list[str]] = {}
        self.calls: Counter = Counter()  # RequestId → calls received
        self._base_delay = 0.0
        self._late = threading.local()  # set by reply() in the thread that then sleeps `delay`
        super().__init__()

    @property
    def delay(self) -> float:
        return GATEWAY_TIMEOUT + 0.5 if getattr(self._late, "value", False) else self._base_delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        self._base_delay = seconds

    def reply(self, request):
        key = str((request.body or {}).get("RequestId", "")) if isinstance(request.body, dict) else ""
        plan, call = self.faults.get(key, []), self.calls[key]
        self.calls[key] += 1
        fault = plan[call] if call < len(plan) else None
        self._late.value = fault == "late"
        if fault == "500":
            return 500, {"error": "Internal Server Error"}
        return super().reply(request)


@dataclass
class Workers:
    """This module's worker (restartable) and the fake eSMS it sends to."""

    esms: FaultyEsms
    smtp: FakeSmtp
    env: dict
    process: subprocess.Popen | None = None
    log: Path | None = None
    starts: int = 0

    def start(self):
        self.starts += 1
        self.log = ARTIFACTS / f"celery-faults-{self.starts}.log"
        self.process = worker_start(self.log, "-n", NODE, **self.env)

    def kill(self):
        worker_kill(self.process)


@pytest.fixture(scope="module")
def workers(django_db_setup):
    with other_workers_paused("faults@"), FaultyEsms() as esms, FakeSmtp() as smtp:
        options = esms.settings()
        env = {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "MESSAGING_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            "MESSAGING_BACKOFF_BASE_SECONDS": "0.2",
            "SMS_GATEWAY": "esms",
            "ESMS_URL": options["url"],
            "ESMS_API_KEY": options["api_key"],
            "ESMS_SECRET_KEY": options["secret_key"],
            "ESMS_BRANDNAME": options["brandname"],
            "ESMS_TIMEOUT": str(GATEWAY_TIMEOUT),
            "ESMS_RATE_PER_SECOND": "1000",  # the bucket is tested elsewhere; here it would only slow down
            "ESMS_BURST": "100",
            "MESSAGING_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT),
        }
        handle = Workers(esms, smtp, env)
        handle.start()
        try:
            yield handle
        finally:
            worker_stop(handle.process)


@pytest.fixture
def fanout(workers, django_db_blocker):
    """Sends committed messages to uniquely numbered recipients of school A (the worker is another
    process); returns their Delivery ids. Removed afterwards."""
    purpose = f"faults-{uuid.uuid4().hex[:8]}"
    prefix = f"+849{uuid.uuid4().int % 10**4:04d}"
    workers.esms.delay = 0.0
    workers.esms.faults.clear()

    def send(n: int, before_commit=lambda ids: None) -> list[int]:
        """`before_commit(ids)` runs before the worker can know of them (the tasks leave on commit)."""
        items = [(f"{prefix}{k:04d}", f"Thông báo số {k}") for k in range(n)]
        with schema_context(_schema()), transaction.atomic():
            messages_send(purpose=purpose, items=items)
            ids = _ids(purpose)
            before_commit(ids)
        return ids

    with django_db_blocker.unblock(), override_settings(SMS_GATEWAY="esms"):
        yield send
        with schema_context(_schema()):
            Message.objects.filter(purpose=purpose).delete()


@functools.cache
def _schema() -> str:
    return School.objects.get(code=SCHOOL).schema_name


def _ids(purpose) -> list[int]:
    with schema_context(_schema()):
        return list(
            Delivery.objects.filter(message__purpose=purpose).order_by("pk").values_list("pk", flat=True)
        )


def _statuses(ids) -> Counter:
    with schema_context(_schema()):
        return Counter(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True))


def _all_sent(ids) -> bool:
    return _statuses(ids) == Counter({Delivery.Status.SENT: len(ids)})


def _requested(esms, ids) -> Counter:
    """Calls received per RequestId of ours (accepted or not)."""
    keys = {delivery_key(pk, _schema()) for pk in ids}
    return Counter(
        r.body["RequestId"]
        for r in esms.requests
        if isinstance(r.body, dict) and r.body.get("RequestId") in keys
    )


def _assert_each_sent_once(esms, ids):
    accepted = Counter({key: esms.sent[key] for key in (delivery_key(pk, _schema()) for pk in ids)})
    assert set(accepted.values()) == {1}, "a recipient got no SMS or more than one"
    assert len(accepted) == len(ids)


def test_worker_killed_mid_fanout_every_recipient_gets_exactly_one_sms(workers, fanout):
    # 50 messages a batch, 16 at a time (the gateway's concurrency): about 0.8 s per batch, so the kill
    # lands inside batches.
    workers.esms.delay = 0.2
    ids = fanout(300)  # 6 tasks of 50 (MESSAGING_BATCH_SIZE), two at a time

    def accepted():
        return sum(workers.esms.sent[delivery_key(pk, _schema())] for pk in ids)

    # Kill while both pool processes are inside a batch (both claimed, neither recorded): a quarter in.
    wait_for(
        lambda: accepted() >= 125 and _statuses(ids)[Delivery.Status.SENDING] == 100,
        timeout=20,
        interval=0.005,
    )
    workers.kill()
    killed_at = time.monotonic()
    before = _statuses(ids)
    assert before[Delivery.Status.SENDING] == 100  # claimed by the dead worker, some of them already sent
    assert before[Delivery.Status.SENT] >= 50 and before[Delivery.Status.QUEUED] >= 50
    killed_and_sent = accepted() - before[Delivery.Status.SENT]
    assert killed_and_sent > 0

    workers.esms.delay = 0.0
    workers.start()  # takes the tasks still in the queue; the dead worker's are the recovery's
    time.sleep(max(0.0, killed_at + CLAIM_TIMEOUT + 0.5 - time.monotonic()))  # every claim is stale now
    sweep.delay()  # what beat runs every minute, in public: one task per school
    wait_for(lambda: _all_sent(ids), timeout=20)

    _assert_each_sent_once(workers.esms, ids)
    requested = _requested(workers.esms, ids)
    repeats = [key for key, calls in requested.items() if calls > 1]
    # The dead worker's sent-but-unrecorded messages were sent again and answered "duplicate", not sent.
    assert len(repeats) >= killed_and_sent


def test_provider_failing_or_late_for_a_third_of_calls_still_sends_each_once(workers, fanout):
    # Per 20 recipients: 3 get a 500 then success, 3 a late acceptance (the gateway times out and retries:
    # 124), 1 a 500 then a late one, 1 a late one then a 500. 10 faulty calls out of 30: a third.
    plans = {0: ["500"], 1: ["500"], 2: ["500"], 3: ["late"], 4: ["late"], 5: ["late"],
             6: ["500", "late"], 7: ["late", "500"]}  # fmt: skip

    def plan(ids):
        schema = _schema()
        workers.esms.faults.update(
            {delivery_key(pk, schema): plans[i % 20] for i, pk in enumerate(ids) if i % 20 in plans}
        )

    with override_settings(MESSAGING_BATCH_SIZE=10):  # 6 tasks: their retries overlap
        ids = fanout(60, before_commit=plan)
    wait_for(lambda: _all_sent(ids), timeout=30)

    _assert_each_sent_once(workers.esms, ids)
    requested = _requested(workers.esms, ids)
    faulty = sum(
        min(requested[key], len(steps)) for key, steps in workers.esms.faults.items() if key in requested
    )
    assert faulty / sum(requested.values()) >= 0.3
    with schema_context(_schema()):
        attempts = Counter(Delivery.objects.filter(pk__in=ids).values_list("attempts", flat=True))
    assert attempts == Counter({1: 36, 2: 18, 3: 6})


def test_the_same_task_delivered_twice_sends_nothing_twice(workers, fanout):
    workers.esms.delay = 0.02  # the two copies run at the same time, one in each pool process
    duplicate = []
    ids = fanout(40, before_commit=lambda ids: duplicate.append(ids))  # one task of 40 on commit…
    with schema_context(_schema()):
        again = deliver_batch.delay(duplicate[0])  # …and the same task again, as a broker redelivery would
    wait_for(lambda: _all_sent(ids) and f"deliver_batch[{again.id}] succeeded" in workers.log.read_text())

    _assert_each_sent_once(workers.esms, ids)
    assert set(_requested(workers.esms, ids).values()) == {1}  # the copy found nothing left to claim
    with schema_context(_schema()):
        assert set(Delivery.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


def test_a_gateway_down_falls_back_to_the_next_channel_once(workers, django_db_blocker):
    """eSMS answers 503 to everything: each SMS is retried MAX_ATTEMPTS times with backoff, then the
    message falls back to e-mail (school A's order: SMS before e-mail), which the SMTP server gets once."""
    purpose = f"down-{uuid.uuid4().hex[:8]}"
    prefix = f"+849{uuid.uuid4().int % 10**4:04d}"
    items = [(Recipient(phone=f"{prefix}{k:04d}", email=f"ph{k}@example.vn"), f"Tin {k}") for k in range(20)]
    workers.esms.status = 503
    try:
        with django_db_blocker.unblock(), override_settings(SMS_GATEWAY="esms"):
            with schema_context(_schema()), transaction.atomic():
                messages = messages_send(purpose=purpose, items=items)
            assert all(m.channels == ["sms", "email"] for m in messages)

            def settled():
                with schema_context(_schema()):
                    rows = Delivery.objects.filter(message__purpose=purpose)
                    return Counter(rows.values_list("channel", "status")) == Counter(
                        {("sms", "fallen_back"): 20, ("email", "sent"): 20}
                    )

            wait_for(settled, timeout=30)
            with schema_context(_schema()):
                sms = Delivery.objects.filter(message__purpose=purpose, channel="sms")
                assert set(sms.values_list("attempts", flat=True)) == {MAX_ATTEMPTS}
                emails = Delivery.objects.filter(message__purpose=purpose, channel="email")
                keys = [delivery_key(pk, _schema()) for pk in emails.values_list("pk", flat=True)]
            assert [workers.smtp.count(key) for key in keys] == [1] * 20
            assert not any(workers.esms.sent[key] for key in keys)
    finally:
        workers.esms.status = 0
        with django_db_blocker.unblock(), schema_context(_schema()):
            Message.objects.filter(purpose=purpose).delete()
