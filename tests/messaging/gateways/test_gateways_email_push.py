"""The e-mail and Web Push gateways against real local servers: aiosmtpd for SMTP, and an RFC 8030 push
service that checks VAPID and decrypts the payload like a browser."""

import json
import time

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from accounts.models import ContactPoint
from accounts.push import receipt_token
from messaging.delivery_keys import delivery_key
from messaging.gateways.base import OutgoingMessage
from messaging.gateways.email import EmailGateway, enhanced_status
from messaging.gateways.registry import get_gateway
from messaging.gateways.webpush import SubscriptionGone, WebPushGateway, topic
from messaging.models import Delivery
from messaging.outbox.services import messages_resend, messages_send
from messaging.pipeline.services import deliveries_send
from schoolbook.outbound import NonPublicAddress, origin, public_only_session
from tests.fakes.push import FakePushService, new_vapid_keys
from tests.fakes.smtp import FakeSmtp

FROM = "Trường THCS Thử Nghiệm A <no-reply@truong-a.edu.vn>"


def _mail(key, recipient="phuhuynh@example.vn", body="Thứ Hai học sinh nghỉ học.\nTrân trọng.", title=""):
    return OutgoingMessage(key, recipient, body, title=title)


@pytest.fixture
def smtp():
    with FakeSmtp() as server, override_settings(**server.settings(DEFAULT_FROM_EMAIL=FROM, EMAIL_TIMEOUT=1)):
        yield server


def test_registry_builds_both_gateways():
    assert isinstance(get_gateway("email"), EmailGateway) and get_gateway("email").channel == "email"
    assert isinstance(get_gateway("webpush"), WebPushGateway) and get_gateway("webpush").channel == "push"


# --- e-mail -----------------------------------------------------------------------------------------------


def test_email_batch_goes_over_one_connection_with_subject_sender_and_key(smtp):
    batch = [
        _mail("d-1", title="Lịch thi học kì I"),
        _mail("d-2", recipient="me.lan@example.vn"),
        _mail("d-3", recipient="bo.nam@example.vn", body="\n  Họp phụ huynh lúc 8 giờ  \nPhòng 201"),
    ]
    results = EmailGateway().send(batch)

    assert [r.idempotency_key for r in results] == ["d-1", "d-2", "d-3"]
    assert [r.error for r in results] == [None, None, None]
    assert results[0].provider_message_id == "<schoolbook.d-1@truong-a.edu.vn>"
    assert [smtp.count(k) for k in ("d-1", "d-2", "d-3")] == [1, 1, 1]
    assert {r.session for r in smtp.received} == {1}, "the batch reuses one SMTP connection"
    first, second, third = (r.message for r in smtp.received)
    assert first["Subject"] == "Lịch thi học kì I"
    assert second["Subject"] == "Thứ Hai học sinh nghỉ học."  # no title: the body's first line
    assert third["Subject"] == "Họp phụ huynh lúc 8 giờ"
    assert first["From"] == FROM and first["To"] == "phuhuynh@example.vn"
    assert first["Message-ID"] == "<schoolbook.d-1@truong-a.edu.vn>"
    assert first.get_content_type() == "text/plain"
    assert first.get_content().strip() == "Thứ Hai học sinh nghỉ học.\nTrân trọng."
    assert smtp.received[1].rcpt_tos == ["me.lan@example.vn"]
    assert smtp.received[0].mail_from == "no-reply@truong-a.edu.vn"


def test_email_refused_recipient_is_permanent_and_the_rest_still_go(smtp):
    smtp.rcpt_replies["khong.co@example.vn"] = "550 5.1.1 <khong.co@example.vn>: mailbox unavailable"
    results = EmailGateway().send([_mail("a"), _mail("b", recipient="khong.co@example.vn"), _mail("c")])

    assert results[0].error is None and results[2].error is None
    assert results[1].error.permanent and results[1].error.recipient  # the mailbox, not our account
    assert "550" in str(results[1].error) and "mailbox unavailable" in str(results[1].error)
    assert results[1].provider_message_id == ""
    assert (smtp.count("a"), smtp.count("b"), smtp.count("c")) == (1, 0, 1)
    assert {r.session for r in smtp.received} == {1}, "a refused recipient does not cost the connection"


