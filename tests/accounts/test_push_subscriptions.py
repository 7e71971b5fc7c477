"""Web Push on the parent pages: the service worker at /sw.js, the subscription endpoints (validation, CSRF,
owners), the device list, and the receipt the service worker posts once a notification is shown. Receipts
are tested on real deliveries: written by messages_send in school A, sent through the Web Push gateway to
the local push service of tests/fakes (it checks VAPID and decrypts the payload like a browser), and the
`{tag, receipt}` of the payload it decrypted is what goes to /push/receipt/, as our service worker does."""

import json
import os

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.models import ContactPoint, User
from accounts.push import DEVICES_MAX, device_label, receipt_token
from messaging.delivery_keys import delivery_key
from messaging.gateways.base import OutgoingMessage
from messaging.gateways.webpush import WebPushGateway
from messaging.models import Delivery
from messaging.outbox.selectors import Recipient
from messaging.outbox.services import messages_send
from messaging.pipeline.services import deliveries_send
from schoolbook.devstack import ensure_vapid_keys
from tenants.services import affiliation_add
from tests.fakes.push import FakePushService, b64url, new_vapid_keys

SCHEMA_A, SCHEMA_B = "school_test_a", "school_test_b"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
AUTH = "tBHItJI5svbpez7KI4CCXg"


def subscription(n=0, **changes) -> dict:
    """A subscription as Chrome gives it (FCM endpoint, expirationTime null)."""
    data = {
        "endpoint": f"https://fcm.googleapis.com/fcm/send/dev-{n}:APA91bH",
        "expirationTime": None,
        "keys": {"p256dh": P256DH, "auth": AUTH},
    }
    data.update(changes)
    return data


@pytest.fixture
def vapid():
    keys = new_vapid_keys()
    options = {**keys, "vapid_subject": "mailto:admin@truong-a.edu.vn", "ttl": 3600, "timeout": 2}
    with override_settings(GATEWAYS={"webpush": options}):
        yield keys


@pytest.fixture
def parent(world):
    user = User.objects.create_user("0912000301", full_name="Phụ Huynh Đẩy")
    affiliation_add(user=user, school=world.school_a, is_guardian=True)
    return user


def signed_in(user) -> Client:
    """A browser session of `user` that has loaded a page, so it holds the CSRF cookie push.js reads."""
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=CHROME_ANDROID)
    client.force_login(user)
    client.get("/account/devices/")
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return client


def subscribe(client, data) -> tuple[int, dict]:
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    response = client.post("/account/push/", body, content_type="application/json")
    return response.status_code, response.json()


def devices(user) -> list[ContactPoint]:
    return list(ContactPoint.objects.filter(user=user, channel="push").order_by("pk"))


# --- the service worker ----------------------------------------------------------------------------------


def test_service_worker_is_served_at_the_root_for_the_whole_origin(db):
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    assert 'const RECEIPT_URL = "/push/receipt/";' in script
    assert "showNotification" in script and "keepalive: true" in script and "notificationclick" in script


# --- subscribing -----------------------------------------------------------------------------------------


def test_a_parent_stores_this_browsers_subscription_labelled_from_its_user_agent(parent, vapid):
    status, body = subscribe(signed_in(parent), subscription())

    assert status == 201
    [point] = devices(parent)
    assert (point.gateway, point.label, point.is_bad) == ("webpush", "Chrome trên Android", False)
    # Stored without expirationTime, in one canonical form: the same browser finds its row again.
    assert json.loads(point.address) == {
        "endpoint": subscription()["endpoint"],
        "keys": subscription()["keys"],
    }
    assert body["device"] == {
        "id": point.pk, "endpoint": subscription()["endpoint"], "label": "Chrome trên Android",
        "is_bad": False, "bad_reason": "", "delete_url": f"/account/push/{point.pk}/delete/",
    }  # fmt: skip


def test_subscribing_again_reactivates_a_subscription_a_gateway_marked_bad(parent, vapid):
    client = signed_in(parent)
    subscribe(client, subscription())
    ContactPoint.objects.filter(user=parent).update(is_bad=True, bad_reason="subscription gone: 410 Gone")

    reordered = {"keys": {"auth": AUTH, "p256dh": P256DH}, "endpoint": subscription()["endpoint"]}
    assert subscribe(client, reordered)[0] == 201

    [point] = devices(parent)
    assert (point.is_bad, point.bad_reason, point.bad_at) == (False, "", None)


