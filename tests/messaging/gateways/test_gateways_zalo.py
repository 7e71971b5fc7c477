"""Zalo ZNS against a local Zalo (tests/fakes/zalo.py: the OAuth token endpoint and the ZNS send endpoint):
what Zalo receives, the access token's rotation (on expiry, on "access token invalid", once for two workers at
once, stored sealed), each class of error, timeouts, the signed `user_received_message` webhook, and the
fallback to SMS of a parent who is not on Zalo, through the pipeline in school A."""

import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from django.core.cache import caches
from django.db import connection, connections
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import ContactPoint
from messaging import zalo_tokens
from messaging.delivery_keys import delivery_key
from messaging.gateways.base import GatewayError, OutgoingMessage, ReceiptRejected
from messaging.gateways.registry import gateway_configured, get_gateway
from messaging.gateways.zalo import (
    QUOTA_TZ,
    ZaloZnsGateway,
    _pause_key,
    next_midnight,
    pause_until_midnight,
    paused_until,
    receipt_phone,
    template_data,
)
from messaging.models import Delivery, Message, ProviderToken
from messaging.outbox.services import messages_send
from messaging.pipeline.services import deliveries_send
from schoolbook.sealed import unseal
from tests.fakes.sms_providers import FakeHttpSms
from tests.fakes.zalo import FakeZalo

PHONE, PHONE_2 = "+84912345678", "+84987654321"
SCHEMA_A, SCHEMA_B = "school_test_a", "school_test_b"
TEXT = "Thứ Hai 14/4 học sinh nghỉ học để trường tổ chức thi học kì."


def msg(key: str, recipient: str = PHONE, body: str = TEXT, title: str = "Lịch nghỉ học") -> OutgoingMessage:
    return OutgoingMessage(idempotency_key=key, recipient=recipient, body=body, title=title)


@pytest.fixture
def zalo(db):
    unpause = lambda: caches["platform"].delete(_pause_key(FakeZalo.APP_ID))  # noqa: E731
    unpause()
    with FakeZalo() as fake, override_settings(GATEWAYS={"zalo": fake.settings()}):
        yield fake
    unpause()  # a -144 pause is shared by every schema (and test) until midnight


def stored() -> ProviderToken:
    with schema_context("public"):
        return ProviderToken.objects.get(provider="zalo")


def send(*messages: OutgoingMessage):
    return get_gateway("zalo").send(list(messages))


# --- configuration and the request --------------------------------------------------------------------------


def test_configured_only_with_app_template_and_a_refresh_token(zalo):
    options = zalo.settings()
    assert isinstance(get_gateway("zalo"), ZaloZnsGateway) and get_gateway("zalo").channel == "zalo"
    assert gateway_configured("zalo")
    for missing in ("app_id", "app_secret", "template_id", "refresh_token"):
        with override_settings(GATEWAYS={"zalo": options | {missing: ""}}):
            assert not gateway_configured("zalo"), missing
    with override_settings(GATEWAYS={}):
        assert not gateway_configured("zalo")
    send(msg("k"))  # stores a pair: configuration need not hold a refresh token any more
    with override_settings(GATEWAYS={"zalo": options | {"refresh_token": ""}}):
        assert gateway_configured("zalo")


