"""The FCM HTTP v1 gateway against a local FCM and Google token endpoint (tests/fakes/fcm.py) that verify the
service account's RS256 assertion, the bearer token and the message, and play the devices; then the pipeline
with app tokens as a user's push contact points (a gone token is forgotten, e-mail takes over)."""

import time
from datetime import timedelta
from email.utils import formatdate

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import ContactPoint
from messaging.delivery_keys import delivery_key
from messaging.gateways.base import OutgoingMessage
from messaging.gateways.fcm import SCOPE, FcmGateway
from messaging.gateways.registry import gateway_configured, get_gateway
from messaging.gateways.webpush import topic
from messaging.models import Delivery, MessagingSettings
from messaging.outbox.selectors import Recipient
from messaging.outbox.services import messages_send
from messaging.pipeline.services import deliveries_send, deliveries_sweep
from tests.fakes.fcm import FakeFcm
from tests.fakes.smtp import FakeSmtp


@pytest.fixture
def fcm(tmp_path):
    with FakeFcm() as server, override_settings(GATEWAYS={"fcm": server.settings(tmp_path)}):
        yield server


def _push(key, token, title="Điểm mới", body="Đã có điểm giữa kì môn Toán.", link="/s/test-a/diem/"):
    return OutgoingMessage(key, token, body, title=title, link=link)


def _send(*messages):
    return FcmGateway().send(list(messages))


def test_registry_builds_the_fcm_gateway(fcm):
    gateway = get_gateway("fcm")
    assert isinstance(gateway, FcmGateway) and gateway.channel == "push"
    assert not gateway.reports_delivery  # FCM's answer is as far as we will ever know
    assert gateway_configured("fcm")


def test_send_signs_in_with_the_service_account_and_sends_the_notification(fcm):
    token = fcm.device_token()
    before = int(time.time())
    [result] = _send(_push("school_test_a-7", token))

    assert result.error is None
    assert result.provider_message_id.startswith(f"projects/{FakeFcm.PROJECT_ID}/messages/0:")
    [claims] = fcm.token_requests  # the assertion verified with the account's public key
    assert claims["iss"] == fcm.client_email and claims["scope"] == SCOPE
    assert claims["aud"] == f"{fcm.url}/token"
    assert before <= claims["iat"] <= time.time() and claims["exp"] - claims["iat"] == 3600
    [body] = fcm.received
    assert body == {
        "message": {
            "token": token,
            "notification": {"body": "Đã có điểm giữa kì môn Toán.", "title": "Điểm mới"},
            "data": {"key": "school_test_a-7", "link": "/s/test-a/diem/"},
            "android": {"priority": "high", "notification": {"tag": "school_test_a-7"}},
            "apns": {"headers": {"apns-collapse-id": "school_test_a-7"}},
            "webpush": {"notification": {"tag": "school_test_a-7"}},
        }
    }
    assert "collapse_key" not in body["message"]["android"]  # four per offline device: notices would be lost
    assert fcm.sent["school_test_a-7"] == 1
    assert fcm.drawer[token]["school_test_a-7"]["title"] == "Điểm mới"


def test_without_title_or_link_the_notification_has_the_body_and_data_stays_strings(fcm):
    token = fcm.device_token()
    [result] = _send(OutgoingMessage("k", token, "Nghỉ học thứ Hai."))

    assert result.error is None
    message = fcm.received[0]["message"]
    assert message["notification"] == {"body": "Nghỉ học thứ Hai."}
    assert message["data"] == {"key": "k", "link": ""}


def test_access_token_is_cached_across_batches(fcm):
    token = fcm.device_token()
    first = _send(_push("a-1", token), _push("a-2", token))
    second = FcmGateway().send([_push("a-3", token)])  # a new gateway object, as each task builds one

    assert [r.error for r in first + second] == [None, None, None]
    assert len(fcm.token_requests) == 1, "one token for both batches"
    assert [fcm.sent[k] for k in ("a-1", "a-2", "a-3")] == [1, 1, 1]


