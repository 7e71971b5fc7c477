"""messaging.reports.selectors: counts by channel × status, outcomes per message, the per-recipient list
(filter, pagination, constant queries) and the streaming CSV, for messages written by messages_send in
school A.
One case runs the real pipeline: an SMS provider (a local HTTP server) refuses, the message falls back to
e-mail (Django's test mail backend), and the report shows both channels in order with the reason."""

import csv
import io

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from messaging.models import Delivery, MessagingSettings
from messaging.outbox.selectors import Recipient
from messaging.outbox.services import messages_send
from messaging.pipeline.services import deliveries_send
from messaging.reports.selectors import delivery_csv, delivery_report, delivery_rows, failed_message_ids
from tests.fakes.sms_providers import FakeHttpSms

REF = "notice:900"
S = Delivery.Status


def _person(k: int, **extra) -> Recipient:
    return Recipient(phone=f"+8491{k:07d}", name=f"Phụ huynh {k:03d}", **extra)


def _force(message, status, error="", channel=None):
    """Put a message's delivery in `status` as the pipeline would have (fixtures only)."""
    delivery = message.deliveries.get(channel=channel or message.channels[0])
    sent_at = timezone.now() if status in (S.SENT, S.DELIVERED, S.FALLEN_BACK) else None
    Delivery.objects.filter(pk=delivery.pk).update(status=status, error=error, sent_at=sent_at)
    return delivery


@pytest.fixture
def report_a(world):
    """In school A: seven recipients of REF by SMS (console), one per status, plus one nobody can reach;
    the same reference in school B and another reference in A, which the report must not count."""
    with schema_context("school_test_b"):
        messages_send(purpose="notice", reference=REF, items=[(_person(1), "B")])
    with schema_context("school_test_a"):
        messages_send(purpose="notice", reference="notice:901", items=[(_person(1), "khác")])
        people = [_person(k) for k in range(6)]
        people[5] = _person(5, email="ph5@example.vn")
        nobody = Recipient(name="Không Liên Lạc")
        messages = messages_send(
            purpose="notice", reference=REF, items=[(p, "Họp phụ huynh") for p in [*people, nobody]]
        )
        _, sending, sent, delivered, failed, fell, _ = messages
        _force(sending, S.SENDING)
        _force(sent, S.SENT)
        _force(delivered, S.DELIVERED)
        _force(failed, S.FAILED, error="108 Phone number is invalid")
        _force(fell, S.FALLEN_BACK, error="HTTP 503")
        Delivery.objects.create(
            message=fell, channel="email", gateway="email", address="ph5@example.vn", status=S.FAILED,
            error="550 mailbox unavailable",
        )  # fmt: skip
        yield messages


def test_counts_by_channel_and_status_and_outcomes(report_a):
    with CaptureQueriesContext(connection) as queries:
        report = delivery_report(REF)
    assert len(queries) == 2
    assert [(row.channel, row.total) for row in report.by_channel] == [("sms", 6), ("email", 1)]
    sms = report.by_channel[0].counts
    assert sms == {"queued": 1, "sending": 1, "sent": 1, "delivered": 1, "failed": 1, "fallen_back": 1}
    assert report.by_channel[1].counts["failed"] == 1
    assert report.status_totals == {
        "queued": 1, "sending": 1, "sent": 1, "delivered": 1, "failed": 2, "fallen_back": 1,
    }  # fmt: skip
    assert report.outcomes == {"reached": 2, "pending": 2, "failed": 2, "unreachable": 1}
    assert report.messages == 7


def test_an_unknown_reference_is_an_empty_report(world):
    with schema_context("school_test_a"):
        report = delivery_report("notice:0")
        assert (report.by_channel, report.messages) == ([], 0)
        assert report.outcomes == {"reached": 0, "pending": 0, "failed": 0, "unreachable": 0}
        assert delivery_rows("notice:0").paginator.count == 0