def test_send_posts_what_zns_expects_and_stores_the_pair_sealed(zalo):
    [result] = send(msg("school_test_a-7"))

    assert result.error is None
    oauth, zns = zalo.requests
    assert (oauth.method, oauth.path, oauth.headers["secret_key"]) == (
        "POST",
        "/v4/oa/access_token",
        "app-secret-kAjd9",
    )
    assert oauth.headers["content-type"] == "application/x-www-form-urlencoded"
    assert zalo.refresh_uses == {zalo.seed: 1}
    [(access, refresh)] = zalo.issued
    assert (zns.method, zns.path, zns.headers["access_token"]) == ("POST", "/message/template", access)
    assert zns.body == {
        "phone": "84912345678",
        "template_id": FakeZalo.TEMPLATE_ID,
        "template_data": {"title": "Lịch nghỉ học", "content": TEXT},
        "tracking_id": "school_test_a-7",
    }
    assert result.provider_message_id == zalo.accepted["school_test_a-7"]["msg_id"] != ""
    assert zalo.sent["school_test_a-7"] == 1

    row = stored()
    assert (unseal(row.access_token), unseal(row.refresh_token)) == (access, refresh)
    assert access not in row.access_token and refresh not in row.refresh_token  # the column is sealed
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token || refresh_token FROM public.messaging_providertoken")
        [(raw,)] = cursor.fetchall()
    assert access not in raw and refresh not in raw and zalo.seed not in raw
    assert abs((row.expires_at - timezone.now()) - timedelta(seconds=90000)) < timedelta(seconds=30)

    send(msg("school_test_a-8"), msg("school_test_a-9"))
    assert zalo.refreshes == 1  # a valid token is reused, not refreshed per batch


def test_a_batch_gives_one_result_per_message_in_order(zalo):
    zalo.phone_errors["84987654321"] = -118
    results = send(msg("a"), msg("b", PHONE_2), msg("c", "+14155550100"), msg("d"))

    assert [r.idempotency_key for r in results] == ["a", "b", "c", "d"]
    assert [r.error is None for r in results] == [True, False, False, True]
    assert "-118" in str(results[1].error) and "-108" in str(results[2].error)
    assert dict(zalo.sent) == {"a": 1, "d": 1}


@pytest.mark.parametrize(
    ("title", "body", "expected_title"),
    [
        ("", "Họp phụ huynh\n\nLúc 8 giờ thứ Bảy tại phòng 201.", "Họp phụ huynh"),
        ("  Lịch   thi\n học kì I ", "Nội dung", "Lịch thi học kì I"),
        ("   ", "\n  Nghỉ học  chiều nay\nvì mưa bão", "Nghỉ học chiều nay"),
        ("T" * 80, "Nội dung", "T" * 64 + "…"),
    ],
)
def test_template_data_is_one_line_each_within_zns_limits(zalo, title, body, expected_title):
    data = template_data(msg("k", body=body, title=title))
    assert data["title"] == expected_title
    assert data["content"] == " ".join(body.split())
    assert [r.error for r in send(msg("k", body=body, title=title))] == [None]


def test_long_content_is_cut_to_200_characters_and_zalo_accepts_it(zalo):
    body = "Kính gửi quý phụ huynh. " * 30
    data = template_data(msg("k", body=body))
    assert len(data["content"]) == 200 and data["content"].endswith("…")
    assert data["content"][:-1] == " ".join(body.split())[:199]
    [result] = send(msg("k", body=body))
    assert result.error is None
    assert zalo.accepted["k"]["template_data"]["content"] == data["content"]


# --- the access token ---------------------------------------------------------------------------------------


def test_a_token_expiring_within_five_minutes_is_refreshed_before_sending(zalo):
    send(msg("first"))
    first_access, first_refresh = zalo.issued[0]
    with schema_context("public"):
        ProviderToken.objects.filter(provider="zalo").update(expires_at=timezone.now() + timedelta(minutes=4))

    [result] = send(msg("second"))

    assert result.error is None
    assert zalo.refreshes == 2
    assert zalo.refresh_uses[first_refresh] == 1  # the rotated token, spent once
    assert zalo.requests[-1].headers["access_token"] == zalo.issued[1][0] != first_access
    assert unseal(stored().refresh_token) == zalo.issued[1][1]
    assert [r.path for r in zalo.requests] == ["/v4/oa/access_token", "/message/template"] * 2


def test_access_token_invalid_refreshes_once_and_sends_that_message_again(zalo):
    send(msg("first"))
    zalo.expire_access_tokens()  # Zalo revoked it before its time: our clock still says valid

    results = send(msg("second"), msg("third"))

    assert [r.error for r in results] == [None, None]
    assert zalo.refreshes == 2
    assert [r.path for r in zalo.requests[2:]] == [
        "/message/template", "/v4/oa/access_token", "/message/template", "/message/template",
    ]  # fmt: skip
    assert dict(zalo.sent) == {"first": 1, "second": 1, "third": 1}
    assert unseal(stored().access_token) == zalo.issued[1][0]


