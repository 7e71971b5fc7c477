"""A school's own Zalo Official Account (messaging.provider_accounts): only the school admin writes it; it
is sealed and never shown back; the school's Zalo messages go through its OA with tokens kept in its own
schema, while other schools keep the platform's (or none); its receipts come to its own webhook, signed with
its OA secret and applied in its schema only; its daily quota pauses only its OA; the test send shows Zalo's
answer. The fake Zalo speaks Zalo's OAuth v4 and ZNS shapes (tests/fakes/zalo.py)."""

import re

import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from messaging.gateways.zalo import paused_until
from messaging.models import Delivery, ProviderAccount, ProviderToken
from messaging.provider_accounts.selectors import account_credentials, gateway_for
from messaging.services import deliveries_send, messages_send
from schoolbook.audit.models import AuditEvent
from tests.fakes.zalo import FakeZalo

SETTINGS = "/s/test-a/messaging/settings/"
SAVE = SETTINGS + "accounts/zalo/"
REMOVE = SETTINGS + "accounts/zalo/remove/"
TEST = SETTINGS + "accounts/zalo/test/"
WEBHOOK_A, WEBHOOK_B = "/hooks/zalo/test-a/", "/hooks/zalo/test-b/"
PHONE = "+84912345678"


def oa_form(zalo, **overrides) -> dict:
    """The form for an OA of the fake Zalo (the fake's own app, or one of its add_app())."""
    data = {
        "app_id": zalo.APP_ID,
        "app_secret": zalo.APP_SECRET,
        "oa_secret": zalo.OA_SECRET,
        "template_id": zalo.TEMPLATE_ID,
        "refresh_token": zalo.seed,
    }
    return data | overrides


def school_a_oa() -> ProviderAccount | None:
    with schema_context("school_test_a"):
        return ProviderAccount.objects.filter(channel="zalo").first()


def tokens_in(schema: str) -> int:
    with schema_context(schema):
        return ProviderToken.objects.filter(provider="zalo").count()


def send_zalo(schema: str) -> Delivery | None:
    """A notice by Zalo only, sent now; None when the school cannot reach anyone by Zalo."""
    with schema_context(schema):
        (message,) = messages_send(
            purpose="test", items=[(PHONE, "Họp phụ huynh thứ Bảy")], channels=["zalo"]
        )
        delivery = Delivery.objects.filter(message=message).first()
        if delivery is not None:
            deliveries_send([delivery.pk])
            delivery.refresh_from_db()
        return delivery


@pytest.fixture
def school_oa(db):
    """The school's own OA at a local Zalo; the platform knows Zalo's addresses but has no OA of its own."""
    with FakeZalo() as zalo:
        addresses = {key: zalo.settings()[key] for key in ("url", "oauth_url", "timeout")}
        with override_settings(GATEWAYS={"zalo": addresses}):
            yield zalo


@pytest.fixture
def zalo(db):
    """One local Zalo serving the platform's OA (the platform's GATEWAYS) and a school's (zalo.school)."""
    with FakeZalo() as fake, override_settings(GATEWAYS={"zalo": fake.settings()}):
        fake.school = fake.add_app()
        yield fake


def sent_by(zalo: FakeZalo, app) -> list[str]:
    return [key for key, body in zalo.accepted.items() if body["app_id"] == app.APP_ID]


def test_only_the_school_admin_writes_the_oa(world, client, school_oa):
    for user in (world.principal_a, world.teacher_a, world.staff_b, world.platform_admin):
        client.force_login(user)
        assert client.post(SAVE, oa_form(school_oa)).status_code == 404, user
        assert client.post(TEST).status_code == 404, user
        assert client.get(REMOVE).status_code == 404, user
    client.force_login(world.staff_b)
    assert client.post("/s/test-b/messaging/settings/accounts/zalo/", oa_form(school_oa)).status_code == 404
    assert school_a_oa() is None


