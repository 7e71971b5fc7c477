"""The SMS providers as their own documents describe them, against the local fakes that behave that way
(tests/fakes/sms_providers.py): SpeedSMS's 60 requests per 60 s per account and its 429 with
X-Rate-Limit-Reset, eSMS's 99 (a blocked number) and its 50-character RequestId, Zalo's 48-character
tracking_id, a generic HTTP provider's 200 with an error in the body, and the eSMS receipt token that must
open one school's callback URL only."""

import re
import time

import pytest
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from accounts.models import ContactPoint
from messaging.delivery_keys import delivery_key
from messaging.gateways.base import OutgoingMessage
from messaging.gateways.esms import EsmsGateway
from messaging.gateways.http_sms import HttpSmsGateway
from messaging.gateways.speedsms import SpeedSmsGateway
from messaging.models import Delivery
from messaging.outbox.services import messages_send
from messaging.pipeline.services import deliveries_send
from tests.fakes.sms_providers import FakeEsms, FakeHttpSms, FakeSpeedSms

SCHEMA_A, SCHEMA_B = "school_test_a", "school_test_b"
HOST = "https://truong.example"
LONGEST_SCHEMA = "s" * 63  # PostgreSQL's longest identifier


def queue_sms(schema: str, items: list[tuple[str, str]]) -> list[int]:
    """Deliveries written by messages_send in `schema` (not yet sent), in order."""
    with schema_context(schema):
        messages = messages_send(purpose="test", items=items)
        return list(Delivery.objects.filter(message__in=messages).order_by("pk").values_list("pk", flat=True))


def rows(schema: str, ids: list[int]) -> list[Delivery]:
    with schema_context(schema):
        return list(Delivery.objects.filter(pk__in=ids).order_by("pk"))


# --- item 12: keys that fit, eSMS 99 ------------------------------------------------------------------------


@pytest.mark.parametrize("schema", ["public", SCHEMA_A, LONGEST_SCHEMA])
def test_delivery_keys_fit_esms_request_id_and_zalo_tracking_id(schema):
    keys = {delivery_key(pk, schema) for pk in (1, 7, 2**31 - 1, 2**63 - 1)}
    for key in keys:
        assert len(key) <= 48, key  # Zalo's tracking_id (eSMS's RequestId allows 50)
        assert re.fullmatch(r"[A-Za-z0-9]+", key), key  # no special characters
    assert len(keys) == 4
    assert delivery_key(7, SCHEMA_A) != delivery_key(7, SCHEMA_B)  # ids are per schema, keys are not


def test_the_fake_esms_refuses_a_request_id_over_50_characters():
    with FakeEsms() as esms, override_settings(GATEWAYS={"esms": esms.settings()}):
        long_key, short_key = "k" * 51, "k" * 50
        too_long, fits = EsmsGateway().send(
            [
                OutgoingMessage(long_key, "+84912345678", "Chào"),
                OutgoingMessage(short_key, "+84987654321", "Chào"),
            ]
        )
    assert too_long.error is not None and "HTTP 400" in str(too_long.error)
    assert fits.error is None
    assert dict(esms.sent) == {short_key: 1}


def test_esms_gets_the_stored_short_key_and_its_receipt_finds_the_delivery(db):
    with (
        FakeEsms() as esms,
        override_settings(
            SMS_GATEWAY="esms", GATEWAYS={"esms": esms.settings(callback_url=f"{HOST}/hooks/esms/")}
        ),
    ):
        (pk,) = queue_sms(SCHEMA_A, [("+84912345678", "Họp phụ huynh")])
        with schema_context(SCHEMA_A):
            assert deliveries_send([pk]).retry_ids == []
        [delivery] = rows(SCHEMA_A, [pk])
        [request_id] = esms.accepted
        assert request_id == delivery.provider_key == delivery_key(pk, SCHEMA_A)
        assert len(request_id) <= 50 and request_id.isalnum()
        url, params = esms.callback(request_id)
        assert Client().get(url.removeprefix(HOST), params).json() == {"updated": 1}
    assert rows(SCHEMA_A, [pk])[0].status == "delivered"