def test_a_fresh_token_refused_again_is_a_permanent_account_error(zalo):
    send(msg("first"))
    zalo.code = -124  # every token refused, however fresh

    [result] = send(msg("second"))

    assert result.error.permanent and not result.error.recipient
    assert "-124" in str(result.error)
    assert zalo.refreshes == 2  # one refresh, not one per try


def test_no_row_seeds_from_configuration_and_an_invalid_refresh_token_needs_a_new_authorisation(zalo):
    zalo.refresh_tokens.clear()  # the configured token was already spent (or expired after three months)

    results = send(msg("a"), msg("b"))

    for result in results:
        assert result.error.permanent and not result.error.recipient
        assert "cần cấp lại quyền OA" in str(result.error) and "Invalid refresh token" in str(result.error)
    assert zalo.sent == {}
    assert [r.path for r in zalo.requests] == ["/v4/oa/access_token"]  # once for the batch
    assert unseal(stored().refresh_token) == zalo.seed  # seeded, and left for a person to replace


def test_a_new_refresh_token_in_configuration_replaces_a_dead_stored_one(zalo):
    send(msg("a"))
    zalo.refresh_tokens.clear()  # the stored token died (the OA's authorisation was revoked)
    zalo.expire_access_tokens()
    [failed] = send(msg("b"))
    assert "cần cấp lại quyền OA" in str(failed.error)

    new_seed = zalo._new_refresh_token()  # a person authorised the OA again and configured the new token
    with override_settings(GATEWAYS={"zalo": zalo.settings(refresh_token=new_seed)}):
        [result] = send(msg("b"))
    assert result.error is None
    assert zalo.refresh_uses[new_seed] == 1
    assert unseal(stored().refresh_token) == zalo.issued[-1][1]


def test_tokens_sealed_under_an_old_key_give_way_to_the_configured_refresh_token(zalo, caplog):
    send(msg("a"))
    new_seed = zalo._new_refresh_token()
    options = {"zalo": zalo.settings(refresh_token=new_seed)}
    with override_settings(SEALING_KEY=Fernet.generate_key().decode(), GATEWAYS=options):
        [result] = send(msg("b"))
        assert result.error is None
        assert unseal(stored().refresh_token) == zalo.issued[-1][1]  # sealed under the new key
    assert zalo.refresh_uses[new_seed] == 1
    assert "unreadable" in caplog.text


def test_no_refresh_token_anywhere_is_a_clear_permanent_error(zalo):
    with override_settings(GATEWAYS={"zalo": zalo.settings(refresh_token="")}):
        [result] = send(msg("a"))
    assert result.error.permanent and "chưa có refresh token" in str(result.error)
    assert zalo.requests == []


def test_zalo_unreachable_during_refresh_is_transient_and_keeps_the_refresh_token(zalo):
    zalo.status = 503
    [result] = send(msg("a"))
    assert not result.error.permanent and "503" in str(result.error)
    zalo.status = 0
    assert [r.error for r in send(msg("a"))] == [None]
    assert [r.path for r in zalo.requests].count("/v4/oa/access_token") == 2
    assert zalo.refresh_uses == {zalo.seed: 1}  # the 503 spent nothing: the seed still worked


def _in_thread(target, results, index, barrier=None):
    try:
        if barrier is not None:
            barrier.wait(timeout=10)
        results[index] = target()
    except Exception as exc:  # reported by the test's assertions
        results[index] = exc
    finally:
        connections.close_all()  # this thread's connection, or the test database cannot be dropped


