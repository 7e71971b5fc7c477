"""Web Push in a real browser: a guardian's home page registers our service worker for the whole origin and
shows the card that turns notifications on for this device; a push event makes the worker show the
notification and post its receipt, which marks the delivery delivered.

Subscribing is not exercised here: pushManager.subscribe() asks the browser vendor's push service (FCM for
chromium) for an endpoint, which is out of reach offline, and faking it inside the browser would test the
fake. The push event is the one DevTools delivers (its "Push" button: ServiceWorker.deliverPushMessage),
with the payload our gateway builds; the subscription endpoints, and the gateway's pushes through a push
service that speaks the protocol, are tested in tests/accounts/test_push_subscriptions.py."""

import json
import random
import time

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import User
from accounts.push import receipt_token
from messaging.delivery_keys import delivery_key
from messaging.models import Delivery, Message
from tenants.models import School, SchoolAffiliation
from tenants.services import affiliation_add
from tests.conftest import ARTIFACTS, sign_in, with_password
from tests.fakes.push import new_vapid_keys

pytestmark = pytest.mark.browser
SCHEMA_A = "school_test_a"


def _until(page, predicate, timeout=30.0):
    """wait_for, but waiting in the browser: Playwright handles DevTools events only while it is called."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        page.wait_for_timeout(100)
    return value


@pytest.fixture
def guardian(django_db_blocker):
    """Committed (the live server must see it): a parent of school A who can sign in, with a fresh number.
    The account stays (deleting a user from public makes Django collect rows in school schemas public does
    not have); its affiliation goes, so no later test finds a guardian it did not make."""
    with django_db_blocker.unblock():
        while True:
            phone = "0912" + "".join(random.choices("0123456789", k=6))
            if not User.objects.filter(phone=f"+84{phone[1:]}").exists():
                break
        user = with_password(User.objects.create_user(phone, full_name="Phụ Huynh Thông Báo"))
        affiliation_add(user=user, school=School.objects.get(code="test-a"), is_guardian=True)
    yield user
    with django_db_blocker.unblock():
        SchoolAffiliation.objects.filter(user=user).delete()


@pytest.fixture
def context(browser, live_server_url):
    """A fresh browser profile that has allowed this site's notifications (no permission prompt)."""
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", permissions=["notifications"])
    yield context
    context.close()


def test_the_guardian_home_registers_the_worker_which_shows_a_push_and_confirms_it(
    context, live_server_url, guardian, django_db_blocker
):
    webpush = {**new_vapid_keys(), "vapid_subject": "mailto:admin@truong-a.edu.vn", "ttl": 60}
    page = context.new_page()
    with override_settings(GATEWAYS={"webpush": webpush}):
        sign_in(page, guardian.phone)
        expect(page).to_have_url(f"{live_server_url}/home/")

        scope = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)")
        assert scope == f"{live_server_url}/"
        card = page.locator("[data-push-card]")
        expect(card.get_by_role("heading")).to_have_text("Nhận thông báo trên thiết bị này")
        expect(card).to_have_attribute("data-push-state", "off")
        expect(card.get_by_role("status")).to_contain_text("Đang tắt")
        expect(card.get_by_role("button", name="Bật thông báo")).to_be_visible()
        expect(card.get_by_role("button", name="Tắt thông báo")).to_be_hidden()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "push-card.png", full_page=True)

    # A push for a sent delivery of school A: the worker shows it and posts {key, receipt}.
    with django_db_blocker.unblock(), schema_context(SCHEMA_A):
        message = Message.objects.create(purpose="test", recipient=guardian.phone, user=guardian, body="…")
        delivery = Delivery.objects.create(
            message=message,
            channel="push",
            gateway="webpush",
            address="{}",
            status="sent",
            sent_at=timezone.now(),
        )
        key = delivery_key(delivery.pk, SCHEMA_A)
        Delivery.objects.filter(pk=delivery.pk).update(provider_key=key)  # as sending records it
    payload = {
        "title": "Họp phụ huynh",
        "body": "Thứ Bảy 8 giờ.",
        "url": "/home/",
        "tag": key,
        "receipt": receipt_token(key),
    }
    try:
        devtools = context.new_cdp_session(page)
        registrations = []
        devtools.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: registrations.extend(event["registrations"]),
        )
        devtools.send("ServiceWorker.enable")
        registration = _until(
            page,
            lambda: next(
                (r["registrationId"] for r in registrations if r["scopeURL"] == f"{live_server_url}/"), None
            ),
        )
        devtools.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": live_server_url, "registrationId": registration, "data": json.dumps(payload)},
        )
        shown = """navigator.serviceWorker.ready
            .then((registration) => registration.getNotifications())
            .then((notifications) => notifications.map((n) => [n.title, n.body, n.tag]))"""

        def status():
            with django_db_blocker.unblock(), schema_context(SCHEMA_A):
                return Delivery.objects.get(pk=delivery.pk).status

        _until(page, lambda: status() == "delivered")  # posted once the notification is up
        assert page.evaluate(shown) == [["Họp phụ huynh", "Thứ Bảy 8 giờ.", key]]
    finally:
        with django_db_blocker.unblock(), schema_context(SCHEMA_A):
            message.delete()

    with override_settings(GATEWAYS={"webpush": {"vapid_private_key": "", "vapid_public_key": ""}}):
        page.reload()
        expect(card).to_have_attribute("data-push-state", "unconfigured")
        expect(card.get_by_role("status")).to_contain_text("Máy chủ chưa được cấu hình thông báo đẩy")
        expect(card.get_by_role("button")).to_have_count(0)