def test_saving_seals_the_oa_and_shows_the_webhook_but_never_the_secrets(world, client, school_oa):
    client.force_login(world.admin_a)
    page = client.get(SETTINGS).content.decode()
    assert 'id="zalo-account"' in page and "Zalo OA của hệ thống" in page
    response = client.post(SAVE, oa_form(school_oa), follow=True)
    page = response.content.decode()
    assert "Đã lưu Zalo OA riêng của trường." in page
    assert "http://testserver/hooks/zalo/test-a/" in page  # where the school points its Zalo app
    for secret in (school_oa.APP_SECRET, school_oa.OA_SECRET, school_oa.seed):
        assert secret not in page
    account = school_a_oa()
    assert (account.provider, account.hint) == ("zalo", school_oa.APP_ID[-4:])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials FROM school_test_a.messaging_provideraccount WHERE channel = 'zalo'"
        )
        (raw,) = cursor.fetchone()
    assert school_oa.seed not in raw and school_oa.APP_SECRET not in raw
    with schema_context("school_test_a"):
        assert account_credentials(account)["refresh_token"] == school_oa.seed
        (event,) = AuditEvent.objects.filter(action="provider_account.save")
    assert event.after == {"provider": "zalo", "key": "…" + school_oa.APP_ID[-4:]}
    client.force_login(world.principal_a)  # sees the state and the webhook, not the form
    page = client.get(SETTINGS).content.decode()
    assert "Official Account riêng của trường" in page and 'action="' + SAVE + '"' not in page