def test_two_workers_refreshing_at_once_spend_the_refresh_token_once(zalo):
    """Committed for real (each thread has its own connection and transaction), so the row lock is tested;
    removed afterwards from another connection (the test's own transaction would roll the removal back)."""
    zalo.delay = 0.5  # Zalo is slow to answer: the second worker arrives while the first is refreshing
    results = [None, None]
    barrier = threading.Barrier(2)
    threads = [
        threading.Thread(target=_in_thread, args=(zalo_tokens.access_token, results, i, barrier))
        for i in (0, 1)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert results[0] == results[1] == zalo.issued[0][0], results
        assert zalo.refreshes == 1
        assert zalo.refresh_uses == {zalo.seed: 1}
    finally:
        cleanup = [None]
        thread = threading.Thread(
            target=_in_thread,
            args=(lambda: ProviderToken.objects.filter(provider="zalo").delete(), cleanup, 0),
        )
        thread.start()
        thread.join(timeout=20)
    assert not isinstance(cleanup[0], Exception), cleanup


def test_two_workers_told_access_token_invalid_refresh_once(zalo):
    """Both had the token Zalo then refused: the second finds it already replaced and uses the new one."""
    stale = zalo_tokens.access_token()
    zalo.expire_access_tokens()
    first = zalo_tokens.access_token(rejected=stale)
    second = zalo_tokens.access_token(rejected=stale)
    assert first == second == zalo.issued[1][0]
    assert zalo.refreshes == 2


# --- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (-118, "no Zalo account for this number"),
        (-108, "invalid phone number"),
        (-119, "cannot receive ZNS"),
        (-139, "refused this Official Account"),
        (-140, "chose not to receive ZNS"),
        (-141, "chose not to receive ZNS"),
    ],
)
def test_the_recipients_fault_is_permanent_and_marks_the_number(zalo, code, reason):
    zalo.phone_errors["84912345678"] = code
    [result] = send(msg("k"))
    assert result.error.permanent and result.error.recipient
    assert str(result.error).startswith(f"Zalo {code}: ") and reason in str(result.error)
    assert zalo.sent == {}


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (-109, "invalid template id"),
        (-112, "template data invalid"),
        (-114, "the user is inactive"),
        (-115, "out of ZNS quota"),
        (-117, "may not use this template"),
        (-131, "not approved"),
        (-133, "at night"),
        (-144, "daily ZNS limit"),
        (-1121, "longer than the template allows"),
        (-199, "Unknown error"),  # a code not in our table: permanent, with Zalo's own message
    ],
)
def test_template_quota_and_account_problems_are_permanent_and_not_the_parents_fault(zalo, code, reason):
    zalo.code = code
    [result] = send(msg("k"))
    assert result.error.permanent and not result.error.recipient
    assert f"Zalo {code}: " in str(result.error) and reason in str(result.error)


def test_a_parameter_over_the_templates_length_is_1121_and_the_messages_fault(zalo):
    """Zalo answers -1121 (not -112) for a parameter longer than the template allows: what a template whose
    limits were changed after registration gives; the message moves on, the number is not blamed."""
    zalo.TITLE_MAX = 20  # the registered template now takes shorter titles than template_data cuts to
    [result] = send(msg("long", title="Thông báo lịch nghỉ học học kì I"))
    assert result.error.permanent and not result.error.recipient
    assert str(result.error) == "Zalo -1121: a parameter is longer than the template allows"
    assert zalo.sent == {}


def test_a_template_zalo_does_not_know_is_permanent(zalo):
    with override_settings(GATEWAYS={"zalo": zalo.settings(template_id="999")}):
        [result] = send(msg("k"))
    assert result.error.permanent and not result.error.recipient and "-109" in str(result.error)


@pytest.mark.parametrize(("status", "code"), [(500, 0), (502, 0), (429, 0), (0, -100)])
def test_server_errors_rate_limits_and_unknown_errors_are_transient(zalo, status, code):
    zalo_tokens.access_token()  # the token first: these switches are about the send
    zalo.status, zalo.code = status, code
    [result] = send(msg("k"))
    assert not result.error.permanent
    zalo.status, zalo.code = 0, 0
    assert [r.error for r in send(msg("k"))] == [None]
    assert zalo.sent["k"] == 1