def test_a_token_close_to_expiry_is_replaced_before_the_batch(fcm):
    fcm.token_lifetime = 200  # less than REFRESH_MARGIN: it could expire in the middle of a batch
    token = fcm.device_token()
    _send(_push("b-1", token))
    [result] = _send(_push("b-2", token))

    assert result.error is None and fcm.sent["b-2"] == 1
    assert len(fcm.token_requests) == 2, "a new token before the batch, not a 401 in the middle of it"
    assert len(fcm.received) == 2


def test_expired_token_is_refreshed_once_and_the_message_sent(fcm):
    token = fcm.device_token()
    _send(_push("c-1", token))
    fcm.expire_tokens()  # revoked or cut short while still in our cache
    results = _send(_push("c-2", token), _push("c-3", token))

    assert [r.error for r in results] == [None, None]
    assert len(fcm.token_requests) == 2, "one refresh serves the rest of the batch"
    assert len(fcm.received) == 4  # c-1, c-2 refused with 401, c-2 again, c-3
    assert [fcm.sent[k] for k in ("c-1", "c-2", "c-3")] == [1, 1, 1]


def test_a_fresh_token_refused_too_is_permanent_and_not_the_recipients_fault(fcm):
    token = fcm.device_token()
    fcm.unauthorized = 2  # the cached token and the fresh one
    results = _send(_push("d-1", token), _push("d-2", token))

    assert results[0].error.permanent and not results[0].error.recipient
    assert "401 UNAUTHENTICATED" in str(results[0].error) and "service account" in str(results[0].error)
    assert results[1].error is None and fcm.sent["d-2"] == 1
    assert len(fcm.token_requests) == 2, "refreshed once, not once per message"


def test_third_party_auth_error_is_permanent_without_a_refresh(fcm):
    fcm.error = "THIRD_PARTY_AUTH_ERROR"  # Apple refused the app's APNs key
    [result] = _send(_push("e", fcm.device_token()))

    assert result.error.permanent and not result.error.recipient
    assert "THIRD_PARTY_AUTH_ERROR" in str(result.error) and "APNs" in str(result.error)
    assert len(fcm.token_requests) == 1 and len(fcm.received) == 1


def test_unregistered_token_is_the_recipients_fault(fcm):
    token = fcm.device_token()
    fcm.unregister(token)  # the app was uninstalled
    [result] = _send(_push("f", token))

    assert result.error.permanent and result.error.recipient  # the pipeline forgets this token
    assert "404 UNREGISTERED" in str(result.error)
    assert fcm.sent["f"] == 0


def test_invalid_registration_token_is_the_recipients_fault(fcm):
    [result] = _send(_push("g", "not-a-token-fcm-ever-issued"))

    assert result.error.permanent and result.error.recipient
    assert "400 INVALID_ARGUMENT" in str(result.error) and "registration token" in str(result.error)


def test_a_message_fcm_refuses_for_its_content_is_permanent_but_not_the_recipients_fault(fcm):
    token = fcm.device_token()
    [result] = _send(_push("h", token, link="/s/test-a/" + "x" * 5000))  # over FCM's 4096 bytes

    assert result.error.permanent and not result.error.recipient, "a good token must not be forgotten"
    assert "Message is too big" in str(result.error)


def test_long_body_and_title_are_cut_to_fit_fcms_limit(fcm):
    token = fcm.device_token()
    # "ữ" is 3 bytes in UTF-8, the worst case for Vietnamese text.
    [result] = _send(_push("i", token, title="Lịch nghỉ Tết " * 20, body="Thông báo dài. " + "ữ" * 3000))

    assert result.error is None, result.error
    notification = fcm.drawer[token]["i"]
    assert len(notification["body"]) == 1000 and notification["body"].endswith("…")
    assert len(notification["title"]) == 100 and notification["title"].startswith("Lịch nghỉ Tết")


