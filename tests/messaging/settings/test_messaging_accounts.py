"""A school's own SMS account (messaging.provider_accounts) on the messaging settings page: only the school
admin writes it; it is sealed in the database and never shown back, nor written to the audit; the school's
messages go through it (the provider sees its key) while another school's go through the platform's; the
test send shows the provider's answer; rate limits are per account."""

import json
import re

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from messaging.gateways.base import account_key
from messaging.models import Delivery, ProviderAccount
from messaging.outbox.services import messages_send
from messaging.pipeline.services import deliveries_send
from messaging.provider_accounts.selectors import account_credentials, gateway_options
from schoolbook.audit.models import AuditEvent
from schoolbook.ratelimit import redis_client
from schoolbook.sealed import seal
from tests.fakes.sms_providers import FakeEsms, FakeSpeedSms

SETTINGS = "/s/test-a/messaging/settings/"
SAVE = SETTINGS + "accounts/sms/"
REMOVE = SETTINGS + "accounts/sms/remove/"
TEST = SETTINGS + "accounts/sms/test/"
SCHOOL_KEY, SCHOOL_SECRET, SCHOOL_BRAND = "truong-a-api-key-7Q2x", "truong-a-secret-K9pz", "THCS-A"


def esms_form(**overrides) -> dict:
    data = {"provider": "esms", "api_key": SCHOOL_KEY, "secret_key": SCHOOL_SECRET, "sender": SCHOOL_BRAND}
    return data | overrides


def school_a_account() -> ProviderAccount | None:
    with schema_context("school_test_a"):
        return ProviderAccount.objects.first()


def school_a_events(action: str) -> list[AuditEvent]:
    with schema_context("school_test_a"):
        return list(AuditEvent.objects.filter(action=action).order_by("pk"))


@pytest.fixture
def esms(db):
    """The platform's eSMS account at a local eSMS, the platform's SMS gateway."""
    with FakeEsms() as fake, override_settings(SMS_GATEWAY="esms", GATEWAYS={"esms": fake.settings()}):
        yield fake


def as_school_account(fake: FakeEsms):
    """Make the fake eSMS accept the school's own account (and refuse the platform's) from now on."""
    fake.API_KEY, fake.SECRET_KEY, fake.BRANDNAME = SCHOOL_KEY, SCHOOL_SECRET, SCHOOL_BRAND


def send_one(schema: str, phone: str = "+84912345678") -> Delivery:
    with schema_context(schema):
        (message,) = messages_send(
            purpose="test", items=[(phone, "Thông báo họp phụ huynh")], channels=["sms"]
        )
        delivery = Delivery.objects.get(message=message)
        assert deliveries_send([delivery.pk]).retry_ids == []
        delivery.refresh_from_db()
        return delivery


def test_only_the_school_admin_writes_the_account(world, client, esms):
    for user in (world.principal_a, world.teacher_a, world.staff_b, world.platform_admin):
        client.force_login(user)
        assert client.post(SAVE, esms_form()).status_code == 404, user
        assert client.post(TEST).status_code == 404, user
        assert client.get(REMOVE).status_code == 404, user
        assert client.get(SAVE).status_code == 404, user  # not 405: the page does not exist for them
    assert school_a_account() is None
    client.force_login(world.staff_b)  # the admin of nothing in A; B's pages are B's
    assert client.post("/s/test-b/messaging/settings/accounts/sms/", esms_form()).status_code == 404
    client.logout()
    for url in (SAVE, TEST, REMOVE):
        response = client.post(url, esms_form())
        assert response.status_code == 302 and response.url.startswith("/login/")
    assert school_a_account() is None and not school_a_events("provider_account.save")


def test_the_principal_sees_the_state_but_no_form(world, client, esms):
    client.force_login(world.admin_a)
    client.post(SAVE, esms_form())
    client.force_login(world.principal_a)
    page = client.get(SETTINGS).content.decode()
    assert 'data-account-state="saved"' in page and "…7Q2x" in page
    assert 'action="/s/test-a/messaging/settings/accounts/sms/"' not in page
    assert "Gửi thử một tin" not in page