def test_a_send_that_times_out_is_transient(zalo):
    zalo_tokens.access_token()
    zalo.delay = 1.0
    with override_settings(GATEWAYS={"zalo": zalo.settings(timeout=0.3)}):
        [result] = send(msg("slow"))
    assert not result.error.permanent and "no answer within 0.3 s" in str(result.error)


def test_zalo_down_is_transient(zalo):
    zalo_tokens.access_token()
    with override_settings(GATEWAYS={"zalo": zalo.settings(url="http://127.0.0.1:9/message/template")}):
        [result] = send(msg("k"))
    assert isinstance(result.error, GatewayError) and not result.error.permanent


# --- the webhook --------------------------------------------------------------------------------------------


def zalo_deliveries(schema: str, *phones: str) -> list[int]:
    """Deliveries written by messages_send in `schema` and sent through the local Zalo: status sent."""
    with schema_context(schema):
        messages = messages_send(
            purpose="notice", items=[(p, TEXT) for p in phones], channels=["zalo", "sms"], title="Nghỉ học"
        )
        ids = list(Delivery.objects.filter(message__in=messages).order_by("pk").values_list("pk", flat=True))
        assert deliveries_send(ids).retry_ids == []
        rows = Delivery.objects.filter(pk__in=ids).values_list("channel", "status")
        assert sorted(rows) == [("zalo", "sent")] * len(phones)
    return ids


def row(schema: str, pk: int) -> tuple:
    with schema_context(schema):
        d = Delivery.objects.get(pk=pk)
        return d.status, d.error, d.provider_message_id, d.fallback_at is not None


def post(body: bytes, **headers):
    return Client(enforce_csrf_checks=True).post(
        "/hooks/zalo/", body, content_type="application/json", **headers
    )


@pytest.fixture
def zalo_and_sms(zalo):
    with FakeHttpSms() as sms:
        options = {"zalo": zalo.settings(), "http_sms": sms.settings()}
        with override_settings(SMS_GATEWAY="http_sms", GATEWAYS=options):
            yield zalo, sms


def test_received_event_marks_delivered_and_a_replay_changes_nothing(zalo_and_sms):
    zalo, _ = zalo_and_sms
    (pk,) = zalo_deliveries(SCHEMA_A, PHONE)
    key = delivery_key(pk, SCHEMA_A)
    status, _, msg_id, waits_for_fallback = row(SCHEMA_A, pk)
    assert (status, msg_id, waits_for_fallback) == ("sent", zalo.accepted[key]["msg_id"], True)

    body, headers = zalo.webhook(key)
    response = post(body, **headers)
    assert (response.status_code, response.json()) == (200, {"updated": 1})
    assert row(SCHEMA_A, pk)[:3] == ("delivered", "", msg_id)

    replay = post(body, **headers)
    assert (replay.status_code, replay.json()) == (200, {"updated": 0})
    assert row(SCHEMA_A, pk)[:3] == ("delivered", "", msg_id)


def test_a_bad_or_missing_signature_is_403_and_changes_nothing(zalo_and_sms):
    zalo, _ = zalo_and_sms
    (pk,) = zalo_deliveries(SCHEMA_A, PHONE)
    before = row(SCHEMA_A, pk)
    body, headers = zalo.webhook(delivery_key(pk, SCHEMA_A))
    signature = headers["HTTP_X_ZEVENT_SIGNATURE"]
    tampered_body = body.replace(b"user_received_message", b"user_received_messagf")
    flipped = signature[:-1] + ("1" if signature.endswith("0") else "0")
    for request_body, request_headers in [
        (body, {}),
        (body, {"HTTP_X_ZEVENT_SIGNATURE": ""}),
        (body, {"HTTP_X_ZEVENT_SIGNATURE": flipped}),
        (body, {"HTTP_X_ZEVENT_SIGNATURE": signature.removeprefix("mac=")}),
        (tampered_body, headers),
        (b"not json", headers),
    ]:
        assert post(request_body, **request_headers).status_code == 403
    with override_settings(GATEWAYS={"zalo": zalo.settings(oa_secret="another-oa-secret")}):
        assert post(body, **headers).status_code == 403
    with override_settings(GATEWAYS={"zalo": zalo.settings(oa_secret="")}):
        assert post(body, **headers).status_code == 403  # nothing to verify with: nothing is trusted
    assert Client().get("/hooks/zalo/").status_code == 405
    assert row(SCHEMA_A, pk) == before