def test_email_invalid_address_is_permanent_without_asking_the_server(smtp):
    results = EmailGateway().send(
        [_mail("x", recipient="không phải email"), _mail("y", recipient="a@b\nBcc: c@d")]
    )

    assert all(r.error.permanent and "invalid e-mail address" in str(r.error) for r in results)
    assert smtp.received == []


def test_email_451_on_recipient_is_transient_and_the_next_message_reconnects(smtp):
    smtp.rcpt_replies["day@example.vn"] = "451 4.3.0 Mailbox busy, try again later"
    results = EmailGateway().send([_mail("a", recipient="day@example.vn"), _mail("b")])

    assert results[0].error is not None and not results[0].error.permanent
    assert "451" in str(results[0].error)
    assert results[1].error is None and smtp.count("b") == 1


def test_email_451_on_data_is_transient(smtp):
    smtp.data_reply = "451 4.7.1 Greylisted, please retry"
    [result] = EmailGateway().send([_mail("g")])

    assert not result.error.permanent and "Greylisted" in str(result.error)
    assert smtp.count("g") == 0


def test_email_554_on_data_is_permanent(smtp):
    smtp.data_reply = "554 5.7.1 Message rejected as spam"
    [result] = EmailGateway().send([_mail("s")])

    assert result.error.permanent and "554" in str(result.error)


def test_email_server_that_hangs_times_out_transiently(smtp):
    smtp.delay = 3  # EMAIL_TIMEOUT is 1 s in these tests
    started = time.monotonic()
    results = EmailGateway().send([_mail("t1"), _mail("t2")])
    elapsed = time.monotonic() - started

    assert all(r.error is not None and not r.error.permanent for r in results)
    assert "timed out" in str(results[0].error)
    assert elapsed < 4, f"each message waits at most the timeout once, took {elapsed:.1f}s"


def test_email_server_down_fails_the_whole_batch_transiently_at_once():
    with FakeSmtp() as server:
        port = server.port
    with override_settings(**server.settings(EMAIL_PORT=port, EMAIL_TIMEOUT=1)):  # nothing listens there now
        results = EmailGateway().send([_mail("a"), _mail("b"), _mail("c")])

    assert [r.idempotency_key for r in results] == ["a", "b", "c"]
    assert all(not r.error.permanent and "ConnectionRefusedError" in str(r.error) for r in results)


def test_email_login_and_its_failure():
    with FakeSmtp(users={"truong-a": "dung-mat-khau"}) as server:
        with override_settings(
            **server.settings(EMAIL_HOST_USER="truong-a", EMAIL_HOST_PASSWORD="dung-mat-khau")
        ):
            [sent] = EmailGateway().send([_mail("ok")])
        with override_settings(
            **server.settings(EMAIL_HOST_USER="truong-a", EMAIL_HOST_PASSWORD="sai-mat-khau")
        ):
            refused = EmailGateway().send([_mail("a"), _mail("b")])

    assert sent.error is None and server.count("ok") == 1
    assert all(r.error.permanent and "535" in str(r.error) for r in refused), (
        "a wrong password needs a person"
    )
    assert server.count("a") == server.count("b") == 0


def test_email_login_to_a_server_without_auth_is_permanent(smtp):
    with override_settings(EMAIL_HOST_USER="truong-a", EMAIL_HOST_PASSWORD="mat-khau"):
        results = EmailGateway().send([_mail("a")])

    assert results[0].error.permanent and "AUTH" in str(results[0].error)
    assert smtp.received == []


