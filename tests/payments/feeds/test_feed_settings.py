"""The school's bank-notification settings (/s/<code>/fees/settings/feeds/): fee managers enter, replace
and remove (after a confirmation) the SePay API key or the Casso key; the key is sealed, never shown again
(not even beside an error), the page gives the exact webhook addresses, every change is audited without
the key; everyone else gets 404."""

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts.roles import Role
from payments.feeds.selectors import feed_key
from payments.models import PaymentProvider
from schoolbook.audit.models import AuditEvent
from students.services import staff_add
from tests.conftest import assert_refused, confirm_token
from tests.factories import staff_make

pytestmark = pytest.mark.django_db
PAGE = "/s/test-a/fees/settings/feeds/"
SAVE_SEPAY, SAVE_CASSO = PAGE + "sepay/", PAGE + "casso/"
REMOVE_SEPAY = PAGE + "sepay/remove/"
KEY = "Khoa-SePay-cua-truong-A-7Q2x"


@pytest.fixture
def accountant(school):
    staff = staff_make(school, "0911000201", "Lưu Kế Toán", roles=[Role.ACCOUNTANT])
    client = Client()
    client.force_login(staff.user)
    return client


def _account(provider="sepay"):
    with schema_context("school_test_a"):
        return PaymentProvider.objects.filter(provider=provider).first()


def test_the_page_gives_each_providers_address_and_no_key_yet(accountant):
    page = accountant.get(PAGE).content.decode()
    assert "http://testserver/hooks/sepay/test-a/" in page and "http://testserver/hooks/casso/test-a/" in page
    assert page.count('data-feed-state="none"') == 2


def test_an_accountant_saves_the_key_sealed_and_it_is_never_shown_again(accountant):
    response = accountant.post(SAVE_SEPAY, {"sepay-key": KEY}, follow=True)
    page = response.content.decode()
    assert "Đã lưu key SePay." in page and "kết thúc bằng …7Q2x" in page and KEY not in page
    account = _account()
    assert account.hint == "7Q2x" and KEY not in account.credentials
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM school_test_a.payments_paymentprovider")
        assert KEY not in cursor.fetchone()[0]
    with schema_context("school_test_a"):
        assert feed_key("sepay") == KEY
        (event,) = AuditEvent.objects.filter(action="payments.feed_save")
    assert (event.before, event.after) == (None, {"provider": "sepay", "key": "…7Q2x"})

    replaced = accountant.post(SAVE_SEPAY, {"sepay-key": "Khoa-moi-cua-truong-A-9Zk1"}, follow=True)
    assert "kết thúc bằng …9Zk1" in replaced.content.decode()
    with schema_context("school_test_a"):
        assert feed_key("sepay") == "Khoa-moi-cua-truong-A-9Zk1"
        event = AuditEvent.objects.filter(action="payments.feed_save").order_by("-pk").first()
    assert (event.before, event.after) == (
        {"provider": "sepay", "key": "…7Q2x"},
        {"provider": "sepay", "key": "…9Zk1"},
    )


@pytest.mark.parametrize(
    "key, error",
    [
        ("", "Hãy nhập key."),
        ("ngan-qua", "Key không hợp lệ: ít nhất 16 ký tự"),
        ("co dau cach o giua key nay", "Key không hợp lệ"),
        ("khoá-có-dấu-tiếng-Việt-123", "Key không hợp lệ"),
        ("x" * 201, "Key quá dài (tối đa 200 ký tự)."),
    ],
)
def test_a_bad_key_is_refused_with_the_reason_and_not_sent_back(accountant, key, error):
    response = accountant.post(SAVE_CASSO, {"casso-key": key})
    page = response.content.decode()
    assert response.status_code == 400 and error in page
    assert 'id="casso-feed"' in page and (not key or key not in page)
    assert _account("casso") is None


def test_removing_asks_first_then_webhooks_are_refused(accountant):
    accountant.post(SAVE_SEPAY, {"sepay-key": KEY})
    preview = accountant.get(REMOVE_SEPAY)
    assert "Ngừng nhận thông báo từ SePay?" in preview.content.decode() and _account() is not None
    assert accountant.post(REMOVE_SEPAY).status_code == 200 and _account() is not None  # no token: asks again
    response = accountant.post(REMOVE_SEPAY, {"confirm": confirm_token(preview)}, follow=True)
    assert "Đã xoá key SePay." in response.content.decode() and _account() is None
    with schema_context("school_test_a"):
        (event,) = AuditEvent.objects.filter(action="payments.feed_remove")
    assert event.before == {"provider": "sepay", "key": "…7Q2x"}
    refused = Client().post(
        "/hooks/sepay/test-a/",
        data="{}",
        content_type="application/json",
        headers={"Authorization": f"Apikey {KEY}"},
    )
    assert refused.status_code == 403
    assert accountant.get(REMOVE_SEPAY).status_code == 302  # nothing left to remove


def test_the_school_admin_may_too_and_nobody_else(school, client, world):
    admin = Client()
    admin.force_login(world.admin_a)
    assert admin.get(PAGE).status_code == 200
    requests = [(PAGE, {}), (SAVE_SEPAY, {"sepay-key": KEY}), (REMOVE_SEPAY, {"confirm": "x"})]
    with schema_context("school_test_b"):  # an accountant of school B is nobody in school A
        accountant_b = staff_add(
            actor=world.admin_a, school=world.school_b, phone="0911000203", full_name="Kế Toán B",
            roles=[Role.ACCOUNTANT],
        ).user  # fmt: skip
    others = (
        world.principal_a,
        world.teacher_a,
        world.parent,
        world.staff_b,
        world.outsider_parent,
        accountant_b,
    )
    for user in others:
        client.force_login(user)
        assert_refused(client, user, requests)
    client.logout()
    assert_refused(client, None, requests)
    assert _account() is None