def test_receipts_reach_the_schema_their_tracking_id_names_and_no_other(zalo_and_sms, caplog):
    zalo, _ = zalo_and_sms
    (pk_a,) = zalo_deliveries(SCHEMA_A, PHONE)
    (pk_b,) = zalo_deliveries(SCHEMA_B, PHONE_2)
    before_a = row(SCHEMA_A, pk_a)

    body, headers = zalo.webhook(delivery_key(pk_b, SCHEMA_B))
    assert post(body, **headers).json() == {"updated": 1}
    assert row(SCHEMA_B, pk_b)[0] == "delivered"
    assert row(SCHEMA_A, pk_a) == before_a

    # B's Zalo message id with A's delivery id in B's schema name changes nothing in A (key and id disagree).
    with schema_context(SCHEMA_B):
        b_msg_id = Delivery.objects.get(pk=pk_b).provider_message_id
    body, headers = zalo.webhook(delivery_key(pk_a, SCHEMA_A), msg_id=b_msg_id)
    assert post(body, **headers).json() == {"updated": 0}
    assert row(SCHEMA_A, pk_a) == before_a

    for key in (f"school_no_such-{pk_a}", f"pg_catalog-{pk_a}", "no-key-of-ours"):
        body, headers = zalo.webhook(key)
        assert post(body, **headers).json() == {"updated": 0}, key
    assert "school_no_such" in caplog.text  # ignored, but logged
    assert row(SCHEMA_A, pk_a) == before_a


def test_a_receipt_naming_another_phone_than_the_deliverys_changes_nothing(zalo_and_sms):
    zalo, _ = zalo_and_sms
    (pk,) = zalo_deliveries(SCHEMA_A, PHONE)
    key = delivery_key(pk, SCHEMA_A)
    body, headers = zalo.webhook(key, phone=PHONE_2.removeprefix("+"))
    assert post(body, **headers).json() == {"updated": 0}
    assert row(SCHEMA_A, pk)[0] == "sent"
    body, headers = zalo.webhook(key)  # the phone the message went to: applied
    assert json.loads(body)["recipient"]["id"] == "84912345678"
    assert post(body, **headers).json() == {"updated": 1}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("84912345678", PHONE),
        ("0912345678", PHONE),
        ("+84912345678", PHONE),
        ("8915278641291209373", "+8915278641291209373"),
        ("", ""),
        (None, ""),
        ("abc", ""),
    ],
)
def test_receipt_phone_is_e164(value, expected):
    assert receipt_phone(value) == expected


def test_a_suspended_schools_receipts_are_ignored(zalo_and_sms, world):
    zalo, _ = zalo_and_sms
    (pk,) = zalo_deliveries(SCHEMA_A, PHONE)
    world.school_a.is_active = False
    world.school_a.save(update_fields=["is_active"])
    body, headers = zalo.webhook(delivery_key(pk, SCHEMA_A))
    assert post(body, **headers).json() == {"updated": 0}
    assert row(SCHEMA_A, pk)[0] == "sent"


def test_other_events_are_acknowledged_and_ignored(zalo_and_sms):
    zalo, _ = zalo_and_sms
    (pk,) = zalo_deliveries(SCHEMA_A, PHONE)
    for event_name in ("user_send_text", "follow", "user_seen_message"):
        body, headers = zalo.webhook(delivery_key(pk, SCHEMA_A), event_name=event_name)
        response = post(body, **headers)
        assert (response.status_code, response.json()) == (200, {"ignored": event_name})
    assert row(SCHEMA_A, pk)[0] == "sent"


