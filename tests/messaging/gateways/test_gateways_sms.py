"""eSMS, SpeedSMS and the generic HTTP SMS gateway against local servers speaking each provider's protocol
(tests/fakes/sms_providers.py): what the provider receives, success, each error class, timeouts, batches,
exactly-once through retries, and eSMS delivery reports."""

import base64
import json
import socket

import pytest
from django.test import RequestFactory, override_settings

from messaging.gateways.base import OutgoingMessage, ReceiptRejected, ReceiptStatus
from messaging.gateways.esms import EsmsGateway, receipt_token
from messaging.gateways.http_sms import HttpSmsGateway, render_body
from messaging.gateways.registry import get_gateway
from messaging.gateways.speedsms import SpeedSmsGateway
from tests.fakes.sms_providers import FakeEsms, FakeHttpSms, FakeSpeedSms

PHONE, PHONE_2, PHONE_3 = "+84912345678", "+84987654321", "+84332223344"
TEXT = "Truong THCS A: hop phu huynh 8h thu Bay 12/4."
TEXT_VI = "Trường THCS A: họp phụ huynh 8 giờ thứ Bảy 12/4."


def msg(key: str, recipient: str = PHONE, body: str = TEXT) -> OutgoingMessage:
    return OutgoingMessage(idempotency_key=key, recipient=recipient, body=body)


def gateway_for(cls, name: str, options: dict):
    with override_settings(GATEWAYS={name: options}):
        return cls()


@pytest.fixture
def esms():
    with FakeEsms() as fake:
        yield fake


@pytest.fixture
def speedsms():
    with FakeSpeedSms() as fake:
        yield fake


@pytest.fixture
def http_sms():
    with FakeHttpSms() as fake:
        yield fake


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens any more: connection refused


def send_until_done(gateway, batch, rounds=30):
    """What the pipeline does: resend transient failures, keep the first final outcome of each message."""
    final, pending = {}, list(batch)
    for _ in range(rounds):
        if not pending:
            break
        results = gateway.send(pending)
        assert [r.idempotency_key for r in results] == [m.idempotency_key for m in pending]
        for message, result in zip(pending, results, strict=True):
            if result.error is None or result.error.permanent:
                final[message.idempotency_key] = result
        pending = [m for m in pending if m.idempotency_key not in final]
    assert not pending
    return final


def test_registry_builds_the_sms_gateways(esms, speedsms, http_sms):
    options = {"esms": esms.settings(), "speedsms": speedsms.settings(), "http_sms": http_sms.settings()}
    with override_settings(GATEWAYS=options):
        gateways = [get_gateway(name) for name in ("esms", "speedsms", "http_sms")]
    assert [type(g) for g in gateways] == [EsmsGateway, SpeedSmsGateway, HttpSmsGateway]
    assert {g.channel for g in gateways} == {"sms"}


# --- eSMS -------------------------------------------------------------------------------------------------


def test_esms_sends_what_the_api_expects(esms):
    gateway = gateway_for(EsmsGateway, "esms", esms.settings())
    [result] = gateway.send([msg("delivery-1")])

    assert result.error is None
    [request] = esms.requests
    assert (request.method, request.path) == ("POST", FakeEsms.PATH)
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "ApiKey": FakeEsms.API_KEY, "SecretKey": FakeEsms.SECRET_KEY, "Brandname": FakeEsms.BRANDNAME,
        "SmsType": "2", "Sandbox": "0", "Phone": "0912345678", "Content": TEXT, "IsUnicode": "0",
        "RequestId": "delivery-1",
        "CallbackUrl": f"https://truong.example/hooks/esms/public/{receipt_token('public')}/",
    }  # fmt: skip
    assert result.provider_message_id == esms.accepted["delivery-1"]["SMSID"] != ""
    assert esms.sent["delivery-1"] == 1