def test_rows_name_the_channels_tried_in_order_and_the_last_reason(report_a):
    queued, sending, sent, delivered, failed, fell, unreachable = report_a
    page = delivery_rows(REF)
    assert page.paginator.count == 7
    rows = {m.pk: m for m in page}
    # In Vietnamese class-list order: by given name, and the digits of "Phụ huynh 000" come before letters.
    assert [m.recipient for m in page] == [f"Phụ huynh {k:03d}" for k in range(6)] + ["Không Liên Lạc"]
    assert rows[fell.pk].outcome == "failed"
    assert [(d.channel, d.status) for d in rows[fell.pk].tried] == [
        ("sms", "fallen_back"),
        ("email", "failed"),
    ]
    assert rows[fell.pk].last_error == "550 mailbox unavailable"  # the reason of the last channel tried
    assert rows[fell.pk].sent_at is not None
    assert (rows[failed.pk].outcome, rows[failed.pk].last_error) == ("failed", "108 Phone number is invalid")
    assert (rows[unreachable.pk].outcome, rows[unreachable.pk].tried) == ("unreachable", [])
    assert {rows[pk].outcome for pk in (sent.pk, delivered.pk)} == {"reached"}
    assert {rows[pk].outcome for pk in (queued.pk, sending.pk)} == {"pending"}
    assert rows[queued.pk].sent_at is None and rows[queued.pk].last_error == ""


@pytest.mark.parametrize(
    ("status", "expected"),
    [("failed", {"failed", "fell"}), ("reached", {"sent", "delivered"}), ("pending", {"queued", "sending"}),
     ("unreachable", {"unreachable"}), ("bogus", None), (None, None)],
)  # fmt: skip
def test_rows_filter_by_outcome(report_a, status, expected):
    names = ["queued", "sending", "sent", "delivered", "failed", "fell", "unreachable"]
    by_pk = {m.pk: name for m, name in zip(report_a, names, strict=True)}
    got = {by_pk[m.pk] for m in delivery_rows(REF, status=status)}
    assert got == (expected or set(names))  # an unknown filter shows everyone


def test_failed_message_ids_are_what_resend_to_failed_takes(report_a):
    failed, fell = report_a[4], report_a[5]
    assert sorted(failed_message_ids(REF)) == sorted([failed.pk, fell.pk])


def test_rows_are_paginated_with_a_constant_number_of_queries(world):
    with schema_context("school_test_a"):
        messages_send(purpose="notice", reference=REF, items=[(_person(k), "Tin") for k in range(3)])
        with CaptureQueriesContext(connection) as small:
            [m.tried for m in delivery_rows(REF)]
        messages_send(purpose="notice", reference=REF, items=[(_person(k), "Tin") for k in range(3, 60)])
        with CaptureQueriesContext(connection) as large:
            first = delivery_rows(REF)
            [(m.tried, m.last_error) for m in first]
        assert len(large) == len(small) == 3  # count, page, deliveries
        assert (first.paginator.count, len(first), first.paginator.num_pages) == (60, 50, 2)
        second = delivery_rows(REF, page=2)
        assert len(second) == 10 and second.number == 2
        assert delivery_rows(REF, page="x").number == 1 and delivery_rows(REF, page=99).number == 2
        assert {m.recipient for m in first} | {m.recipient for m in second} == {
            f"Phụ huynh {k:03d}" for k in range(60)
        }


