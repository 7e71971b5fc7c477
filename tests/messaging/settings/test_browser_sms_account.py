"""The school's own SMS account and Zalo OA on the messaging settings page, in a real browser at a phone's
and a laptop's width: a refused entry shows its errors, a saved one shows only the key's last characters
(and, for Zalo, the webhook address to give Zalo), the test send shows the provider's answer, and removing
asks first. Screenshots go to artifacts/."""

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from messaging.models import ProviderAccount
from schoolbook.audit.models import AuditEvent
from tests.browser_checks import assert_accessible, assert_no_sideways_scroll
from tests.conftest import ARTIFACTS, sign_in
from tests.fakes.sms_providers import FakeEsms
from tests.fakes.zalo import FakeZalo

pytestmark = pytest.mark.browser
SETTINGS = "/s/test-a/messaging/settings/"
KEY, SECRET = "truong-a-browser-key-3Fq9", "truong-a-browser-secret"


@pytest.fixture
def esms(django_db_blocker):
    """A local eSMS that knows the school's own account; what the live server commits is removed after."""
    with FakeEsms() as fake, override_settings(SMS_GATEWAY="esms", GATEWAYS={"esms": fake.settings()}):
        fake.API_KEY, fake.SECRET_KEY, fake.BRANDNAME = KEY, SECRET, "THCS-A"
        yield fake
    _forget_accounts(django_db_blocker)


def _settings_page(browser, live_server_url, viewport):
    """The school admin on the messaging settings page, at a phone's or a laptop's width."""
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport)
    page = context.new_page()
    sign_in(page, "0900000011")
    page.goto(SETTINGS)
    return ("phone" if viewport["width"] < 500 else "laptop"), context, page


def _forget_accounts(django_db_blocker):
    """What the live server committed (the accounts and their audit events) goes after each test."""
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        ProviderAccount.objects.all().delete()
        AuditEvent.objects.filter(action__startswith="provider_account.").delete()


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}])
def test_admin_saves_tests_and_removes_the_schools_sms_account(browser, live_server_url, esms, viewport):
    name, context, page = _settings_page(browser, live_server_url, viewport)
    account = page.locator("#sms-account")
    expect(account).to_contain_text("Trường đang dùng tài khoản SMS của hệ thống")

    account.get_by_label("Nhà cung cấp").select_option("esms")
    account.get_by_label("API key / access token").fill(KEY)
    account.get_by_label("Brandname").fill("Trường A")
    account.get_by_role("button", name="Lưu tài khoản").click()
    expect(page.locator("#sms-account")).to_contain_text("eSMS cần cả Secret key.")
    expect(page.locator("#sms-account")).to_contain_text("Brandname gồm tối đa 11 chữ cái")
    assert page.locator("#id_api_key").input_value() == ""  # a secret is never sent back, even in errors
    page.locator("#sms-account").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"sms-account-errors-{name}.png"), full_page=True)

    account = page.locator("#sms-account")
    account.get_by_label("API key / access token").fill(KEY)
    account.get_by_label("Secret key (chỉ eSMS)").fill(SECRET)
    account.get_by_label("Brandname").fill("THCS-A")
    account.get_by_role("button", name="Lưu tài khoản").click()
    expect(page.get_by_text("Đã lưu tài khoản SMS riêng của trường.")).to_be_visible()
    expect(page.locator("[data-account-state=saved]")).to_contain_text("kết thúc bằng …3Fq9")
    assert KEY not in page.content() and SECRET not in page.content()

    account.get_by_role("button", name="Gửi thử một tin tới +84900000011").click()
    expect(page.get_by_text("Gửi thử thành công")).to_be_visible()
    assert esms.requests[-1].body["Phone"] == "0900000011"
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / f"sms-account-saved-{name}.png"), full_page=True)

    account.get_by_role("link", name="Xoá tài khoản riêng").click()
    expect(page.locator("h1")).to_have_text("Xoá tài khoản eSMS riêng của trường?")
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / f"sms-account-remove-{name}.png"), full_page=True)
    page.get_by_role("button", name="Xác nhận xoá").click()
    expect(page.locator("#sms-account [data-account-state=none]")).to_be_visible()
    context.close()


@pytest.fixture
def zalo(django_db_blocker):
    """A local Zalo where the school has its own app and OA; the platform has none."""
    with FakeZalo() as fake:
        addresses = {key: fake.settings()[key] for key in ("url", "oauth_url", "timeout")}
        with override_settings(GATEWAYS={"zalo": addresses}):
            yield fake
    _forget_accounts(django_db_blocker)


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}])
def test_admin_brings_the_schools_own_zalo_oa(browser, live_server_url, zalo, viewport):
    name, context, page = _settings_page(browser, live_server_url, viewport)
    account = page.locator("#zalo-account")
    expect(account).to_contain_text("Trường đang dùng Zalo OA của hệ thống")
    account.get_by_label("App ID").fill("app-" + zalo.APP_ID)
    account.get_by_label("Secret key của ứng dụng").fill(zalo.APP_SECRET)
    account.get_by_label("OA Secret Key (webhook)").fill(zalo.OA_SECRET)
    account.get_by_label("Mã mẫu ZNS").fill(zalo.TEMPLATE_ID)
    account.get_by_label("Refresh token").fill(zalo.seed)
    account.get_by_role("button", name="Lưu tài khoản").click()
    account = page.locator("#zalo-account")
    expect(account).to_contain_text("App ID chỉ gồm chữ số")
    assert page.locator("#id_refresh_token").input_value() == ""  # never sent back
    account.scroll_into_view_if_needed()
    account.screenshot(path=str(ARTIFACTS / f"zalo-account-errors-{name}.png"))

    account.get_by_label("App ID").fill(zalo.APP_ID)
    for label, value in (
        ("Secret key của ứng dụng", zalo.APP_SECRET),
        ("OA Secret Key (webhook)", zalo.OA_SECRET),
        ("Refresh token", zalo.seed),
    ):
        account.get_by_label(label).fill(value)
    account.get_by_role("button", name="Lưu tài khoản").click()
    expect(page.get_by_text("Đã lưu Zalo OA riêng của trường.")).to_be_visible()
    account = page.locator("#zalo-account")
    expect(account.locator("[data-zalo-webhook]")).to_have_text(f"{live_server_url}/hooks/zalo/test-a/")
    assert zalo.seed not in page.content() and zalo.OA_SECRET not in page.content()
    account.get_by_role("button", name="Gửi thử một tin tới +84900000011").click()
    expect(page.get_by_text("Gửi thử thành công")).to_be_visible()
    (accepted,) = zalo.accepted.values()
    assert accepted["phone"] == "84900000011"
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    page.locator("#zalo-account").screenshot(path=str(ARTIFACTS / f"zalo-account-saved-{name}.png"))

    page.locator("#zalo-account").get_by_role("link", name="Xoá tài khoản riêng").click()
    expect(page.locator("h1")).to_have_text("Xoá tài khoản Zalo OA riêng của trường?")
    page.get_by_role("button", name="Xác nhận xoá").click()
    expect(page.locator("#zalo-account [data-account-state=none]")).to_be_visible()
    context.close()
