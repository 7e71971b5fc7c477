"""The sending pipeline in-process, against a local HTTP SMS provider (tests/fakes) that counts what it
delivers by idempotency key: batches, claims, retries, permanent failures, stale claims and the token bucket.
Tasks are really published to the test broker (the worker, when running, finds nothing of this test's
uncommitted rows to claim); what was published is read from Celery's before_task_publish signal."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.delivery_keys import delivery_key
from messaging.models import Delivery, Message
from messaging.outbox.services import messages_send
from messaging.pipeline.services import backoff, deliveries_send, deliveries_sweep
from messaging.tasks import sweep
from tenants.models import School
from tests.fakes.sms_providers import FakeHttpSms


@pytest.fixture
def provider(db):
    with FakeHttpSms() as fake:
        yield fake


def http_sms(fake, **options):
    return override_settings(SMS_GATEWAY="http_sms", GATEWAYS={"http_sms": fake.settings() | options})


def send(n, purpose="test", **kwargs) -> list[int]:
    items = [(f"+8490{k:07d}", f"Tin số {k}") for k in range(n)]
    messages = messages_send(purpose=purpose, items=items, **kwargs)
    return list(Delivery.objects.filter(message__in=messages).order_by("pk").values_list("pk", flat=True))


def statuses(ids):
    return list(Delivery.objects.filter(pk__in=ids).order_by("pk").values_list("status", "attempts"))


def test_45_items_are_two_inserts_and_one_batch_task_after_commit(
    db, published, django_capture_on_commit_callbacks
):
    with schema_context("school_test_a"):
        with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
            ids = send(45, purpose="grades")
            assert published == []  # nothing before commit
        assert len([q for q in queries if q["sql"].startswith("INSERT")]) == 2
        assert Message.objects.filter(purpose="grades").count() == 45
        assert statuses(ids) == [("queued", 0)] * 45
        assert Delivery.objects.filter(pk__in=ids).first().gateway == "console"
    assert published == [("messaging.tasks.deliver_batch", ids, "school_test_a", "default")]


def test_urgent_items_go_to_the_urgent_queue_in_batches_of_50(
    db, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ids = send(120, urgent=True)
    assert [(name, len(batch), schema, queue) for name, batch, schema, queue in published] == [
        ("messaging.tasks.deliver_urgent_batch", 50, "public", "urgent"),
        ("messaging.tasks.deliver_urgent_batch", 50, "public", "urgent"),
        ("messaging.tasks.deliver_urgent_batch", 20, "public", "urgent"),
    ]
    assert [pk for _, batch, _, _ in published for pk in batch] == ids


def test_a_duplicated_task_sends_nothing_twice(provider):
    with http_sms(provider):
        ids = send(3)
        assert deliveries_send(ids).retry_ids == []
        assert deliveries_send(ids).retry_ids == []  # the same task again: nothing left to claim
    assert dict(provider.sent) == {delivery_key(pk): 1 for pk in ids}
    rows = Delivery.objects.filter(pk__in=ids).order_by("pk")
    assert [(d.status, d.attempts, d.gateway) for d in rows] == [("sent", 1, "http_sms")] * 3
    assert all(d.provider_message_id.startswith("msg-") and d.sent_at for d in rows)


def test_transient_errors_are_retried_with_backoff_then_sent_once(provider):
    with http_sms(provider):
        ids = send(2)
        provider.status = 500
        outcome = deliveries_send(ids)
        assert outcome.retry_ids == ids and 1.0 <= outcome.countdown <= 2.0  # 2 s × jitter after attempt 1
        assert statuses(ids) == [("queued", 1)] * 2
        assert Delivery.objects.get(pk=ids[0]).error.startswith("HTTP 500")
        provider.status = 0
        assert deliveries_send(outcome.retry_ids).retry_ids == []
    assert statuses(ids) == [("sent", 2)] * 2
    assert dict(provider.sent) == {delivery_key(pk): 1 for pk in ids}
    assert Delivery.objects.get(pk=ids[0]).error == ""


def test_transient_errors_become_final_after_the_last_attempt(provider):
    with http_sms(provider), override_settings(MESSAGING_MAX_ATTEMPTS=2):
        (pk,) = send(1)
        provider.status = 503
        assert deliveries_send([pk]).retry_ids == [pk]
        assert deliveries_send([pk]).retry_ids == []
    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.status, delivery.attempts) == ("failed", 2) and delivery.error.startswith("HTTP 503")


def test_permanent_error_fails_with_the_reason_and_is_not_retried(provider):
    with http_sms(provider, headers="{}"):  # no credentials: the provider answers 401
        (pk,) = send(1)
        assert deliveries_send([pk]).retry_ids == []
    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.error.startswith("HTTP 401") and "unauthorized" in delivery.error
    assert provider.total_sent == 0


def test_token_bucket_wait_releases_the_rest_for_a_retry(provider):
    with http_sms(provider, rate_per_second=2.0, burst=2):
        ids = send(3)
        outcome = deliveries_send(ids)
        assert outcome.retry_ids == ids[2:] and 0.3 < outcome.countdown <= 0.5  # one token at 2 per second
        assert statuses(ids) == [("sent", 1), ("sent", 1), ("queued", 0)]  # waiting is not an attempt
        assert Delivery.objects.get(pk=ids[2]).claimed_at is None
        assert deliveries_send(ids[2:]).retry_ids == ids[2:]  # asked too early: still refused, nothing sent
        assert provider.total_sent == 2
        time.sleep(0.6)
        assert deliveries_send(ids[2:]).retry_ids == []
    assert dict(provider.sent) == {delivery_key(pk): 1 for pk in ids}


def test_stale_claims_are_recovered_and_dispatched_again(db, published, django_capture_on_commit_callbacks):
    now = timezone.now()
    stale, fresh, done = send(3)
    Delivery.objects.filter(pk=stale).update(status="sending", claimed_at=now - timedelta(seconds=301))
    Delivery.objects.filter(pk=fresh).update(status="sending", claimed_at=now - timedelta(seconds=10))
    Delivery.objects.filter(pk=done).update(status="sent", claimed_at=now - timedelta(seconds=900))
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_sweep(now)["stale"] == 1
    assert statuses([stale, fresh, done]) == [("queued", 0), ("sending", 0), ("sent", 0)]
    assert Delivery.objects.get(pk=stale).claimed_at is None
    assert published == [("messaging.tasks.deliver_batch", [stale], "public", "default")]


def test_beat_recovers_public_and_fans_out_to_every_active_school(db, published):
    schools = set(School.objects.filter(is_active=True).values_list("schema_name", flat=True))
    assert sweep() == len(schools) >= 2
    assert [name for name, *_ in published] == ["messaging.tasks.sweep_school"] * len(schools)
    assert {schema for _, _, schema, _ in published} == schools


def test_migration_keeps_each_old_row_as_a_message_and_its_delivery(db):
    """Migrated back and forth inside the test's transaction (PostgreSQL DDL is transactional)."""
    executor = MigrationExecutor(connection)
    # Through 0002 (the split) and 0003 (plans), to the latest: the current models read the rows.
    before, after = [("messaging", "0001_initial")], executor.loader.graph.leaf_nodes("messaging")
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("messaging", "Message")
    sent = old.objects.create(
        purpose="otp", channel="sms", recipient="+84900000001", body="Mã", status="sent", gateway="esms",
        attempts=2, provider_message_id="p-1", sent_at=timezone.now(),
    )  # fmt: skip
    queued = old.objects.create(purpose="grades", channel="sms", recipient="+84900000002", body="Điểm")
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    rows = Delivery.objects.filter(message__in=[sent.pk, queued.pk]).order_by("message_id")
    assert [
        (d.pk, d.message.body, d.address, d.status, d.gateway, d.attempts, d.provider_message_id)
        for d in rows
    ] == [
        (sent.pk, "Mã", "+84900000001", "sent", "esms", 2, "p-1"),
        (queued.pk, "Điểm", "+84900000002", "queued", "console", 0, ""),
    ]
    # 0003: the recipient was the phone, the channel tried is the plan, a queued one is queued since then.
    assert [(d.message.phone, d.message.channels, d.queued_at) for d in rows] == [
        ("+84900000001", ["sms"], None),
        ("+84900000002", ["sms"], rows[1].created_at),
    ]
    assert send(1)[0] > queued.pk  # the sequence continues after the copied ids


@pytest.mark.parametrize(
    ("base", "attempts", "low", "high"),
    [(1, 1, 1, 2), (1, 3, 4, 8), (0.1, 3, 0.4, 0.8), (1, 20, 300, 600)],  # capped at 10 minutes
)
def test_backoff_doubles_from_the_configured_base_with_jitter_and_a_cap(base, attempts, low, high):
    with override_settings(MESSAGING_BACKOFF_BASE_SECONDS=base):
        waits = [backoff(attempts) for _ in range(200)]
    assert low <= min(waits) and max(waits) <= high
    assert len(set(waits)) > 100  # jitter: deliveries that failed together do not come back together