def test_esms_99_is_a_blocked_number_failed_at_once_and_marked(db):
    """eSMS's error table: 99 = the number is blocked. The parent's fault, not "try again": one attempt,
    the number is marked, and the message moves on (here: no other channel, so it has failed)."""
    blocked, fine = "+84912340099", "+84912340100"
    with FakeEsms() as esms, override_settings(SMS_GATEWAY="esms", GATEWAYS={"esms": esms.settings()}):
        esms.blocked_phones.add("0912340099")
        ids = queue_sms(SCHEMA_A, [(blocked, "Thông báo"), (fine, "Thông báo")])
        with schema_context(SCHEMA_A):
            outcome = deliveries_send(ids)
    assert outcome.retry_ids == []
    lost, sent = rows(SCHEMA_A, ids)
    assert (lost.status, lost.attempts) == ("failed", 1)
    assert "blocked" in lost.error
    assert sent.status == "sent"
    with schema_context(SCHEMA_A):
        assert ContactPoint.objects.get(channel="sms", address=blocked).is_bad
        assert not ContactPoint.objects.filter(address=fine, is_bad=True).exists()


# --- item 11: SpeedSMS requests per account -----------------------------------------------------------------


@pytest.fixture
def speedsms(db):
    with (
        FakeSpeedSms() as fake,
        override_settings(SMS_GATEWAY="speedsms", GATEWAYS={"speedsms": fake.settings()}),
    ):
        yield fake


def test_per_parent_texts_stay_within_60_requests_a_minute_and_waiting_is_no_attempt(speedsms):
    """70 texts each with its own words (70 requests): the gateway makes at most 60 requests in the
    minute, SpeedSMS never has to answer 429, and the texts that wait have used none of their attempts."""
    ids = queue_sms(SCHEMA_A, [(f"+8491{k:07d}", f"Con số {k} vắng học hôm nay") for k in range(70)])
    pending, deadline = ids, time.monotonic() + 3
    with schema_context(SCHEMA_A):
        while pending and time.monotonic() < deadline:
            outcome = deliveries_send(pending)
            pending = outcome.retry_ids
            if pending:
                assert outcome.countdown > 0
                time.sleep(min(outcome.countdown, max(0.0, deadline - time.monotonic())))
    assert speedsms.throttled == 0
    assert len(speedsms.requests) <= 60
    deliveries = rows(SCHEMA_A, ids)
    sent = [d for d in deliveries if d.status == "sent"]
    waiting = [d for d in deliveries if d.status == "queued"]
    assert len(sent) == len(speedsms.requests) and len(sent) + len(waiting) == 70
    assert waiting and {d.attempts for d in waiting} == {0}
    assert {d.attempts for d in sent} == {1}


def test_a_429_waits_for_the_reset_header_and_is_not_an_attempt(speedsms):
    """Someone else used this account's minute: SpeedSMS answers 429 with X-Rate-Limit-Reset. The batch
    stops at the first 429, nothing counts as an attempt, the retry waits until the reset, and the
    account's bucket makes every other worker wait too."""
    speedsms.limit = 2
    ids = queue_sms(SCHEMA_A, [(f"+8491{k:07d}", f"Tin riêng {k}") for k in range(5)])
    with schema_context(SCHEMA_A):
        outcome = deliveries_send(ids)
    assert speedsms.throttled == 1 and len(speedsms.requests) == 3  # two sent, one 429, then no more
    deliveries = rows(SCHEMA_A, ids)
    assert [d.status for d in deliveries] == ["sent", "sent", "queued", "queued", "queued"]
    assert [d.attempts for d in deliveries] == [1, 1, 0, 0, 0]
    assert outcome.retry_ids == ids[2:]
    assert outcome.countdown >= 59  # X-Rate-Limit-Reset: the window is 60 s

    with schema_context(SCHEMA_A):
        again = deliveries_send(outcome.retry_ids)  # another worker, at once
    assert len(speedsms.requests) == 3  # the account waits: no request
    assert again.retry_ids == ids[2:] and again.countdown >= 58
    assert [d.attempts for d in rows(SCHEMA_A, ids)] == [1, 1, 0, 0, 0]


class OtherAccountSpeedSms(FakeSpeedSms):
    TOKEN = "another-schools-token"


def test_each_speedsms_account_has_its_own_bucket(speedsms):
    """A school's own account is not slowed by the platform's: the bucket is keyed by the account."""
    texts = [OutgoingMessage(f"k{i}", f"+8491{i:07d}", f"Tin {i}") for i in range(31)]
    with override_settings(GATEWAYS={"speedsms": speedsms.settings()}):
        platform = SpeedSmsGateway().send(texts)
    assert [r.error is None for r in platform] == [True] * 30 + [False]
    assert platform[-1].error.retry_after > 0 and len(speedsms.requests) == 30

    with OtherAccountSpeedSms() as other, override_settings(GATEWAYS={"speedsms": other.settings()}):
        [own] = SpeedSmsGateway().send(texts[:1])
    assert own.error is None and len(other.requests) == 1