def test_esms_unicode_flag_and_sandbox(esms):
    gateway = gateway_for(EsmsGateway, "esms", esms.settings(sandbox=True, callback_url=""))
    results = gateway.send([msg("vi", body=TEXT_VI), msg("gsm", body="Diem Toan: 8,5 (e accent é is GSM-7)")])

    assert all(r.error is None for r in results)
    vi, gsm = (r.body for r in esms.requests)
    assert (vi["IsUnicode"], gsm["IsUnicode"]) == ("1", "0")
    assert vi["Sandbox"] == "1"
    assert vi["CallbackUrl"] == ""  # no callback configured: no receipts asked for
    assert vi["Content"] == TEXT_VI


def test_esms_batch_gives_one_result_per_message_in_order(esms):
    gateway = gateway_for(EsmsGateway, "esms", esms.settings())
    batch = [msg("k1", PHONE), msg("k2", "+14155550100"), msg("k3", PHONE_2), msg("k4", PHONE_3)]
    results = gateway.send(batch)

    assert [r.idempotency_key for r in results] == ["k1", "k2", "k3", "k4"]
    assert results[1].error.permanent and "108" in str(results[1].error)  # not a number eSMS can reach
    ok = [results[0], results[2], results[3]]
    assert all(r.error is None for r in ok)
    assert len({r.provider_message_id for r in ok}) == 3
    assert [r.body["Phone"] for r in esms.requests] == [
        "0912345678",
        "14155550100",
        "0987654321",
        "0332223344",
    ]
    assert dict(esms.sent) == {"k1": 1, "k3": 1, "k4": 1}


@pytest.mark.parametrize(
    ("overrides", "code", "reason"),
    [
        ({"secret_key": "wrong"}, "", "101: wrong eSMS ApiKey or SecretKey"),
        ({"brandname": "OTHER"}, "", "104: brandname not registered"),
        ({}, "103", "103: eSMS balance too low"),
        ({}, "146", "146: text does not match"),
        ({}, "140", "140: this server's IP address is not whitelisted"),
        ({}, "555", "555: forced 555"),  # an undocumented code: permanent, with eSMS's own message
    ],
)
def test_esms_permanent_errors(esms, overrides, code, reason):
    esms.code = code
    gateway = gateway_for(EsmsGateway, "esms", esms.settings(**overrides))
    [result] = gateway.send([msg("k")])

    assert result.error.permanent
    assert reason in str(result.error)
    assert result.provider_message_id == ""
    assert esms.total_sent == 0


def test_esms_transient_errors(esms):
    gateway = gateway_for(EsmsGateway, "esms", esms.settings())
    esms.fail_rate = 1.0
    [crashed] = gateway.send([msg("k")])
    esms.fail_rate, esms.status = 0.0, 503
    [unavailable] = gateway.send([msg("k")])

    for result in (crashed, unavailable):
        assert result.error is not None and not result.error.permanent
    assert "HTTP 500" in str(crashed.error)
    assert "HTTP 503" in str(unavailable.error)
    assert esms.total_sent == 0


def test_esms_connection_refused_is_transient(esms):
    gateway = gateway_for(EsmsGateway, "esms", esms.settings(url=closed_port_url()))
    [result] = gateway.send([msg("k")])
    assert not result.error.permanent
    assert "connection failed" in str(result.error)


def test_esms_timeout_then_retry_sends_once(esms):
    """The provider accepted the message but answered too late: the retry gets 124 and counts as sent."""
    gateway = gateway_for(EsmsGateway, "esms", esms.settings(timeout=0.3))
    esms.delay = 1.0
    [late] = gateway.send([msg("k")])
    assert not late.error.permanent
    assert "no answer within 0.3 s" in str(late.error)

    esms.delay = 0.0
    [retried] = gateway.send([msg("k")])
    assert retried.error is None
    assert esms.sent["k"] == 1  # one SMS reached the parent
    assert len(esms.requests) == 2