def test_parse_receipt_reads_the_tracking_and_message_ids_and_the_phone(zalo, rf):
    body, headers = zalo.webhook("school_test_a-41", phone="84912345678")
    request = rf.post("/hooks/zalo/", body, content_type="application/json", **headers)
    [receipt] = get_gateway("zalo").parse_receipt(request)
    assert (receipt.status, receipt.idempotency_key) == ("delivered", "school_test_a-41")
    assert receipt.provider_message_id == json.loads(body)["message"]["msg_id"]
    assert json.loads(body)["recipient"]["id"] == "84912345678"  # Zalo's event names the phone
    assert receipt.address == PHONE
    unsigned = rf.post("/hooks/zalo/", body, content_type="application/json")
    with pytest.raises(ReceiptRejected):
        get_gateway("zalo").parse_receipt(unsigned)


# --- through the pipeline -----------------------------------------------------------------------------------


def test_a_parent_not_on_zalo_falls_back_to_sms_and_is_not_tried_on_zalo_again(zalo_and_sms):
    zalo, sms = zalo_and_sms
    zalo.phone_errors["84987654321"] = -118
    with schema_context(SCHEMA_A):
        messages = messages_send(
            purpose="notice",
            items=[(PHONE, TEXT), (PHONE_2, TEXT)],
            channels=["zalo", "sms"],
            title="Nghỉ học",
        )
        assert [m.channels for m in messages] == [["zalo", "sms"], ["zalo", "sms"]]
        first = list(Delivery.objects.filter(message__in=messages).order_by("pk"))
        assert deliveries_send([d.pk for d in first]).retry_ids == []

        on_zalo, not_on_zalo = (Delivery.objects.get(pk=d.pk) for d in first)
        assert (on_zalo.channel, on_zalo.status) == ("zalo", "sent")
        assert (not_on_zalo.channel, not_on_zalo.status) == ("zalo", "fallen_back")
        assert not_on_zalo.error == "Zalo -118: no Zalo account for this number"
        [fallback] = Delivery.objects.filter(message=messages[1], channel="sms")
        assert (fallback.status, fallback.gateway, fallback.address) == ("queued", "http_sms", PHONE_2)
        assert deliveries_send([fallback.pk]).retry_ids == []
        fallback.refresh_from_db()
        assert fallback.status == "sent"

        later = messages_send(purpose="notice", items=[(PHONE_2, "Tin sau")], channels=["zalo", "sms"])
        assert later[0].channels == ["sms"]  # the number is known not to be on Zalo
    assert zalo.sent == {delivery_key(on_zalo.pk, SCHEMA_A): 1}
    assert sms.sent == {delivery_key(fallback.pk, SCHEMA_A): 1}
    point = ContactPoint.objects.get(channel="zalo", address=PHONE_2)
    assert point.is_bad and "-118" in point.bad_reason
    assert not ContactPoint.objects.filter(channel="zalo", address=PHONE, is_bad=True).exists()


@pytest.mark.parametrize("code", [-140, -141])
def test_a_parent_who_turned_zns_off_falls_back_to_sms_and_the_zalo_point_is_marked(zalo_and_sms, code):
    zalo, sms = zalo_and_sms
    zalo.phone_errors["84912345678"] = code
    with schema_context(SCHEMA_A):
        (message,) = messages_send(purpose="notice", items=[(PHONE, TEXT)], channels=["zalo", "sms"])
        (first,) = Delivery.objects.filter(message=message)
        assert deliveries_send([first.pk]).retry_ids == []
        first.refresh_from_db()
        assert first.status == "fallen_back" and f"Zalo {code}" in first.error
        (fallback,) = Delivery.objects.filter(message=message, channel="sms")
        assert deliveries_send([fallback.pk]).retry_ids == []
    point = ContactPoint.objects.get(channel="zalo", address=PHONE)
    assert point.is_bad and str(code) in point.bad_reason
    assert not ContactPoint.objects.filter(channel="sms", address=PHONE).exists()  # SMS still reaches them
    assert sms.sent == {delivery_key(fallback.pk, SCHEMA_A): 1}