def test_a_subscription_moves_to_whoever_signs_in_on_that_browser(parent, world, vapid):
    subscribe(signed_in(parent), subscription())
    subscribe(signed_in(world.teacher_a), subscription())

    assert devices(parent) == []
    assert len(devices(world.teacher_a)) == 1
    assert ContactPoint.objects.filter(channel="push").count() == 1


def test_beyond_the_limit_broken_devices_go_first_then_the_oldest(parent, vapid):
    client = signed_in(parent)
    for n in range(DEVICES_MAX):
        assert subscribe(client, subscription(n))[0] == 201
    ContactPoint.objects.filter(address__contains="/dev-5:").update(is_bad=True)
    for n in range(DEVICES_MAX, DEVICES_MAX + 2):
        assert subscribe(client, subscription(n))[0] == 201

    endpoints = [json.loads(p.address)["endpoint"] for p in devices(parent)]
    kept = [n for n in range(DEVICES_MAX + 2) if n not in (0, 5)]
    assert endpoints == [subscription(n)["endpoint"] for n in kept]


@pytest.mark.parametrize(
    "data, reason",
    [
        ("{not json", "Dữ liệu gửi lên không phải JSON hợp lệ."),
        ("[1, 2]", "Dữ liệu gửi lên không phải JSON hợp lệ."),
        (subscription(endpoint=""), "Thiếu địa chỉ endpoint của dịch vụ thông báo đẩy."),
        (
            subscription(endpoint="http://fcm.googleapis.com/fcm/send/x"),
            "Địa chỉ endpoint phải dùng https://.",
        ),
        (subscription(endpoint="https://10.0.0.5/push/x"), "Địa chỉ endpoint không phải của một dịch vụ"),
        (subscription(endpoint="https://localhost/push/x"), "Địa chỉ endpoint không phải của một dịch vụ"),
        (subscription(endpoint="https://[::1]/push/x"), "Địa chỉ endpoint không phải của một dịch vụ"),
        (
            subscription(endpoint="https://a:b@fcm.googleapis.com/x"),
            "Địa chỉ endpoint không phải của một dịch vụ",
        ),
        (
            subscription(endpoint="https://fcm.googleapis.com:port/x"),
            "Địa chỉ endpoint không phải URL hợp lệ.",
        ),
        (subscription(endpoint="https://fcm.googleapis.com/" + "x" * 2100), "Địa chỉ endpoint quá dài."),
        # The probe's SSRF bypasses, and names that are not a push service's.
        *(
            (subscription(endpoint=endpoint), "Địa chỉ endpoint không phải của một dịch vụ")
            for endpoint in (
                "https://127.1/push/x",
                "https://0177.0.0.1/push/x",
                "https://2130706433/push/x",
                "https://0x7f.0.0.1/push/x",
                "https://localhost./push/x",
                "https://fcm.googleapis.com./fcm/send/x",
                "https://fcm.googleapis.com.evil.example/fcm/send/x",
                "https://evil.example\\@fcm.googleapis.com/fcm/send/x",
                "https://fcm.googleapis.com:8443/fcm/send/x",
                "https://metadata.google.internal/computeMetadata/v1/",
                "https://push.services.mozilla.com/wpush/v2/x",
                "https://internal.truong-a.edu.vn/push/x",  # any other name (it may resolve to our network)
            )
        ),
        (subscription(keys={"p256dh": P256DH}), "Thiếu khóa p256dh hoặc auth."),
        (subscription(keys=None), "Thiếu khóa p256dh hoặc auth."),
        (subscription(keys={"p256dh": "AAAA", "auth": AUTH}), "Khóa p256dh không hợp lệ"),
        (subscription(keys={"p256dh": P256DH.replace("_", "/"), "auth": AUTH}), "Khóa p256dh không hợp lệ"),
        (subscription(keys={"p256dh": P256DH, "auth": b64url(b"x" * 15)}), "Khóa auth không hợp lệ"),
        (subscription(keys={"p256dh": P256DH, "auth": 16}), "Khóa auth không hợp lệ"),
        (subscription(padding="x" * 5000), "Dữ liệu đăng ký quá lớn."),
    ],
)
def test_a_subscription_that_no_push_service_issued_is_refused_with_the_reason(parent, vapid, data, reason):
    status, body = subscribe(signed_in(parent), data)
    assert status == 400 and body["error"].startswith(reason)
    assert not ContactPoint.objects.filter(channel="push").exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/dJ8b:APA91bH",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
        "https://wns2-sg2p.notify.windows.com/w/?token=BQYAAAB",
        "https://web.push.apple.com/QGuQyavXutnMH",
    ],
)
def test_the_browsers_push_services_are_accepted(parent, vapid, endpoint):
    status, _ = subscribe(signed_in(parent), subscription(endpoint=endpoint))
    assert status == 201
    assert json.loads(ContactPoint.objects.get(channel="push").address)["endpoint"] == endpoint


