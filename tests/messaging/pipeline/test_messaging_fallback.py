"""Channel plans, fallback, contact points, quiet hours, the sweep and "resend to failed", in-process in
school A's schema against local providers: eSMS (HTTP) and a real SMTP server. The school's settings row is
changed inside each test's transaction."""

import datetime
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import ContactPoint
from messaging.delivery_keys import delivery_key
from messaging.gateways.base import Receipt, ReceiptStatus
from messaging.models import Delivery, Message, MessagingSettings
from messaging.outbox.selectors import Recipient
from messaging.outbox.services import messages_resend, messages_send
from messaging.pipeline.services import _fall_back, deliveries_send, deliveries_sweep
from messaging.receipts.services import deliveries_apply_receipts
from tests.fakes.sms_providers import FakeEsms
from tests.fakes.smtp import FakeSmtp

PHONE, EMAIL = "+84912000001", "me.an@example.vn"
PARENT = Recipient(phone=PHONE, email=EMAIL, name="Trần Thị Mẹ An")


@pytest.fixture
def providers(world):
    """eSMS (with a callback URL: it reports delivery) and SMTP in school A; channel order SMS, e-mail."""
    with FakeEsms() as esms, FakeSmtp() as smtp:
        gateways = {"esms": esms.settings()}
        with (
            override_settings(
                SMS_GATEWAY="esms", GATEWAYS=gateways, MESSAGING_MAX_ATTEMPTS=2, **smtp.settings()
            ),
            schema_context(world.school_a.schema_name),
        ):
            order(["sms", "email"])
            yield esms, smtp


def order(channels, **fields):
    MessagingSettings.objects.update(channel_order=channels, **fields)


def deliveries(message):
    return list(
        Delivery.objects.filter(message=message).order_by("pk").values_list("channel", "status", "address")
    )


def send_all(message):
    """Send whatever is queued for the message, as the worker would, until nothing is left."""
    for _ in range(5):
        queued = list(Delivery.objects.filter(message=message, status="queued").values_list("pk", flat=True))
        if not queued:
            return
        deliveries_send(queued)


def test_the_plan_is_the_school_order_narrowed_by_the_sender_and_the_recipient(providers):
    (both,) = messages_send(purpose="t", items=[(PARENT, "Họp phụ huynh")])
    (only_email,) = messages_send(purpose="t", items=[(PARENT, "Họp")], channels=["email", "zalo"])
    (phone_only,) = messages_send(purpose="t", items=[(Recipient(phone=PHONE), "Họp")])
    (nobody,) = messages_send(purpose="t", items=[(Recipient(name="Không liên lạc"), "Họp")])
    assert both.channels == ["sms", "email"]  # push and Zalo are not configured in the tests
    assert deliveries(both) == [("sms", "queued", PHONE)]  # only the first channel, for now
    assert only_email.channels == ["email"] and deliveries(only_email) == [("email", "queued", EMAIL)]
    assert phone_only.channels == ["sms"]
    assert nobody.channels == [] and deliveries(nobody) == []  # kept, so the report can name them


def test_a_refused_mailbox_is_marked_and_the_message_falls_back_to_sms(providers, published):
    esms, smtp = providers
    order(["email", "sms"])
    smtp.rcpt_replies[EMAIL] = "550 5.1.1 No such user"
    (message,) = messages_send(purpose="t", items=[(PARENT, "Lịch thi học kỳ I")])
    send_all(message)
    assert [(c, s) for c, s, _ in deliveries(message)] == [("email", "fallen_back"), ("sms", "sent")]
    assert "550" in Delivery.objects.get(message=message, channel="email").error
    point = ContactPoint.objects.get(channel="email", address=EMAIL)
    assert point.is_bad and "550" in point.bad_reason
    sms = Delivery.objects.get(message=message, channel="sms")
    assert esms.sent == {delivery_key(sms.pk): 1}
    # The next message is planned without the bad address.
    (later,) = messages_send(purpose="t", items=[(PARENT, "Nghỉ học thứ Hai")])
    assert later.channels == ["sms"]