def test_sender_id_mismatch_is_an_account_fault(fcm):
    # Every token mismatches when the project is wrong: forgetting them all would cut every parent off.
    fcm.error = "SENDER_ID_MISMATCH"
    [result] = _send(_push("j", fcm.device_token()))

    assert result.error.permanent and not result.error.recipient
    assert "403 SENDER_ID_MISMATCH" in str(result.error)


def test_wrong_project_is_permission_denied_and_an_account_fault(fcm, tmp_path):
    with override_settings(GATEWAYS={"fcm": fcm.settings(tmp_path, project_id="du-an-khac")}):
        [result] = _send(_push("k", fcm.device_token()))

    assert result.error.permanent and not result.error.recipient
    assert "403 PERMISSION_DENIED" in str(result.error) and "du-an-khac" in str(result.error)


@pytest.mark.parametrize(
    ("code", "status"), [("QUOTA_EXCEEDED", 429), ("UNAVAILABLE", 503), ("INTERNAL", 500)]
)
def test_busy_fcm_is_transient(fcm, code, status):
    fcm.error = code
    [result] = _send(_push("l", fcm.device_token()))

    assert not result.error.permanent and not result.error.recipient
    assert f"FCM {status} {code}" in str(result.error)


@pytest.mark.parametrize(
    ("code", "header", "wait"),
    [
        ("QUOTA_EXCEEDED", "", 60),  # FCM: "a minimum initial delay of 1 minute"
        ("QUOTA_EXCEEDED", "120", 120),  # Retry-After longer than a minute wins
        ("QUOTA_EXCEEDED", "5", 60),  # ... and a shorter one does not shorten the minute
        ("UNAVAILABLE", "", 60),
        ("UNAVAILABLE", "90", 90),
    ],
)
def test_quota_and_unavailable_ask_for_at_least_a_minute_or_retry_after(fcm, code, header, wait):
    fcm.error, fcm.retry_after = code, header
    [result] = _send(_push("q", fcm.device_token()))

    assert not result.error.permanent and result.error.retry_after == wait


def test_retry_after_as_an_http_date_is_honoured(fcm):
    fcm.error = "UNAVAILABLE"
    fcm.retry_after = formatdate(time.time() + 300, usegmt=True)
    [result] = _send(_push("d", fcm.device_token()))

    assert 290 <= result.error.retry_after <= 300


def test_internal_error_keeps_the_pipelines_own_backoff(fcm):
    fcm.error = "INTERNAL"
    [result] = _send(_push("i", fcm.device_token()))

    assert not result.error.permanent and result.error.retry_after == 0


def test_timeout_is_transient_and_a_retry_shows_one_notification(fcm):
    token = fcm.device_token()
    fcm.delay = 2  # FCM delivers, but answers after the gateway's 1 s timeout
    started = time.monotonic()
    [lost] = _send(_push("m", token))
    elapsed = time.monotonic() - started
    fcm.delay = 0
    [retried] = _send(_push("m", token))  # what the pipeline does with a transient failure

    assert not lost.error.permanent and "no answer within 1 s" in str(lost.error)
    assert elapsed < 1.9
    assert retried.error is None
    assert fcm.sent["m"] == 2, "FCM has no idempotency key: the device got the message twice"
    assert list(fcm.drawer[token]) == ["m"], "but the tag shows it once"


def test_fcm_unreachable_is_transient(tmp_path):
    with FakeFcm() as server:
        token = server.device_token()
        options = server.settings(tmp_path)
        with override_settings(GATEWAYS={"fcm": options}):
            _send(_push("warm", token))  # the access token is cached before FCM goes away
    with override_settings(GATEWAYS={"fcm": options}):
        results = _send(_push("n-1", token), _push("n-2", token))

    assert all(not r.error.permanent and "connection failed" in str(r.error) for r in results)


def test_token_endpoint_down_fails_the_batch_transiently_with_one_request(fcm):
    fcm.token_status = 503
    results = _send(*[_push(f"o-{i}", fcm.device_token()) for i in range(3)])

    assert [r.idempotency_key for r in results] == ["o-0", "o-1", "o-2"]
    assert all(not r.error.permanent and "access token refused: HTTP 503" in str(r.error) for r in results)
    assert fcm.token_calls == 1, "one try for the batch, not one per message"
    assert fcm.received == [], "nothing is sent without a token"