def test_subscribing_needs_a_session_and_the_csrf_token(parent, vapid):
    anonymous = Client()  # CSRF is checked first: this is the login check behind it
    response = anonymous.post("/account/push/", json.dumps(subscription()), content_type="application/json")
    assert response.status_code == 302 and response["Location"].startswith("/login/")

    client = signed_in(parent)
    del client.defaults["HTTP_X_CSRFTOKEN"]
    response = client.post("/account/push/", json.dumps(subscription()), content_type="application/json")
    assert response.status_code == 403
    assert not ContactPoint.objects.filter(channel="push").exists()


def test_the_state_gives_push_js_the_vapid_key_and_only_the_users_own_devices(parent, world, vapid):
    subscribe(signed_in(parent), subscription(1))
    subscribe(signed_in(world.teacher_a), subscription(2))

    state = signed_in(parent).get("/account/push/").json()
    assert state["vapid_public_key"] == vapid["vapid_public_key"]
    assert [d["endpoint"] for d in state["devices"]] == [subscription(1)["endpoint"]]

    with override_settings(GATEWAYS={"webpush": {"vapid_private_key": "", "vapid_public_key": ""}}):
        assert signed_in(parent).get("/account/push/").json()["vapid_public_key"] == ""


# --- removing and listing ----------------------------------------------------------------------------------


def test_a_parent_removes_their_own_device_but_gets_404_for_anyone_elses(parent, world, vapid):
    subscribe(signed_in(parent), subscription(1))
    subscribe(signed_in(world.staff_b), subscription(2))
    [mine], [theirs] = devices(parent), devices(world.staff_b)
    client = signed_in(parent)

    assert client.post(f"/account/push/{theirs.pk}/delete/").status_code == 404
    assert signed_in(world.staff_b).post(f"/account/push/{mine.pk}/delete/").status_code == 404
    assert len(devices(parent)) == len(devices(world.staff_b)) == 1

    response = client.post(f"/account/push/{mine.pk}/delete/", follow=True)
    assert response.redirect_chain == [("/account/devices/", 302)]
    assert "Đã gỡ thiết bị." in response.content.decode()
    assert devices(parent) == [] and devices(world.staff_b) == [theirs]
    assert client.post(f"/account/push/{mine.pk}/delete/").status_code == 404  # already gone


def test_push_js_removes_a_device_with_a_json_answer(parent, vapid):
    client = signed_in(parent)
    pk = subscribe(client, subscription())[1]["device"]["id"]
    response = client.post(f"/account/push/{pk}/delete/", HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()) == (200, {"deleted": pk})
    assert client.get(f"/account/push/{pk}/delete/").status_code == 405