def test_an_account_fault_falls_back_without_blaming_the_parent(providers):
    esms, smtp = providers
    esms.code = "101"  # eSMS: authorisation failed (our keys), permanent
    (message,) = messages_send(purpose="t", items=[(PARENT, "Học phí tháng 11")])
    send_all(message)
    assert [(c, s) for c, s, _ in deliveries(message)] == [("sms", "fallen_back"), ("email", "sent")]
    assert not ContactPoint.objects.filter(address=PHONE).exists()
    assert smtp.count(delivery_key(Delivery.objects.get(message=message, channel="email").pk)) == 1


def test_a_gateway_that_is_down_falls_back_after_its_attempts(providers):
    esms, _smtp = providers
    esms.status = 503  # down: transient every time
    with override_settings(MESSAGING_BACKOFF_BASE_SECONDS=0):
        (message,) = messages_send(purpose="t", items=[(PARENT, "Ngoại khóa")])
        send_all(message)
    sms = Delivery.objects.get(message=message, channel="sms")
    assert (sms.status, sms.attempts) == ("fallen_back", 2)  # MESSAGING_MAX_ATTEMPTS
    assert Delivery.objects.get(message=message, channel="email").status == "sent"


def test_the_last_channel_failing_stays_failed(providers):
    esms, _smtp = providers
    esms.code = "101"
    (message,) = messages_send(purpose="t", items=[(Recipient(phone=PHONE), "Tin")])
    send_all(message)
    assert [(c, s) for c, s, _ in deliveries(message)] == [("sms", "failed")]


def test_falling_back_twice_writes_the_next_channel_once(providers):
    esms, _smtp = providers
    esms.code = "101"
    (message,) = messages_send(purpose="t", items=[(PARENT, "Tin")])
    deliveries_send([Delivery.objects.get(message=message).pk])
    assert _fall_back([message.pk], timezone.now()) == []  # the e-mail is live: nothing to move
    assert Delivery.objects.filter(message=message, channel="email").count() == 1


def test_not_delivered_in_time_moves_on_and_a_receipt_in_time_does_not(providers):
    _esms, _smtp = providers
    order(["sms", "email"], fallback_minutes=30)
    late, prompt = messages_send(
        purpose="t", items=[(PARENT, "Một"), (Recipient(phone="+84912000002", email="b@example.vn"), "Hai")]
    )
    send_all(late)
    send_all(prompt)
    sms_late = Delivery.objects.get(message=late)
    sms_prompt = Delivery.objects.get(message=prompt)
    assert sms_late.fallback_at - sms_late.sent_at == timedelta(minutes=30)
    deliveries_apply_receipts([Receipt(ReceiptStatus.DELIVERED, delivery_key(sms_prompt.pk))], gateway="esms")
    assert deliveries_sweep(sms_late.sent_at + timedelta(minutes=29))["fallback"] == 0
    assert deliveries_sweep(sms_late.sent_at + timedelta(minutes=31))["fallback"] == 1
    assert [(c, s) for c, s, _ in deliveries(late)] == [("sms", "fallen_back"), ("email", "queued")]
    assert [(c, s) for c, s, _ in deliveries(prompt)] == [("sms", "delivered")]
    assert deliveries_sweep(sms_late.sent_at + timedelta(minutes=40))["fallback"] == 0  # once


def test_a_gateway_without_receipts_never_times_out(providers):
    _esms, _smtp = providers
    order(["email", "sms"])
    (message,) = messages_send(purpose="t", items=[(PARENT, "Tin")])
    send_all(message)
    assert deliveries(message) == [("email", "sent", EMAIL)]  # as far as e-mail will ever tell us
    assert Delivery.objects.get(message=message).fallback_at is None