def test_csv_has_a_bom_vietnamese_headers_and_every_recipient(report_a):
    fell = report_a[5]
    Delivery.objects.filter(message=report_a[0]).update(error="=cmd|' /C calc'!A0")
    lines = delivery_csv(REF)
    # The response is streamed after the view has returned: the rows keep its schema and language.
    connection.set_schema_to_public()
    with translation.override("en"):
        text = "".join(lines)
    assert text.startswith("\ufeffNgười nhận,Số điện thoại,Email,Kết quả,Các kênh đã thử,Lý do lỗi,Gửi lúc")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1 + 7
    by_name = {row[0]: row for row in rows[1:]}
    row = by_name[fell.recipient]
    assert row[1:4] == ["0910 000 005", "ph5@example.vn", "Gửi lỗi"]
    assert row[4] == "SMS: Đã chuyển kênh khác; Email: Gửi lỗi"
    assert row[5] == "550 mailbox unavailable"
    assert row[6].count("/") == 2  # dd/mm/yyyy hh:mm, local time
    assert by_name["Không Liên Lạc"][3:6] == ["Không có kênh liên lạc", "", ""]
    assert by_name[report_a[0].recipient][5] == "'=cmd|' /C calc'!A0"  # never a formula in Excel


def test_a_real_sms_failure_falls_back_to_email_and_the_report_shows_both(world):
    """The pipeline, not fixtures: the SMS provider refuses the account (HTTP 401: permanent), the
    message falls back to e-mail, which is sent; a second recipient has no e-mail and ends failed."""
    with FakeHttpSms() as provider, schema_context("school_test_a"):
        MessagingSettings.objects.update(channel_order=["sms", "email"])
        broken = provider.settings(headers="{}")  # no credentials: the provider answers 401
        with override_settings(SMS_GATEWAY="http_sms", GATEWAYS={"http_sms": broken}):
            both, phone_only = messages_send(
                purpose="notice",
                reference=REF,
                items=[(_person(1, email="ph1@example.vn"), "Nghỉ học"), (_person(2), "Nghỉ học")],
            )
            sms = list(Delivery.objects.filter(message__reference=REF).values_list("pk", flat=True))
            assert deliveries_send(sms).retry_ids == []
            email = list(Delivery.objects.filter(message=both, channel="email").values_list("pk", flat=True))
            assert len(email) == 1
            assert deliveries_send(email).retry_ids == []
        assert provider.total_sent == 0 and [m.to for m in mail.outbox] == [["ph1@example.vn"]]
        report = delivery_report(REF)
        assert [(r.channel, r.counts) for r in report.by_channel] == [
            ("sms", {"queued": 0, "sending": 0, "sent": 0, "delivered": 0, "failed": 1, "fallen_back": 1}),
            ("email", {"queued": 0, "sending": 0, "sent": 1, "delivered": 0, "failed": 0, "fallen_back": 0}),
        ]
        assert report.outcomes == {"reached": 1, "pending": 0, "failed": 1, "unreachable": 0}
        rows = {m.pk: m for m in delivery_rows(REF)}
        assert [(d.channel, d.status) for d in rows[both.pk].tried] == [
            ("sms", "fallen_back"),
            ("email", "sent"),
        ]
        assert rows[both.pk].outcome == "reached"
        assert rows[phone_only.pk].outcome == "failed"
        assert rows[phone_only.pk].last_error.startswith("HTTP 401")
        assert failed_message_ids(REF) == [phone_only.pk]


def test_rows_and_csv_list_the_recipients_in_vietnamese_order(world):
    """By given name, then middle and family name; đ after d, â after a, tones only between equal letters."""
    names = ["Đặng Thị Ánh", "Dương Văn Dũng", "Bùi Thị Anh", "Trần Đức", "Vũ Thị Ân", "Đỗ Văn Dũng"]
    expected = ["Bùi Thị Anh", "Đặng Thị Ánh", "Vũ Thị Ân", "Dương Văn Dũng", "Đỗ Văn Dũng", "Trần Đức"]
    with schema_context("school_test_a"):
        people = [Recipient(phone=f"+8491{k:07d}", name=name) for k, name in enumerate(names)]
        messages_send(purpose="notice", reference=REF, items=[(p, "Tin") for p in people])
        assert [m.recipient for m in delivery_rows(REF)] == expected
        text = "".join(delivery_csv(REF))
    assert [row[0] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))][1:] == expected