def test_saving_seals_the_account_and_never_shows_or_audits_the_secrets(world, client, esms):
    client.force_login(world.admin_a)
    page = client.get(SETTINGS).content.decode()
    assert 'data-account-state="none"' in page and "tài khoản SMS của hệ thống" in page
    response = client.post(SAVE, esms_form(), follow=True)
    assert response.redirect_chain == [(SETTINGS, 302)]
    page = response.content.decode()
    assert "Đã lưu tài khoản SMS riêng của trường." in page
    assert 'data-account-state="saved"' in page and "…7Q2x" in page and "eSMS" in page
    assert SCHOOL_KEY not in page and SCHOOL_SECRET not in page
    account = school_a_account()
    assert (account.channel, account.provider, account.hint) == ("sms", "esms", "7Q2x")
    with connection.cursor() as cursor:  # the raw column, as a dump would have it
        cursor.execute('SELECT credentials FROM school_test_a."messaging_provideraccount"')
        (raw,) = cursor.fetchone()
    assert SCHOOL_KEY not in raw and SCHOOL_SECRET not in raw and "api_key" not in raw
    with schema_context("school_test_a"):
        assert account_credentials(account) == {
            "api_key": SCHOOL_KEY,
            "secret_key": SCHOOL_SECRET,
            "brandname": SCHOOL_BRAND,
        }
    (event,) = school_a_events("provider_account.save")
    assert event.actor == world.admin_a and event.before is None
    assert event.after == {"provider": "esms", "key": "…7Q2x"}
    # Replaced by a SpeedSMS account: one row still, the old secrets gone, the change audited.
    client.post(SAVE, {"provider": "speedsms", "api_key": "speed-token-ab12", "sender": "THCS-A"})
    account = school_a_account()
    assert (account.provider, account.hint) == ("speedsms", "ab12")
    with schema_context("school_test_a"):
        assert ProviderAccount.objects.count() == 1
        assert account_credentials(account) == {"token": "speed-token-ab12", "sender": "THCS-A"}
    replaced = school_a_events("provider_account.save")[-1]
    assert (replaced.before, replaced.after) == (
        {"provider": "esms", "key": "…7Q2x"},
        {"provider": "speedsms", "key": "…ab12"},
    )
    with schema_context("school_test_a"):
        every_event = json.dumps(list(AuditEvent.objects.values("before", "after", "object_repr")))
    assert not any(s in every_event for s in (SCHOOL_KEY, SCHOOL_SECRET, "speed-token-ab12"))


