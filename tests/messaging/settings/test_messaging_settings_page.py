"""The school's messaging settings page (/s/<code>/messaging/settings/): who may open it, what it offers
(configured channels and SMS gateways only), validation in Vietnamese, the audited save, and the SMS price
example with and without accents."""

import datetime
import re

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from messaging.models import MessagingSettings
from messaging.outbox.selectors import Recipient
from messaging.outbox.services import messages_send
from schoolbook.audit.models import AuditEvent
from tests.fakes.sms_providers import FakeHttpSms

URL = "/s/test-a/messaging/settings/"


def form_data(**overrides) -> dict:
    data = {
        "position_push": "",
        "position_zalo": "",
        "position_sms": "1",
        "position_email": "2",
        "fallback_minutes": "15",
        "sms_gateway": "",
        "strip_accents": "on",
        "quiet_hours_start": "21:30",
        "quiet_hours_end": "06:00",
        "teacher_notices_need_approval": "on",
    }
    return {k: v for k, v in (data | overrides).items() if v is not None}


def school_a_settings() -> MessagingSettings:
    with schema_context("school_test_a"):
        return MessagingSettings.objects.get()


@pytest.fixture
def http_sms(db):
    """A configured HTTP SMS gateway (a local provider) alongside the console default."""
    with FakeHttpSms() as fake, override_settings(GATEWAYS={"http_sms": fake.settings()}):
        yield fake


def test_only_admin_and_principal_see_the_page(world, client):
    for user in (world.teacher_a, world.staff_b, world.platform_admin):
        client.force_login(user)
        assert client.get(URL).status_code == 404, user
        assert client.post(URL, form_data()).status_code == 404, user
    assert school_a_settings().channel_order == ["push", "zalo", "sms", "email"]  # untouched
    client.force_login(world.staff_b)
    assert client.get("/s/test-b/messaging/settings/").status_code == 404  # a teacher in B: not theirs either
    for user in (world.admin_a, world.principal_a):
        client.force_login(user)
        assert client.get(URL).status_code == 200, user
    client.logout()
    anonymous = client.get(URL)
    assert anonymous.status_code == 302 and anonymous.url.startswith("/login/")


def test_the_page_shows_the_saved_order_and_unconfigured_channels(world, client, http_sms):
    client.force_login(world.principal_a)
    page = client.get(URL).content.decode()
    # The conftest order: push, zalo, sms, email (1–4); push and Zalo have no credentials in this test.
    assert re.search(r'name="position_push"[^>]*>.*?<option value="1" selected', page, re.S)
    assert re.search(r'name="position_email"[^>]*>.*?<option value="4" selected', page, re.S)
    rows = re.findall(r'data-channel-state="position_(\w+)"', page)
    assert rows == ["push", "zalo", "sms", "email"]  # listed in the school's order
    assert "Zalo: chưa cấu hình" in page
    assert "Thông báo đẩy: chưa cấu hình" in page
    sms_state = re.search(r'data-channel-state="position_sms">(.*?)</td>', page, re.S).group(1)
    assert "đã cấu hình" in sms_state


def test_sms_gateway_choices_are_the_configured_sms_gateways(world, client, http_sms):
    client.force_login(world.admin_a)
    with override_settings(SMS_GATEWAY="http_sms", DEBUG=False):
        page = client.get(URL).content.decode()
        options = re.search(r'<select name="sms_gateway".*?</select>', page, re.S).group(0)
        assert 'value="http_sms"' in options
        assert 'value="console"' not in options  # sends nothing to phones: only in development
        assert 'value="email"' not in options and 'value="webpush"' not in options  # not SMS gateways
        refused = client.post(URL, form_data(sms_gateway="console"))
        assert refused.status_code == 400
        assert "Nhà cung cấp SMS này chưa được cấu hình trên hệ thống." in refused.content.decode()
        assert client.post(URL, form_data(sms_gateway="http_sms")).status_code == 302
    assert school_a_settings().sms_gateway == "http_sms"
    with override_settings(SMS_GATEWAY="console", DEBUG=False):  # the platform's own default: offered
        assert 'value="console"' in client.get(URL).content.decode()