# Whose fault a refusal is: RFC 3463's enhanced code, not the reply's first digit.
@pytest.mark.parametrize(
    ("reply", "permanent", "recipient"),
    [
        ("550 5.1.1 <x@example.vn>: Recipient address rejected: User unknown", True, True),
        ("553 5.1.3 Bad destination mailbox address syntax", True, True),
        ("556 5.1.10 Recipient address has null MX", True, True),
        ("550 5.7.1 <x@example.vn>: Relay access denied", True, False),  # our relay refuses us
        ("554 5.7.26 Unauthenticated email is not accepted from this domain", True, False),
        ("552 5.2.2 Mailbox full", True, False),  # the mailbox's state, not a wrong address
        ("550 5.1.7 Bad sender's mailbox address syntax", True, False),  # about OUR address
        ("550 Requested action not taken: mailbox unavailable", True, False),  # no enhanced code: no blame
        ("451 4.7.1 Greylisted, try again in 5 minutes", False, False),
        ("450 4.1.1 Recipient verification in progress", False, False),  # 4.x.x: transient, whatever subject
    ],
)
def test_email_only_a_final_x_1_x_code_blames_the_address(smtp, reply, permanent, recipient):
    smtp.rcpt_replies["me.lan@example.vn"] = reply
    [result] = EmailGateway().send([_mail("r", recipient="me.lan@example.vn")])

    assert (result.error.permanent, result.error.recipient) == (permanent, recipient)
    assert reply.split(" ", 1)[1] in str(result.error)  # the server's words are kept for support


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5.1.1 User unknown", (5, 1, 1)),
        ("4.7.1 Greylisted", (4, 7, 1)),
        ("5.1.10 null MX", (5, 1, 10)),
        ("  5.7.1 Relaying denied", (5, 7, 1)),
        ("User unknown 5.1.1", None),  # it must begin the text
        ("5.1 User unknown", None),
        ("3.1.1 not a class", None),
        ("5.1.1.2 version-like", None),
        ("", None),
    ],
)
def test_enhanced_status_is_read_from_the_start_of_the_reply(text, expected):
    assert enhanced_status(text) == expected


def test_email_5_7_1_on_data_is_permanent_and_not_the_recipients(smtp):
    smtp.data_reply = "550 5.7.1 Message rejected by policy"
    [result] = EmailGateway().send([_mail("p")])

    assert result.error.permanent and not result.error.recipient


def test_a_relay_refusing_us_marks_no_parents_address_bad_and_a_wrong_mailbox_is_marked(smtp, world):
    """The pipeline in school A, e-mail only: the relay refuses every recipient with 550 5.7.1; nobody's
    address is marked. Then it accepts again, and one mailbox does not exist (550 5.1.1): only it is."""
    parents = ["me.lan@example.vn", "bo.nam@example.vn", "ba.hoa@example.vn"]
    with schema_context(world.school_a.schema_name):
        smtp.refuse_relay()
        messages = messages_send(
            purpose="notice", items=[(p, "Họp phụ huynh") for p in parents], channels=["email"]
        )
        ids = list(Delivery.objects.filter(message__in=messages).values_list("pk", flat=True))
        assert deliveries_send(ids).retry_ids == []  # permanent: not retried six times either
        assert set(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"failed"}
        assert "5.7.1" in Delivery.objects.get(pk=ids[0]).error
        assert not ContactPoint.objects.filter(channel="email", address__in=parents).exists()
        assert smtp.received == []

        smtp.rcpt_reply = None
        smtp.rcpt_replies["bo.nam@example.vn"] = "550 5.1.1 <bo.nam@example.vn>: User unknown"
        assert messages_resend([m.pk for m in messages]) == 3
        retried = Delivery.objects.filter(message__in=messages, status="queued").values_list("pk", flat=True)
        assert deliveries_send(list(retried)).retry_ids == []
        bad = ContactPoint.objects.filter(channel="email", is_bad=True).values_list("address", flat=True)
        assert list(bad) == ["bo.nam@example.vn"]
    assert smtp.count(delivery_key(max(retried), world.school_a.schema_name)) == 1


# --- Web Push ---------------------------------------------------------------------------------------------


@pytest.fixture
def vapid():
    return new_vapid_keys()


@pytest.fixture
def push(vapid):
    options = {**vapid, "vapid_subject": "mailto:admin@truong-a.edu.vn", "ttl": 86400, "timeout": 1}
    with FakePushService() as service, override_settings(GATEWAYS={"webpush": options}):
        yield service