def alerts() -> list[Message]:
    with schema_context("public"):
        return list(Message.objects.filter(purpose="platform_alert").order_by("pk"))


def test_the_oas_daily_quota_pauses_zalo_until_midnight_falls_back_and_alerts_once(zalo_and_sms, world):
    """-144: the first message past the OA's quota and every later one, in any school, go by SMS at once
    without asking Zalo again today; the platform admins hear about it once, not once per message."""
    zalo, sms = zalo_and_sms
    zalo.daily_quota = 1
    phones = [PHONE, PHONE_2, "+84901234567"]
    with schema_context(SCHEMA_A):
        messages = messages_send(
            purpose="notice", items=[(p, TEXT) for p in phones], channels=["zalo", "sms"]
        )
        first = list(
            Delivery.objects.filter(message__in=messages).order_by("pk").values_list("pk", flat=True)
        )
        assert deliveries_send(first).retry_ids == []
        statuses = list(Delivery.objects.filter(pk__in=first).order_by("pk").values_list("status", "error"))
        assert statuses[0] == ("sent", "")
        assert [s for s, _ in statuses[1:]] == ["fallen_back", "fallen_back"]
        assert all(
            error.startswith("Zalo -144: the OA's daily ZNS limit is reached") for _, error in statuses[1:]
        )
        on_sms = list(
            Delivery.objects.filter(message__in=messages, channel="sms").values_list("pk", flat=True)
        )
        assert len(on_sms) == 2 and deliveries_send(on_sms).retry_ids == []
    assert sum(sms.sent.values()) == 2
    zns_sends = [r for r in zalo.requests if r.path == "/message/template"]
    assert len(zns_sends) == 2, "after -144 the batch's last message did not ask Zalo"
    assert not ContactPoint.objects.filter(channel="zalo").exists()  # not the parents' fault

    until = paused_until(FakeZalo.APP_ID)
    midnight = datetime.combine(timezone.localdate() + timedelta(days=1), datetime.min.time(), QUOTA_TZ)
    assert until == midnight.isoformat()

    with schema_context(SCHEMA_B):  # another school, later today: straight to SMS, no request, no alert
        (later,) = messages_send(purpose="notice", items=[(PHONE_2, "Tin sau")], channels=["zalo", "sms"])
        (pk,) = Delivery.objects.filter(message=later).values_list("pk", flat=True)
        assert deliveries_send([pk]).retry_ids == []
        assert Delivery.objects.get(pk=pk).status == "fallen_back"
    assert len([r for r in zalo.requests if r.path == "/message/template"]) == 2

    [alert] = alerts()
    assert alert.user_id == world.platform_admin.pk and alert.urgent and "zalo" not in alert.channels
    assert "-144" in alert.body and FakeZalo.APP_ID in alert.body


def test_the_pause_ends_at_midnight_in_vietnam(zalo):
    late = datetime(2026, 12, 7, 23, 59, 30, tzinfo=QUOTA_TZ)
    assert pause_until_midnight("app-1", now=late)
    assert not pause_until_midnight("app-1", now=late), "a second worker does not pause (or alert) again"
    assert paused_until("app-1") == "2026-12-08T00:00:00+07:00"
    assert paused_until("app-2") == ""  # per OA
    assert (next_midnight(late) - late).total_seconds() == 30  # how long the cache keeps the pause
    caches["platform"].delete(_pause_key("app-1"))
    utc_evening = datetime(2026, 12, 7, 18, 0, tzinfo=ZoneInfo("UTC"))  # 01:00 on the 8th in Vietnam
    assert pause_until_midnight("app-1", now=utc_evening)
    assert paused_until("app-1") == "2026-12-09T00:00:00+07:00"
    caches["platform"].delete(_pause_key("app-1"))