def test_a_key_google_does_not_know_fails_the_batch_permanently(fcm, tmp_path):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # a deleted or foreign key
    with override_settings(GATEWAYS={"fcm": fcm.settings(tmp_path, key=stranger)}):
        results = _send(_push("p-1", fcm.device_token()), _push("p-2", fcm.device_token()))

    assert all(r.error.permanent and not r.error.recipient for r in results)
    assert "invalid_grant Invalid JWT Signature." in str(results[0].error)
    assert fcm.token_calls == 1 and fcm.token_requests == [] and fcm.received == []


def test_broken_service_account_file_fails_the_batch_permanently(fcm, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"client_email": "x@y.iam.gserviceaccount.com"}')
    with override_settings(GATEWAYS={"fcm": fcm.settings(tmp_path, service_account_file=str(broken))}):
        results = _send(_push("q-1", fcm.device_token()), _push("q-2", fcm.device_token()))

    assert all(r.error.permanent and "service account file lacks" in str(r.error) for r in results)
    assert fcm.token_requests == [] and fcm.received == []


def test_mixed_batch_each_message_gets_its_own_result(fcm):
    ok, gone, other = fcm.device_token(), fcm.device_token(), fcm.device_token()
    fcm.unregister(gone)
    long_key = "school_" + "truong_thcs_nguyen_van_troi_quan_hai_ba_trung_ha_noi" + "-123456"
    results = _send(
        _push("r-1", ok), _push("r-2", gone), _push("r-3", "khong-phai-token"), _push(long_key, other)
    )

    assert [r.idempotency_key for r in results] == ["r-1", "r-2", "r-3", long_key]
    assert results[0].error is None and results[3].error is None
    assert results[1].error.recipient and "UNREGISTERED" in str(results[1].error)
    assert results[2].error.recipient and "INVALID_ARGUMENT" in str(results[2].error)
    assert [fcm.sent[k] for k in ("r-1", "r-2", "r-3", long_key)] == [1, 0, 0, 1]
    # Apple allows 64 bytes of collapse id: a longer key goes as its digest.
    assert fcm.received[3]["message"]["apns"]["headers"]["apns-collapse-id"] == topic(long_key)
    assert len(fcm.token_requests) == 1


def test_mostly_failing_fcm_sorts_each_message(fcm):
    fcm.fail_rate = 0.5
    token = fcm.device_token()
    results = _send(*[_push(f"s-{i}", token) for i in range(10)])

    failed = [r for r in results if r.error]
    assert 0 < len(failed) < 10  # the fixed seed fails some, not all
    assert all(not r.error.permanent and "500 INTERNAL" in str(r.error) for r in failed)
    assert sum(fcm.sent.values()) == 10 - len(failed)


def test_is_configured_needs_the_project_and_a_readable_key_file(fcm, tmp_path):
    options = fcm.settings(tmp_path)
    assert FcmGateway.is_configured()
    with override_settings(
        GATEWAYS={"fcm": {**options, "service_account_file": str(tmp_path / "none.json")}}
    ):
        assert not FcmGateway.is_configured() and not gateway_configured("fcm")
    with override_settings(GATEWAYS={"fcm": {**options, "service_account_file": ""}}):
        assert not FcmGateway.is_configured()
    with override_settings(GATEWAYS={"fcm": {**options, "project_id": ""}}):
        assert not FcmGateway.is_configured()
    with override_settings(GATEWAYS={}):
        assert not FcmGateway.is_configured()


# --- through the pipeline ---------------------------------------------------------------------------------