def _push(key, subscription, title="Điểm mới", body="Đã có điểm giữa kì môn Toán.", link="/s/test-a/diem/"):
    return OutgoingMessage(key, json.dumps(subscription), body, title=title, link=link)


def test_push_batch_is_encrypted_signed_and_carries_ttl_topic_tag_and_receipt(push, vapid):
    subscriptions = [push.subscribe(application_server_key=vapid["vapid_public_key"]) for _ in range(3)]
    results = WebPushGateway().send([_push(f"p-{i}", s) for i, s in enumerate(subscriptions)])

    assert [r.error for r in results] == [None, None, None]
    assert all(r.provider_message_id.startswith(f"{push.url}/message/") for r in results)
    assert [push.count(f"p-{i}") for i in range(3)] == [1, 1, 1]
    first = push.received[0]
    assert first.payload == {
        "title": "Điểm mới", "body": "Đã có điểm giữa kì môn Toán.", "url": "/s/test-a/diem/", "tag": "p-0",
        "receipt": receipt_token("p-0"),  # sent back: tests/accounts/test_push_subscriptions.py
    }  # fmt: skip
    assert WebPushGateway.reports_delivery
    assert first.headers["ttl"] == "86400"
    assert first.headers["content-encoding"] == "aes128gcm"
    assert first.headers["topic"] == topic("p-0") and len(topic("p-0")) <= 32
    assert first.vapid_key == vapid["vapid_public_key"]
    assert (
        first.vapid_claims["aud"] == push.url and first.vapid_claims["sub"] == "mailto:admin@truong-a.edu.vn"
    )
    assert first.vapid_claims["exp"] > time.time()


def test_push_claims_are_fresh_for_each_push_service(push, vapid):
    # pywebpush writes "aud" into the claims it is given: a shared dict would sign the second service's
    # request for the first one's origin.
    with FakePushService() as other:
        results = WebPushGateway().send([_push("a", push.subscribe()), _push("b", other.subscribe())])

        assert [r.error for r in results] == [None, None]
        assert other.received[0].vapid_claims["aud"] == other.url != push.url


def test_push_long_body_is_shortened_to_fit_the_payload_limit(push):
    # "ữ" is 3 bytes in UTF-8: the worst case for Vietnamese text; the fake refuses more than 4096 octets.
    long_notice = "Thông báo rất dài. " + "ữ" * 3000
    [result] = WebPushGateway().send(
        [_push("long", push.subscribe(), title="Lịch nghỉ Tết " * 5, body=long_notice)]
    )

    assert result.error is None
    body = push.received[0].payload["body"]
    assert len(body) == 1000 and body.endswith("…") and body.startswith("Thông báo rất dài.")


@pytest.mark.parametrize("status", [404, 410])
def test_push_gone_subscription_is_permanent_and_marked(push, status):
    gone, alive = push.subscribe(), push.subscribe()
    push.replies[push.subscription_id(gone)] = status
    results = WebPushGateway().send([_push("g", gone), _push("a", alive)])

    assert isinstance(results[0].error, SubscriptionGone) and results[0].error.permanent
    assert results[0].error.recipient  # the pipeline forgets that subscription
    assert f"subscription gone: {status}" in str(results[0].error)
    assert results[1].error is None and push.count("a") == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_push_busy_service_is_transient(push, status):
    subscription = push.subscribe()
    push.replies[push.subscription_id(subscription)] = status
    push.retry_after = "120"
    [result] = WebPushGateway().send([_push("b", subscription)])

    assert not result.error.permanent and not isinstance(result.error, SubscriptionGone)
    assert str(status) in str(result.error) and "Retry-After 120" in str(result.error)
    assert push.count("b") == 0 and len(push.received) == 1


def test_push_signed_with_another_vapid_key_is_refused_permanently(push, vapid):
    # The browser subscribed with our public key; keys rotated in settings without resubscribing → 403.
    subscription = push.subscribe(application_server_key=vapid["vapid_public_key"])
    rotated = {**new_vapid_keys(), "vapid_subject": "mailto:admin@truong-a.edu.vn", "ttl": 60}
    with override_settings(GATEWAYS={"webpush": rotated}):
        [refused] = WebPushGateway().send([_push("v", subscription)])
    [accepted] = WebPushGateway().send([_push("w", subscription)])

    assert refused.error.permanent and "403" in str(refused.error)
    assert accepted.error is None and push.count("w") == 1