def test_saving_writes_the_row_and_one_audit_event(world, client, http_sms):
    client.force_login(world.admin_a)
    response = client.post(
        URL, form_data(position_email="1", position_sms="2", position_zalo="3", sms_gateway="http_sms")
    )
    assert response.status_code == 302 and response.url == URL
    saved = school_a_settings()
    assert saved.channel_order == ["email", "sms", "zalo"]  # push: not used
    assert (saved.fallback_minutes, saved.sms_gateway, saved.strip_accents) == (15, "http_sms", True)
    assert (saved.quiet_hours_start, saved.quiet_hours_end) == (datetime.time(21, 30), datetime.time(6, 0))
    assert saved.teacher_notices_need_approval is True
    with schema_context("school_test_a"):
        event = AuditEvent.objects.get(action="messaging_settings.update")
        assert event.actor == world.admin_a
        assert event.before["channel_order"] == ["push", "zalo", "sms", "email"]
        assert event.after["channel_order"] == ["email", "sms", "zalo"]
        assert event.after["quiet_hours_start"] == "21:30" and event.before["quiet_hours_start"] == "00:00"
        assert "strip_accents" not in event.after  # unchanged values are not in the record
    page = client.get(URL).content.decode()
    assert "Đã lưu cài đặt gửi tin." in page
    assert re.findall(r'data-channel-state="position_(\w+)"', page) == ["email", "sms", "zalo", "push"]
    # The same form again changes nothing: no second event.
    client.post(
        URL, form_data(position_email="1", position_sms="2", position_zalo="3", sms_gateway="http_sms")
    )
    with schema_context("school_test_a"):
        assert AuditEvent.objects.filter(action="messaging_settings.update").count() == 1
    # Unticked boxes are saved as off; equal times mean no quiet hours.
    client.post(
        URL,
        form_data(strip_accents=None, teacher_notices_need_approval=None, quiet_hours_end="21:30"),
    )
    saved = school_a_settings()
    assert (saved.strip_accents, saved.teacher_notices_need_approval) == (False, False)
    assert saved.quiet_hours_start == saved.quiet_hours_end


def test_the_first_save_creates_the_schools_row(world, client):
    with schema_context("school_test_a"):
        MessagingSettings.objects.all().delete()
    client.force_login(world.principal_a)
    page = client.get(URL).content.decode()  # the defaults, before any row exists
    assert re.search(r'name="fallback_minutes" value="30"', page)
    assert client.post(URL, form_data(fallback_minutes="45")).status_code == 302
    saved = school_a_settings()
    assert (saved.fallback_minutes, saved.channel_order) == (45, ["sms", "email"])
    with schema_context("school_test_a"):
        assert AuditEvent.objects.filter(action="messaging_settings.update").count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fallback_minutes": "0"}, "Thời gian chuyển kênh phải từ 1 đến 1440 phút (một ngày)."),
        ({"fallback_minutes": "1441"}, "Thời gian chuyển kênh phải từ 1 đến 1440 phút (một ngày)."),
        ({"fallback_minutes": "mười"}, "Hãy nhập một số phút nguyên."),
        ({"position_sms": "", "position_email": ""}, "Hãy chọn ít nhất một kênh gửi."),
        ({"position_sms": "1", "position_email": "1"}, "Mỗi kênh cần một thứ tự khác nhau (1, 2, 3…)."),
        ({"position_sms": "9"}, "Hãy chọn một thứ tự trong danh sách."),
        ({"quiet_hours_start": "25:00"}, "Hãy nhập giờ dạng 21:00."),
        ({"sms_gateway": "nope"}, "Nhà cung cấp SMS này chưa được cấu hình trên hệ thống."),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_saved(world, client, overrides, message):
    client.force_login(world.admin_a)
    response = client.post(URL, form_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert school_a_settings().channel_order == ["push", "zalo", "sms", "email"]
    with schema_context("school_test_a"):
        assert not AuditEvent.objects.filter(action="messaging_settings.update").exists()


def test_the_price_example_shows_segments_and_cost_with_and_without_accents(world, client):
    client.force_login(world.admin_a)
    with override_settings(SMS_PRICE_PER_SEGMENT_VND=1200):
        page = client.get(URL).content.decode()
    assert "Mỗi phần tin SMS: 1.200 đ." in page
    accented = re.search(r'data-example="accented">(.*?)</tr>', page, re.S).group(1)
    plain = re.search(r'data-example="plain">(.*?)</tr>', page, re.S).group(1)
    assert "Trường thông báo" in accented and "UCS-2" in accented
    assert "Truong thong bao" in plain and "GSM-7" in plain
    cells = [re.findall(r'<td class="num"[^>]*>(.*?)</td>', row) for row in (accented, plain)]
    assert cells == [["99", "2", "2.400 đ"], ["99", "1", "1.200 đ"]]


def test_what_is_saved_is_what_the_pipeline_plans_with(world, client):
    """The order chosen on the page is the plan of the next message: e-mail first, then SMS."""
    client.force_login(world.admin_a)
    client.post(URL, form_data(position_email="1", position_sms="2", quiet_hours_end="21:30"))
    with schema_context("school_test_a"):
        (message,) = messages_send(
            purpose="test", items=[(Recipient(phone="+84912345678", email="ph@example.vn"), "Tin")]
        )
        assert message.channels == ["email", "sms"]
        assert [(d.channel, d.not_before) for d in message.deliveries.all()] == [("email", None)]