def test_esms_flaky_provider_everything_sent_exactly_once(esms):
    gateway = gateway_for(EsmsGateway, "esms", esms.settings(timeout=0.3))
    esms.fail_rate = 0.3
    batch = [msg(f"d{i}", f"+8491234{i:04d}") for i in range(40)]
    final = send_until_done(gateway, batch)

    assert all(r.error is None for r in final.values())
    assert dict(esms.sent) == {f"d{i}": 1 for i in range(40)}
    assert len(esms.requests) > 40  # some calls did fail and were retried


def _callback_request(url: str, params: dict, method: str = "get"):
    path = url.removeprefix("https://truong.example")
    return getattr(RequestFactory(), method)(path, params)


def test_esms_receipts(esms):
    gateway = gateway_for(EsmsGateway, "esms", esms.settings())
    [ok, lost] = gateway.send([msg("k1"), msg("k2", PHONE_2)])

    url, params = esms.callback("k1")
    [delivered] = gateway.parse_receipt(_callback_request(url, params))
    assert (delivered.status, delivered.idempotency_key) == (ReceiptStatus.DELIVERED, "k1")
    assert delivered.provider_message_id == ok.provider_message_id

    url, params = esms.callback("k2", delivered=False)
    [failed] = gateway.parse_receipt(_callback_request(url, params, "post"))  # a POST form is read too
    assert (failed.status, failed.idempotency_key) == (ReceiptStatus.FAILED, "k2")
    assert failed.provider_message_id == lost.provider_message_id
    assert failed.error

    assert gateway.parse_receipt(_callback_request(url, params | {"SendStatus": "7"})) == []  # at the carrier
    [rejected] = gateway.parse_receipt(_callback_request(url, params | {"SendStatus": "4"}))
    assert rejected.status == ReceiptStatus.FAILED


def test_esms_receipt_without_our_token_is_rejected(esms):
    gateway = gateway_for(EsmsGateway, "esms", esms.settings())
    gateway.send([msg("k1")])
    url, params = esms.callback("k1")
    assert url.endswith(f"/public/{receipt_token('public')}/")

    token = receipt_token("public")
    tampered = token[:-1] + ("1" if token.endswith("0") else "0")
    for path in (
        "/hooks/esms/",
        "/hooks/esms/not-the-token/",
        f"/hooks/esms/{tampered}/",
        f"/hooks/esms/public/{tampered}/",
        f"/hooks/esms/test-a/{token}/",  # public's token at a school's URL
        f"/{token}/x/",
    ):
        with pytest.raises(ReceiptRejected):
            gateway.parse_receipt(RequestFactory().get(path, params))
    with override_settings(SECRET_KEY="another-deployment-" + "y" * 40), pytest.raises(ReceiptRejected):
        gateway.parse_receipt(_callback_request(url, params))  # the token is bound to SECRET_KEY


# --- SpeedSMS ---------------------------------------------------------------------------------------------


def test_speedsms_sends_what_the_api_expects(speedsms):
    gateway = gateway_for(SpeedSmsGateway, "speedsms", speedsms.settings())
    [result] = gateway.send([msg("k", body=TEXT_VI)])

    assert result.error is None
    [request] = speedsms.requests
    assert (request.method, request.path) == ("POST", FakeSpeedSms.PATH)
    user, password = (
        base64.b64decode(request.headers["authorization"].removeprefix("Basic ")).decode().split(":")
    )
    assert (user, password) == (FakeSpeedSms.TOKEN, "x")
    assert request.body == {"to": ["84912345678"], "content": TEXT_VI, "sms_type": 3, "sender": "TRUONG-A"}
    assert result.provider_message_id == "1000:84912345678"
    assert speedsms.sent[("84912345678", TEXT_VI)] == 1