def test_the_device_list_shows_label_date_and_failures_in_one_query(parent, world, vapid):
    client = signed_in(parent)
    empty = client.get("/account/devices/").content.decode()
    assert "Chưa có thiết bị nào nhận thông báo đẩy." in empty

    for n in range(3):
        subscribe(client, subscription(n))
    subscribe(signed_in(world.teacher_a), subscription(9))
    ContactPoint.objects.filter(address__contains="dev-1:").update(
        is_bad=True, bad_reason="subscription gone: 410 Gone"
    )
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/account/devices/").content.decode()
    assert len([q for q in queries if "accounts_contactpoint" in q["sql"]]) == 1
    assert page.count("Chrome trên Android") == 3 + 3  # the label, and each remove button's name
    assert page.count('<span class="badge off">không nhận được</span>') == 1
    assert "subscription gone: 410 Gone" in page
    assert page.count('<span class="badge ok">đang nhận</span>') == 2
    assert "dev-9" not in page and page.count("/delete/") == 3


def test_the_guardian_home_has_the_card_and_other_pages_do_not(parent, world, vapid):
    client = signed_in(parent)
    home = client.get("/home/").content.decode()
    assert "data-push-card" in home and "Nhận thông báo trên thiết bị này" in home
    assert 'data-sw-url="/sw.js"' in home and "/static/js/push.js" in home

    nobody = User.objects.create_user("0912000302", full_name="Chưa Thuộc Trường")
    assert "data-push-card" not in signed_in(nobody).get("/home/").content.decode()


@pytest.mark.parametrize(
    "user_agent, label",
    [
        (CHROME_ANDROID, "Chrome trên Android"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Mobile/15E148 Safari/604.1",
            "Safari trên iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "coc_coc_browser/133.0.180 Chrome/127.0.0.0 Safari/537.36",
            "Cốc Cốc trên Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge trên Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0",
            "Firefox trên macOS",
        ),
        ("", "Trình duyệt không rõ"),
    ],
)
def test_device_labels(user_agent, label):
    assert device_label(user_agent) == label


# --- receipts from the service worker ---------------------------------------------------------------------


@pytest.fixture
def push(vapid):
    with FakePushService() as service:
        yield service


def send_push(push, vapid, user, schema=SCHEMA_A, channels=("push",)) -> tuple[int, dict]:
    """One message to `user` in `schema`, sent through the gateway to the fake push service; the delivery's
    id and the payload the "browser" decrypted."""
    # Stored directly: the fake service is http://127.0.0.1, which POST /account/push/ rightly refuses.
    if not ContactPoint.objects.filter(user=user, channel="push").exists():
        browser = push.subscribe(application_server_key=vapid["vapid_public_key"])
        ContactPoint.objects.create(user=user, channel="push", gateway="webpush", address=json.dumps(browser))
    with schema_context(schema):
        recipient = Recipient(user_id=user.pk, phone=user.phone, name=user.full_name)
        [message] = messages_send(
            purpose="notice", items=[(recipient, "Thứ Sáu nghỉ học.")], title="Thông báo",
            link="/s/test-a/thong-bao/1/", channels=list(channels),
        )  # fmt: skip
        [delivery] = message.deliveries.all()
        assert deliveries_send([delivery.pk]).retry_ids == []
    [received] = [r for r in push.received if r.payload["tag"] == delivery_key(delivery.pk, schema)]
    return delivery.pk, received.payload


def status(schema, pk) -> tuple[str, str]:
    with schema_context(schema):
        delivery = Delivery.objects.get(pk=pk)
        return delivery.status, delivery.error


def post_receipt(key, receipt) -> tuple[int, dict | None]:
    # A new client without a session or CSRF token, as the service worker's fetch.
    response = Client(enforce_csrf_checks=True).post(
        "/push/receipt/", json.dumps({"key": key, "receipt": receipt}), content_type="application/json"
    )
    return response.status_code, (response.json() if response.status_code == 200 else None)


def test_the_payload_carries_a_receipt_that_marks_the_delivery_delivered_once(push, vapid, parent):
    pk, payload = send_push(push, vapid, parent)
    key = delivery_key(pk, SCHEMA_A)
    assert payload == {
        "title": "Thông báo", "body": "Thứ Sáu nghỉ học.", "url": "/s/test-a/thong-bao/1/", "tag": key,
        "receipt": receipt_token(key),
    }  # fmt: skip
    assert status(SCHEMA_A, pk) == ("sent", "")

    assert post_receipt(payload["tag"], payload["receipt"]) == (200, {"updated": 1})
    assert status(SCHEMA_A, pk) == ("delivered", "")
    assert post_receipt(payload["tag"], payload["receipt"]) == (200, {"updated": 0})  # a replay
    assert status(SCHEMA_A, pk) == ("delivered", "")