@pytest.mark.parametrize(
    "overrides, field, error",
    [
        ({"api_key": ""}, "api_key", "Hãy nhập mã do nhà cung cấp cấp cho trường."),
        ({"api_key": "short"}, "api_key", "Mã không hợp lệ: ít nhất 8 ký tự, không có dấu cách."),
        ({"api_key": "has a space in it"}, "api_key", "Mã không hợp lệ: ít nhất 8 ký tự, không có dấu cách."),
        ({"secret_key": ""}, "secret_key", "eSMS cần cả Secret key."),
        ({"sender": ""}, "sender", "Hãy nhập brandname đã đăng ký."),
        ({"sender": "Trường THCS"}, "sender", "Brandname gồm tối đa 11 chữ cái không dấu"),
        ({"sender": "ABCDEFGHIJKL"}, "sender", "Brandname gồm tối đa 11 chữ cái không dấu"),
        ({"provider": "twilio"}, "provider", "Hãy chọn eSMS hoặc SpeedSMS."),
        ({"provider": ""}, "provider", "Hãy chọn nhà cung cấp."),
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_saves_nothing(world, client, esms, overrides, field, error):
    client.force_login(world.admin_a)
    response = client.post(SAVE, esms_form(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    errors = re.search(rf'id="id_{field}_error">(.*?)</div>', page, re.S)
    assert errors and error in errors.group(1)
    assert SCHOOL_SECRET not in page and SCHOOL_KEY not in page  # secrets are not echoed back either
    assert school_a_account() is None and not school_a_events("provider_account.save")


def test_speedsms_needs_no_secret_key(world, client, esms):
    client.force_login(world.admin_a)
    assert client.post(SAVE, esms_form(provider="speedsms", secret_key="")).status_code == 302
    assert school_a_account().provider == "speedsms"


def test_the_schools_messages_use_its_account_and_another_schools_the_platforms(world, client, esms):
    client.force_login(world.admin_a)
    client.post(SAVE, esms_form())
    as_school_account(esms)
    sent_a = send_one("school_test_a")
    assert sent_a.status == "sent" and sent_a.gateway == "esms"
    request = esms.requests[-1].body
    assert (request["ApiKey"], request["SecretKey"], request["Brandname"]) == (
        SCHOOL_KEY,
        SCHOOL_SECRET,
        SCHOOL_BRAND,
    )
    esms.API_KEY, esms.SECRET_KEY, esms.BRANDNAME = FakeEsms.API_KEY, FakeEsms.SECRET_KEY, FakeEsms.BRANDNAME
    sent_b = send_one("school_test_b")
    assert sent_b.status == "sent"
    assert esms.requests[-1].body["ApiKey"] == FakeEsms.API_KEY  # the platform's account


def test_a_school_account_chooses_the_provider_too(world, client):
    """The platform sends by eSMS; a school that brought a SpeedSMS account sends by SpeedSMS."""
    with FakeEsms() as esms, FakeSpeedSms() as speedsms:
        platform = {"esms": esms.settings(), "speedsms": speedsms.settings(token="", sender="")}
        with override_settings(SMS_GATEWAY="esms", GATEWAYS=platform):
            client.force_login(world.admin_a)
            form = {"provider": "speedsms", "api_key": FakeSpeedSms.TOKEN, "sender": FakeSpeedSms.SENDER}
            assert client.post(SAVE, form).status_code == 302
            sent = send_one("school_test_a")
            assert (sent.gateway, sent.status) == ("speedsms", "sent")
            assert sum(speedsms.sent.values()) == 1 and esms.requests == []


def test_rate_limits_are_per_account(world, client):
    with FakeEsms() as esms:
        platform = esms.settings(rate_per_second=30, burst=30)
        with override_settings(SMS_GATEWAY="esms", GATEWAYS={"esms": platform}):
            client.force_login(world.admin_a)
            client.post(SAVE, esms_form())
            as_school_account(esms)
            send_one("school_test_a")
            with schema_context("school_test_a"):
                school_key = account_key(gateway_options("esms"))
    platform_key = account_key(platform)
    assert school_key != platform_key and SCHOOL_KEY not in school_key
    assert redis_client().exists(f"tokenbucket:gateway:esms:{school_key}")
    assert not redis_client().exists(f"tokenbucket:gateway:esms:{platform_key}")
    # The key names the account, not the rest of the options.
    assert account_key(platform | {"timeout": 9, "url": "http://elsewhere/"}) == platform_key


def test_test_send_reaches_the_admins_phone_and_shows_the_answer(world, client, esms):
    client.force_login(world.admin_a)
    client.post(SAVE, esms_form())
    as_school_account(esms)
    page = client.get(SETTINGS).content.decode()
    assert "Gửi thử một tin tới +84900000011" in page
    response = client.post(TEST, follow=True)
    page = response.content.decode()
    assert "Gửi thử thành công: nhà cung cấp đã nhận tin tới +84900000011" in page
    request = esms.requests[-1].body
    assert (request["Phone"], request["ApiKey"]) == ("0900000011", SCHOOL_KEY)
    assert "tin thu qua tai khoan SMS rieng" in request["Content"]
    (event,) = school_a_events("provider_account.test")
    assert event.actor == world.admin_a and event.after["ok"] is True


def test_test_send_shows_the_providers_error_in_words(world, client, esms):
    client.force_login(world.admin_a)
    client.post(SAVE, esms_form(api_key="a-wrong-api-key"))  # the fake knows only its own key
    page = client.post(TEST, follow=True).content.decode()
    assert "Gửi thử không thành công. Nhà cung cấp trả lời: eSMS 101: wrong eSMS ApiKey or SecretKey" in page
    assert esms.requests[-1].body["ApiKey"] == "a-wrong-api-key"
    (event,) = school_a_events("provider_account.test")
    assert event.after["ok"] is False and "101" in event.after["answer"]
    assert "a-wrong-api-key" not in json.dumps(event.after)


def test_removing_asks_first_then_the_platforms_account_is_used_again(world, client, esms):
    client.force_login(world.admin_a)
    client.post(SAVE, esms_form())
    confirm = client.get(REMOVE)
    assert confirm.status_code == 200
    assert "tin SMS của trường gửi qua tài khoản của hệ thống" in confirm.content.decode()
    assert school_a_account() is not None  # asking changes nothing
    response = client.post(REMOVE, follow=True)
    assert "Đã xoá tài khoản SMS riêng" in response.content.decode()
    assert school_a_account() is None
    (event,) = school_a_events("provider_account.remove")
    assert event.before == {"provider": "esms", "key": "…7Q2x"}
    assert send_one("school_test_a").status == "sent"
    assert esms.requests[-1].body["ApiKey"] == FakeEsms.API_KEY
    assert client.post(TEST).status_code == 302  # nothing to test: back to the page, nothing sent
    assert len(esms.requests) == 1


def test_an_account_sealed_under_another_key_is_not_replaced_by_the_platforms(world, esms):
    with schema_context("school_test_a"):
        with override_settings(SEALING_KEY=Fernet.generate_key().decode()):
            sealed = seal(json.dumps({"api_key": SCHOOL_KEY, "secret_key": SCHOOL_SECRET, "brandname": "X"}))
        ProviderAccount.objects.create(channel="sms", provider="esms", credentials=sealed, hint="7Q2x")
        options = gateway_options("esms")
    assert (options["api_key"], options["secret_key"], options["brandname"]) == ("", "", "")
    assert options["url"] == esms.settings()["url"]