class OtherAccountEsms(FakeEsms):
    API_KEY = "another-schools-api-key"


def test_esms_rate_limit_is_per_account_too(db):
    """eSMS takes one message per request, so the pipeline's bucket counts deliveries; it is keyed by the
    account's API key, so another account (a school's own) is not held up by this one's wait."""
    with FakeEsms() as esms, OtherAccountEsms() as other:
        limited = {"rate_per_second": 0.1, "burst": 1}
        platform = esms.settings(**limited)
        with override_settings(SMS_GATEWAY="esms", GATEWAYS={"esms": platform}):
            ids = queue_sms(SCHEMA_A, [("+84912345601", "Tin 1"), ("+84912345602", "Tin 2")])
            with schema_context(SCHEMA_A):
                first = deliveries_send(ids)
        assert first.retry_ids == ids[1:] and first.countdown > 5  # one token, then 10 s for the next
        other_account = override_settings(SMS_GATEWAY="esms", GATEWAYS={"esms": other.settings(**limited)})
        with other_account, schema_context(SCHEMA_A):
            own = deliveries_send(first.retry_ids)
        assert own.retry_ids == []
    assert esms.total_sent == 1 and other.total_sent == 1


# --- item 14: the generic HTTP provider's word in the body -------------------------------------------------


def test_http_sms_200_with_an_error_status_in_the_body_is_a_failure():
    with FakeHttpSms() as fake, override_settings(GATEWAYS={"http_sms": fake.settings()}):
        fake.error_body = "insufficient balance"
        [refused] = HttpSmsGateway().send([OutgoingMessage("k1", "+84912345678", "Chào")])
        fake.error_body = ""
        [accepted] = HttpSmsGateway().send([OutgoingMessage("k2", "+84912345678", "Chào")])
    assert refused.error is not None and refused.error.permanent and not refused.error.recipient
    assert "insufficient balance" in str(refused.error)
    assert accepted.error is None and accepted.provider_message_id == "msg-1"


@pytest.mark.parametrize(
    ("field", "values", "accepted"),
    [
        ("status", "success", True),
        ("status", "OK, Success", True),  # a list, any case
        ("status", "queued", False),
        ("message.id", "msg-1", True),  # a dotted path
        ("result", "success", False),  # a field the reply does not have: not a success
        ("", "", True),  # no field: the HTTP status alone decides
    ],
)
def test_http_sms_success_field_and_values_are_configurable(field, values, accepted):
    with FakeHttpSms() as fake:
        options = fake.settings(success_field=field, success_values=values)
        with override_settings(GATEWAYS={"http_sms": options}):
            [result] = HttpSmsGateway().send([OutgoingMessage("k", "+84912345678", "Chào")])
    assert (result.error is None) is accepted
    if not accepted:
        assert result.error.permanent


# --- item 9: one school's receipt token opens no other school's URL ----------------------------------------


def test_a_schools_esms_receipt_token_is_refused_at_another_schools_url(db):
    """School A's callback URL (seen in A's eSMS account, or a log) must not let anyone report on B."""
    with (
        FakeEsms() as esms,
        override_settings(
            SMS_GATEWAY="esms", GATEWAYS={"esms": esms.settings(callback_url=f"{HOST}/hooks/esms/")}
        ),
    ):
        (pk_a,) = queue_sms(SCHEMA_A, [("+84912345678", "Tin trường A")])
        (pk_b,) = queue_sms(SCHEMA_B, [("+84912345679", "Tin trường B")])
        for schema, pk in ((SCHEMA_A, pk_a), (SCHEMA_B, pk_b)):
            with schema_context(schema):
                assert deliveries_send([pk]).retry_ids == []
        key_a, key_b = delivery_key(pk_a, SCHEMA_A), delivery_key(pk_b, SCHEMA_B)
        url_a, _ = esms.callback(key_a)
        url_b, params_b = esms.callback(key_b)
    token_a, token_b = url_a.rstrip("/").rsplit("/", 1)[-1], url_b.rstrip("/").rsplit("/", 1)[-1]
    assert url_a == f"{HOST}/hooks/esms/test-a/{token_a}/" and url_b == f"{HOST}/hooks/esms/test-b/{token_b}/"
    assert token_a != token_b

    assert Client().get(f"/hooks/esms/test-b/{token_a}/", params_b).status_code == 403
    assert rows(SCHEMA_B, [pk_b])[0].status == "sent"
    assert Client().get(f"/hooks/esms/test-b/{token_b}/", params_b).json() == {"updated": 1}
    assert rows(SCHEMA_B, [pk_b])[0].status == "delivered"