def test_speedsms_batches_same_text_and_maps_results_per_message(speedsms):
    gateway = gateway_for(SpeedSmsGateway, "speedsms", speedsms.settings())
    batch = [
        msg("a1", PHONE), msg("b1", PHONE, body="Other text"), msg("a2", PHONE_2),
        msg("a3", PHONE),  # the same number twice with the same text: a request of its own
        msg("a4", PHONE_3),
    ]  # fmt: skip
    results = gateway.send(batch)

    assert [r.idempotency_key for r in results] == ["a1", "b1", "a2", "a3", "a4"]
    assert all(r.error is None for r in results)
    assert [r.body["to"] for r in speedsms.requests] == [
        ["84912345678", "84987654321", "84332223344"], ["84912345678"], ["84912345678"],
    ]  # fmt: skip
    assert [r.provider_message_id for r in results] == [
        "1000:84912345678", "1002:84912345678", "1000:84987654321", "1001:84912345678", "1000:84332223344",
    ]  # fmt: skip
    assert speedsms.sent[("84912345678", TEXT)] == 2


def test_speedsms_at_most_100_numbers_per_request(speedsms):
    gateway = gateway_for(SpeedSmsGateway, "speedsms", speedsms.settings())
    results = gateway.send([msg(f"k{i}", f"+8491200{i:04d}") for i in range(150)])

    assert all(r.error is None for r in results)
    assert [len(r.body["to"]) for r in speedsms.requests] == [100, 50]
    assert speedsms.total_sent == 150


def test_speedsms_invalid_numbers_fail_alone(speedsms):
    gateway = gateway_for(SpeedSmsGateway, "speedsms", speedsms.settings())
    speedsms.invalid_phones = {"84987654321"}
    results = gateway.send([msg("k1", PHONE), msg("k2", PHONE_2), msg("k3", PHONE_3)])

    assert [r.error is None for r in results] == [True, False, True]
    assert results[1].error.permanent and "invalid phone number" in str(results[1].error)

    [alone] = gateway.send([msg("k4", PHONE_2)])  # every number invalid: SpeedSMS answers error 105
    assert alone.error.permanent and "105" in str(alone.error)
    assert speedsms.total_sent == 2


@pytest.mark.parametrize(
    ("code", "permanent", "reason"),
    [
        ("300", True, "300: SpeedSMS balance too low"),
        ("007", True, "007: this server's IP address is locked"),
        ("008", True, "008: SpeedSMS account blocked"),
        ("101", True, "101: invalid or missing parameters"),
        ("113", True, "113: text too long"),
        ("500", False, "500: forced 500"),
    ],
)
def test_speedsms_error_codes_apply_to_the_whole_request(speedsms, code, permanent, reason):
    gateway = gateway_for(SpeedSmsGateway, "speedsms", speedsms.settings())
    speedsms.code = code
    results = gateway.send([msg("k1", PHONE), msg("k2", PHONE_2)])

    assert [r.error.permanent for r in results] == [permanent, permanent]
    assert all(reason in str(r.error) for r in results)
    assert len(speedsms.requests) == 1


def test_speedsms_http_failures(speedsms):
    gateway = gateway_for(SpeedSmsGateway, "speedsms", speedsms.settings(token="revoked"))
    [unauthorised] = gateway.send([msg("k")])
    assert unauthorised.error.permanent and "HTTP 401" in str(unauthorised.error)

    gateway = gateway_for(SpeedSmsGateway, "speedsms", speedsms.settings(timeout=0.3))
    speedsms.delay = 1.0
    [late] = gateway.send([msg("k")])
    speedsms.delay, speedsms.status = 0.0, 429  # more than 60 requests a minute, no reset header
    [limited] = gateway.send([msg("k")])
    speedsms.status = 0
    made = len(speedsms.requests)
    [waiting] = gateway.send([msg("k")])  # the account waits out the minute: no request

    assert not late.error.permanent and "no answer" in str(late.error)
    assert not limited.error.permanent and "HTTP 429" in str(limited.error)
    assert limited.error.retry_after == 60  # a minute, when SpeedSMS does not say
    assert waiting.error.retry_after > 50 and len(speedsms.requests) == made


# --- generic HTTP gateway ---------------------------------------------------------------------------------