def test_push_service_that_hangs_times_out_transiently(push):
    push.delay = 3  # the gateway's timeout is 1 s here
    started = time.monotonic()
    [result] = WebPushGateway().send([_push("t", push.subscribe())])

    assert not result.error.permanent and "ReadTimeout" in str(result.error)
    assert time.monotonic() - started < 2.5


def test_push_service_down_is_transient(push):
    with FakePushService() as gone_service:
        subscription = gone_service.subscribe()
    with override_settings(PUSH_TEST_ORIGINS=[origin(subscription["endpoint"])]):  # still "a push service"
        [result] = WebPushGateway().send([_push("d", subscription)])

    assert not result.error.permanent and "ConnectionError" in str(result.error)


@pytest.mark.parametrize(
    "recipient",
    [
        "not json",
        json.dumps({"keys": {"p256dh": "x", "auth": "y"}}),
        json.dumps({"endpoint": "http://127.0.0.1:9/push/x"}),
        json.dumps({"endpoint": "http://127.0.0.1:9/push/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}),
    ],
)
def test_push_broken_subscription_is_permanent_without_a_request(push, recipient):
    [result] = WebPushGateway().send([OutgoingMessage("k", recipient, "Nội dung")])

    assert result.error.permanent and "invalid push subscription" in str(result.error)
    assert push.received == []


def test_push_without_vapid_key_is_permanent_for_the_whole_batch(push):
    subscription = push.subscribe()
    with override_settings(GATEWAYS={"webpush": {"vapid_private_key": "", "vapid_subject": "", "ttl": 60}}):
        results = WebPushGateway().send([_push("a", subscription), _push("b", subscription)])

    assert [r.idempotency_key for r in results] == ["a", "b"]
    assert all(r.error.permanent and "not configured" in str(r.error) for r in results)
    assert push.received == []


# --- SSRF: only the browsers' push services, only at public addresses -------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.1/push/x",
        "https://0177.0.0.1/push/x",
        "https://localhost./push/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://internal.truong-a.edu.vn/push/x",
    ],
)
def test_push_to_a_stored_endpoint_off_the_host_list_is_never_requested(push, endpoint):
    # Stored before the list existed, or written by hand: the gateway checks again and marks it bad.
    subscription = {**push.subscribe(), "endpoint": endpoint}
    [result] = WebPushGateway().send([_push("s", subscription)])

    assert result.error.recipient and "not on a known push service" in str(result.error)
    assert push.received == []


def test_push_to_a_push_service_name_that_resolves_to_our_network_is_refused_on_connect(push, monkeypatch):
    # DNS rebinding: the name is on the list and looked fine, but resolves to 127.0.0.1 when we connect.
    # The socket is checked once connected, before TLS or any byte of the request.
    import socket

    port = int(push.url.rsplit(":", 1)[1])
    real_getaddrinfo = socket.getaddrinfo

    def rebound(host, *args, **kwargs):
        if host == "fcm.googleapis.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    subscription = {**push.subscribe(), "endpoint": "https://fcm.googleapis.com/fcm/send/x"}
    [result] = WebPushGateway().send([_push("r", subscription)])

    assert result.error.recipient and "not a public internet address" in str(result.error)
    assert "127.0.0.1" in str(result.error)
    assert push.received == []


@pytest.mark.parametrize("spelling", ["127.1", "0177.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_the_test_exemption_is_one_exact_origin_and_every_other_spelling_is_refused(push, spelling):
    port = push.url.rsplit(":", 1)[1]
    with public_only_session([origin(push.url)]) as session:
        with pytest.raises(NonPublicAddress):
            session.post(f"http://{spelling}:{port}/push/x", data=b"")
        assert session.post(f"{push.url}/push/unknown", data=b"").status_code == 404  # the fake itself
    with public_only_session() as session, pytest.raises(NonPublicAddress):
        session.post(f"{push.url}/push/x", data=b"")
    assert push.received == []