@pytest.fixture
def app_user(world, fcm, tmp_path):
    """Teacher A with the app on two phones, in school A where push comes first, then e-mail (SMTP)."""
    with (
        FakeSmtp() as smtp,
        override_settings(GATEWAYS={"fcm": fcm.settings(tmp_path)}, **smtp.settings()),
        schema_context(world.school_a.schema_name),
    ):
        MessagingSettings.objects.update(channel_order=["push", "email"])
        phones = [fcm.device_token(), fcm.device_token()]
        for phone in phones:
            ContactPoint.objects.create(user=world.teacher_a, channel="push", gateway="fcm", address=phone)
        yield (
            Recipient(user_id=world.teacher_a.pk, email="co.giao@example.vn", name="Cô giáo A"),
            phones,
            smtp,
        )


def _send_queued(message):
    queued = list(Delivery.objects.filter(message=message, status="queued").values_list("pk", flat=True))
    deliveries_send(queued)


def test_pipeline_forgets_an_unregistered_app_token_and_keeps_the_other(fcm, app_user):
    recipient, (kept, uninstalled), _smtp = app_user
    fcm.unregister(uninstalled)
    (message,) = messages_send(purpose="t", items=[(recipient, "Họp tổ chuyên môn")], title="Lịch họp")
    _send_queued(message)

    by_address = {d.address: d for d in Delivery.objects.filter(message=message)}
    assert by_address[kept].status == "sent" and fcm.sent[delivery_key(by_address[kept].pk)] == 1
    assert by_address[kept].provider_message_id.startswith(f"projects/{FakeFcm.PROJECT_ID}/messages/")
    assert by_address[uninstalled].status == "failed" and "UNREGISTERED" in by_address[uninstalled].error
    point = ContactPoint.objects.get(address=uninstalled)
    assert point.is_bad and "UNREGISTERED" in point.bad_reason
    assert not ContactPoint.objects.get(address=kept).is_bad
    (later,) = messages_send(purpose="t", items=[(recipient, "Nghỉ học thứ Hai")])
    assert [d.address for d in Delivery.objects.filter(message=later)] == [kept]


def test_pipeline_falls_back_to_email_when_no_app_token_works(fcm, app_user):
    recipient, phones, smtp = app_user
    for phone in phones:
        fcm.unregister(phone)
    (message,) = messages_send(purpose="t", items=[(recipient, "Lịch thi học kì I")])
    _send_queued(message)
    _send_queued(message)  # the e-mail the fallback queued

    statuses = sorted(Delivery.objects.filter(message=message).values_list("channel", "status"))
    assert statuses == [("email", "sent"), ("push", "fallen_back"), ("push", "fallen_back")]
    email = Delivery.objects.get(message=message, channel="email")
    assert smtp.count(delivery_key(email.pk)) == 1
    assert ContactPoint.objects.filter(address__in=phones, is_bad=True).count() == 2


@pytest.mark.parametrize(
    ("code", "header", "wait"), [("QUOTA_EXCEEDED", "", 60), ("UNAVAILABLE", "240", 240)]
)
def test_pipeline_waits_what_fcm_asks_before_the_retry(fcm, app_user, code, header, wait):
    """The retry's countdown, not the generic backoff (a second or two after a first attempt): and the
    deliveries are held until then, so the sweep does not send them early either."""
    recipient, _phones, smtp = app_user
    fcm.error, fcm.retry_after = code, header
    (message,) = messages_send(purpose="t", items=[(recipient, "Họp tổ chuyên môn")])
    queued = list(Delivery.objects.filter(message=message).values_list("pk", flat=True))
    before = timezone.now()
    outcome = deliveries_send(queued)

    assert outcome.retry_ids == sorted(queued) and outcome.countdown >= wait
    for delivery in Delivery.objects.filter(pk__in=queued):
        assert delivery.status == "queued" and delivery.attempts == 1
        assert delivery.not_before >= before + timedelta(seconds=wait)
    assert deliveries_sweep()["held"] == 0  # not due yet
    assert smtp.received == []  # transient: no fallback to e-mail

    fcm.error = ""
    assert deliveries_sweep(now=timezone.now() + timedelta(seconds=wait + 1))["held"] == len(queued)
    assert deliveries_send(queued).retry_ids == []
    assert set(Delivery.objects.filter(pk__in=queued).values_list("status", flat=True)) == {"sent"}