@pytest.mark.parametrize(
    "overrides, field, error",
    [
        ({"app_id": "abc123"}, "app_id", "App ID chỉ gồm chữ số"),
        ({"app_id": ""}, "app_id", "Hãy nhập App ID của ứng dụng Zalo."),
        ({"template_id": "mẫu-1"}, "template_id", "Mã mẫu ZNS chỉ gồm chữ số"),
        ({"refresh_token": ""}, "refresh_token", "Hãy nhập mã do nhà cung cấp cấp cho trường."),
        ({"oa_secret": "short"}, "oa_secret", "Mã không hợp lệ: ít nhất 8 ký tự"),
        ({"app_secret": "has spaces in"}, "app_secret", "Mã không hợp lệ: ít nhất 8 ký tự"),
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_saves_nothing(
    world, client, school_oa, overrides, field, error
):
    client.force_login(world.admin_a)
    response = client.post(SAVE, oa_form(school_oa, **overrides))
    assert response.status_code == 400
    page = response.content.decode()
    errors = re.search(rf'id="id_{field}_error">(.*?)</div>', page, re.S)
    assert errors and error in errors.group(1)
    assert school_oa.seed not in page and school_oa.APP_SECRET not in page
    assert school_a_oa() is None


def test_the_schools_zalo_goes_through_its_oa_with_tokens_in_its_schema(world, client, school_oa):
    assert send_zalo("school_test_a") is None  # no OA anywhere: nobody is reachable by Zalo
    client.force_login(world.admin_a)
    client.post(SAVE, oa_form(school_oa))
    sent = send_zalo("school_test_a")
    assert (sent.gateway, sent.status) == ("zalo", "sent")
    assert school_oa.sent[sent.provider_key] == 1
    assert school_oa.refresh_uses[school_oa.seed] == 1  # the school's refresh token, spent once
    assert tokens_in("school_test_a") == 1 and tokens_in("public") == 0
    assert send_zalo("school_test_a").status == "sent"
    assert school_oa.refreshes == 1  # the stored access token serves the next send
    assert send_zalo("school_test_b") is None  # B has no OA and the platform none


def test_a_schools_oa_and_the_platforms_are_apart(world, client, zalo):
    client.force_login(world.admin_a)
    client.post(SAVE, oa_form(zalo.school))
    from_a, from_b = send_zalo("school_test_a"), send_zalo("school_test_b")
    assert (from_a.status, from_b.status) == ("sent", "sent")
    assert sent_by(zalo, zalo.school) == [from_a.provider_key] and sent_by(zalo, zalo) == [
        from_b.provider_key
    ]
    assert zalo.accepted[from_a.provider_key]["template_id"] == zalo.school.TEMPLATE_ID
    assert tokens_in("school_test_a") == 1 and tokens_in("public") == 1


def test_replacing_or_removing_the_oa_forgets_its_tokens(world, client, school_oa):
    client.force_login(world.admin_a)
    client.post(SAVE, oa_form(school_oa))
    send_zalo("school_test_a")
    fresh = school_oa._new_refresh_token()  # the OA authorised the app again
    client.post(SAVE, oa_form(school_oa, refresh_token=fresh))
    assert tokens_in("school_test_a") == 0
    assert send_zalo("school_test_a").status == "sent"
    assert school_oa.refresh_uses[fresh] == 1
    confirm = client.get(REMOVE).content.decode()
    assert "Xoá tài khoản Zalo OA riêng của trường?" in confirm and school_a_oa() is not None
    page = client.post(REMOVE, follow=True).content.decode()
    assert "Đã xoá Zalo OA riêng" in page
    assert school_a_oa() is None and tokens_in("school_test_a") == 0
    assert send_zalo("school_test_a") is None


def test_receipts_come_to_the_schools_webhook_and_stay_in_its_schema(world, client, school_oa):
    client.force_login(world.admin_a)
    client.post(SAVE, oa_form(school_oa))
    sent = send_zalo("school_test_a")
    client.logout()
    body, headers = school_oa.webhook(sent.provider_key)
    # Not B's (B has no OA), not the platform's (not configured): the same 403, and nothing changes.
    for url in (WEBHOOK_B, "/hooks/zalo/no-such-school/", "/hooks/zalo/"):
        assert client.post(url, body, content_type="application/json", **headers).status_code == 403, url
    forged = {"HTTP_X_ZEVENT_SIGNATURE": "mac=" + "0" * 64}
    assert client.post(WEBHOOK_A, body, content_type="application/json", **forged).status_code == 403
    with schema_context("school_test_a"):
        assert Delivery.objects.get(pk=sent.pk).status == "sent"
    response = client.post(WEBHOOK_A, body, content_type="application/json", **headers)
    assert response.json() == {"updated": 1}
    with schema_context("school_test_a"):
        assert Delivery.objects.get(pk=sent.pk).status == "delivered"
    assert client.post(WEBHOOK_A, body, content_type="application/json", **headers).json() == {"updated": 0}


def test_a_schools_webhook_cannot_touch_another_schools_delivery(world, client, zalo):
    client.force_login(world.admin_a)
    client.post(SAVE, oa_form(zalo.school))
    from_b = send_zalo("school_test_b")  # through the platform's OA
    client.logout()
    # An event naming B's delivery, signed as A's OA: A's webhook looks in A's schema only.
    zalo.accepted[from_b.provider_key]["app_id"] = zalo.school.APP_ID
    body, headers = zalo.webhook(from_b.provider_key)
    response = client.post(WEBHOOK_A, body, content_type="application/json", **headers)
    assert response.json() == {"updated": 0}
    with schema_context("school_test_b"):
        assert Delivery.objects.get(pk=from_b.pk).status == "sent"


def test_the_daily_quota_pauses_only_the_schools_oa(world, client, zalo):
    zalo.school.daily_quota = 0
    client.force_login(world.admin_a)
    client.post(SAVE, oa_form(zalo.school))
    from_a = send_zalo("school_test_a")
    assert from_a.status == "failed" and "-144" in from_a.error
    with schema_context("school_test_a"):
        school_gateway = gateway_for("zalo")
    assert paused_until(school_gateway.oa) and not paused_until(zalo.APP_ID)
    assert send_zalo("school_test_b").status == "sent"  # the platform's OA goes on


def test_test_send_reaches_the_admins_zalo_and_shows_zalos_answer(world, client, school_oa):
    client.force_login(world.admin_a)
    client.post(SAVE, oa_form(school_oa))
    page = client.post(TEST, follow=True).content.decode()
    assert "Gửi thử thành công: nhà cung cấp đã nhận tin tới +84900000011" in page
    (accepted,) = school_oa.accepted.values()
    assert accepted["phone"] == "84900000011" and "Zalo OA riêng" in accepted["template_data"]["content"]
    school_oa.code = -131
    page = client.post(TEST, follow=True).content.decode()
    assert "Nhà cung cấp trả lời: Zalo -131: the template is not approved" in page
    with schema_context("school_test_a"):
        outcomes = [
            e.after["ok"] for e in AuditEvent.objects.filter(action="provider_account.test").order_by("pk")
        ]
    assert outcomes == [True, False]