def test_render_body_escapes_values_for_json():
    text = 'Lớp 6A "chăm ngoan"\nback\\slash {id} {phone}'
    rendered = render_body('{"to": "{phone}", "text": "{text}", "ref": "{id}"}', PHONE, text, "k-1")
    assert json.loads(rendered) == {"to": PHONE, "text": text, "ref": "k-1"}  # placeholders in text stay


def test_http_sms_sends_the_configured_request(http_sms):
    gateway = gateway_for(HttpSmsGateway, "http_sms", http_sms.settings())
    text = 'Thông báo: "nghỉ học" ngày 30/4\nBGH'
    results = gateway.send([msg("k1", body=text), msg("k2", PHONE_2)])

    assert [r.error for r in results] == [None, None]
    assert [r.provider_message_id for r in results] == ["msg-1", "msg-2"]
    first = http_sms.requests[0]
    assert first.headers["authorization"] == f"Bearer {FakeHttpSms.TOKEN}"
    assert first.body == {"to": PHONE, "text": text, "id": "k1"}
    assert dict(http_sms.sent) == {"k1": 1, "k2": 1}


def test_http_sms_missing_id_field_still_counts_as_sent(http_sms):
    gateway = gateway_for(HttpSmsGateway, "http_sms", http_sms.settings(id_field="data.sid"))
    [result] = gateway.send([msg("k")])
    assert (result.error, result.provider_message_id) == (None, "")


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        (400, True),
        (403, True),
        (404, True),
        (422, True),
        (408, False),
        (429, False),
        (500, False),
        (503, False),
    ],
)
def test_http_sms_status_classes(http_sms, status, permanent):
    gateway = gateway_for(HttpSmsGateway, "http_sms", http_sms.settings())
    http_sms.status = status
    [result] = gateway.send([msg("k")])
    assert result.error.permanent is permanent
    assert f"HTTP {status}" in str(result.error)


def test_http_sms_configuration_errors_are_permanent(http_sms):
    wrong_auth = gateway_for(HttpSmsGateway, "http_sms", http_sms.settings(headers="{}"))
    not_listed = gateway_for(HttpSmsGateway, "http_sms", http_sms.settings(success_status="200"))
    bad_template = gateway_for(HttpSmsGateway, "http_sms", http_sms.settings(body='{"to": {phone}}'))

    [unauthorised] = wrong_auth.send([msg("k")])
    [unexpected] = not_listed.send([msg("k")])
    [broken] = bad_template.send([msg("k")])

    assert unauthorised.error.permanent and "HTTP 401" in str(unauthorised.error)
    assert unexpected.error.permanent and "201 is not a success status" in str(unexpected.error)
    assert broken.error.permanent and "not valid JSON" in str(broken.error)
    assert http_sms.total_sent == 1  # only the unexpected-status one reached the provider


def test_http_sms_timeout_and_refused_are_transient(http_sms):
    gateway = gateway_for(HttpSmsGateway, "http_sms", http_sms.settings(timeout=0.3))
    http_sms.delay = 1.0
    [late] = gateway.send([msg("k")])
    refused = gateway_for(HttpSmsGateway, "http_sms", http_sms.settings(url=closed_port_url()))
    [down] = refused.send([msg("k")])

    assert not late.error.permanent and "no answer within 0.3 s" in str(late.error)
    assert not down.error.permanent and "connection failed" in str(down.error)


def test_only_a_wrong_number_is_the_recipients_fault(esms):
    """A permanent error marks the contact point only when the number itself is at fault (108 wrong, 99
    blocked); an account fault such as a low balance (103) is permanent but must not flag a parent's valid
    number."""
    for code, recipients_fault in (("108", True), ("99", True), ("103", False), ("104", False)):
        esms.code = code
        with override_settings(GATEWAYS={"esms": esms.settings()}):
            (result,) = EsmsGateway().send([OutgoingMessage(f"k-{code}", "+84912345678", "Chào")])
        assert result.error.permanent and result.error.recipient is recipients_fault, code