def test_sms_goes_without_accents_unless_the_school_says_otherwise(providers):
    esms, _smtp = providers
    (plain,) = messages_send(purpose="t", items=[(Recipient(phone=PHONE), "Điểm mới môn Toán")])
    send_all(plain)
    order(["sms"], strip_accents=False)
    (accented,) = messages_send(purpose="t", items=[(Recipient(phone=PHONE), "Điểm mới môn Toán")])
    send_all(accented)
    bodies = {key: (body["Content"], body["IsUnicode"]) for key, body in esms.accepted.items()}
    assert bodies[delivery_key(Delivery.objects.get(message=plain).pk)] == ("Diem moi mon Toan", "0")
    assert bodies[delivery_key(Delivery.objects.get(message=accented).pk)] == ("Điểm mới môn Toán", "1")


def test_quiet_hours_hold_what_can_wait_until_the_sweep_after_they_end(
    providers, published, django_capture_on_commit_callbacks
):
    _esms, _smtp = providers
    now = timezone.localtime()
    start, end = (now - timedelta(hours=1)).time(), (now + timedelta(hours=1)).time()
    order(["sms"], quiet_hours_start=start, quiet_hours_end=end)
    with django_capture_on_commit_callbacks(execute=True):
        (held,) = messages_send(purpose="t", items=[(PARENT, "Thông báo chung")])
        (urgent,) = messages_send(purpose="t", items=[(PARENT, "Khẩn cấp: nghỉ học do bão")], emergency=True)
    held_delivery = Delivery.objects.get(message=held)
    assert now < held_delivery.not_before <= now + timedelta(hours=1)  # the end of the window
    urgent_id = Delivery.objects.get(message=urgent).pk
    assert published == [("messaging.tasks.deliver_urgent_batch", [urgent_id], "school_test_a", "urgent")]
    send_all(urgent)  # by the worker, at once
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_sweep(held_delivery.not_before - timedelta(seconds=1))["held"] == 0
        assert deliveries_sweep(held_delivery.not_before)["held"] == 1
        assert deliveries_sweep(held_delivery.not_before + timedelta(minutes=1))["held"] == 0
    assert published == [("messaging.tasks.deliver_batch", [held_delivery.pk], "school_test_a", "default")]


def test_the_sweep_dispatches_queued_deliveries_whose_task_was_lost(
    providers, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the task never reaches the broker
        lost, _recent = messages_send(purpose="t", items=[(PARENT, "Một"), (PARENT, "Hai")], bulk=True)
    Delivery.objects.filter(message=lost).update(queued_at=timezone.now() - timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_sweep()["lost"] == 1
        assert deliveries_sweep()["lost"] == 0  # its queued_at is now: not lost again for 15 minutes
    lost_id = Delivery.objects.get(message=lost).pk
    assert published == [("messaging.tasks.deliver_bulk_batch", [lost_id], "school_test_a", "bulk")]


def test_resend_to_failed_starts_over_on_a_channel_reachable_today(providers):
    esms, _smtp = providers
    order(["sms"])
    esms.code = "108"  # the number is wrong: marked
    failed, fine = messages_send(
        purpose="t", items=[(PARENT, "Một"), (Recipient(phone="+84912000003"), "Hai")]
    )
    send_all(failed)
    assert ContactPoint.objects.get(channel="sms", address=PHONE).is_bad
    assert messages_resend([failed.pk, fine.pk]) == 0  # no reachable channel left; the other is live
    order(["sms", "email"])
    Message.objects.filter(pk=failed.pk).update(channels=["sms", "email"])
    ContactPoint.objects.filter(address=PHONE).update(is_bad=False)  # the parent corrected it
    esms.code = ""
    assert messages_resend([failed.pk]) == 1
    send_all(failed)
    assert [(c, s) for c, s, _ in deliveries(failed)] == [("sms", "failed"), ("sms", "sent")]
    assert messages_resend([failed.pk]) == 0  # sent now: nothing to resend


def test_login_codes_ignore_quiet_hours(providers, published, django_capture_on_commit_callbacks):
    order(["sms"], quiet_hours_start=datetime.time(0, 0), quiet_hours_end=datetime.time(23, 59))
    with django_capture_on_commit_callbacks(execute=True):
        (_code,) = messages_send(purpose="otp", items=[(PHONE, "Mã 123456")], urgent=True)
    assert [name for name, *_ in published] == ["messaging.tasks.deliver_urgent_batch"]