def test_a_sent_push_waits_for_its_receipt_before_falling_back(push, vapid, parent):
    """The gateway reports delivery now: a push nobody's browser showed moves on to SMS in time."""
    pk, payload = send_push(push, vapid, parent, channels=("push", "sms"))
    with schema_context(SCHEMA_A):
        assert Delivery.objects.get(pk=pk).fallback_at is not None
    post_receipt(payload["tag"], payload["receipt"])
    assert status(SCHEMA_A, pk) == ("delivered", "")


@pytest.mark.parametrize(
    "body",
    [
        {"key": "KEY", "receipt": "0" * 64},
        {"key": "KEY", "receipt": ""},
        {"key": "KEY"},
        {"receipt": "RECEIPT"},
        {"key": "KEY", "receipt": receipt_token("school_test_a-0")},
        {"key": ["KEY"], "receipt": "RECEIPT"},
        "not json",
        ["KEY", "RECEIPT"],
    ],
)
def test_a_receipt_without_the_right_token_is_403_and_changes_nothing(push, vapid, parent, body):
    pk, payload = send_push(push, vapid, parent)
    text = json.dumps(body).replace("KEY", payload["tag"]).replace("RECEIPT", payload["receipt"])
    if body == "not json":
        text = f"key={payload['tag']}&receipt={payload['receipt']}"
    response = Client().post("/push/receipt/", text, content_type="application/json")
    assert response.status_code == 403
    assert status(SCHEMA_A, pk) == ("sent", "")


def test_a_receipt_for_school_b_cannot_touch_school_a(push, vapid, parent, world):
    pk, payload = send_push(push, vapid, parent)
    key_b = delivery_key(pk, SCHEMA_B)  # the same id in school B, with a token that is valid for it

    assert post_receipt(key_b, receipt_token(key_b)) == (200, {"updated": 0})
    assert post_receipt(payload["tag"], receipt_token(key_b))[0] == 403
    assert status(SCHEMA_A, pk) == ("sent", "")

    affiliation_add(user=parent, school=world.school_b, is_guardian=True)
    pk_b, payload_b = send_push(push, vapid, parent, schema=SCHEMA_B)
    assert post_receipt(payload_b["tag"], payload_b["receipt"]) == (200, {"updated": 1})
    assert status(SCHEMA_B, pk_b) == ("delivered", "") and status(SCHEMA_A, pk) == ("sent", "")


# --- make run's keys --------------------------------------------------------------------------------


def test_make_run_generates_vapid_keys_once_and_they_sign_pushes(tmp_path, monkeypatch, db):
    names = ("WEBPUSH_VAPID_PRIVATE_KEY", "WEBPUSH_VAPID_PUBLIC_KEY")
    monkeypatch.setenv("SCHOOLBOOK_DATA_DIR", str(tmp_path))
    for name in names:
        monkeypatch.setenv(name, "")
    ensure_vapid_keys()
    keys = {name: os.environ[name] for name in names}
    assert (tmp_path / "vapid.json").stat().st_mode & 0o777 == 0o600
    for name in names:
        monkeypatch.setenv(name, "")
    ensure_vapid_keys()  # the next `make run`: the same keys, or every browser would have to subscribe again
    assert {name: os.environ[name] for name in names} == keys

    options = {"vapid_private_key": keys[names[0]], "vapid_subject": "mailto:a@b.vn", "ttl": 60}
    with FakePushService() as push, override_settings(GATEWAYS={"webpush": options}):
        browser = push.subscribe(application_server_key=keys[names[1]])  # 403 for any other key
        [result] = WebPushGateway().send([OutgoingMessage("k-1", json.dumps(browser), "Xin chào")])
    assert result.error is None and push.count("k-1") == 1

    monkeypatch.setenv(names[0], "the-operators-key")
    monkeypatch.setenv(names[1], "")
    ensure_vapid_keys()
    assert (os.environ[names[0]], os.environ[names[1]]) == ("the-operators-key", "")
