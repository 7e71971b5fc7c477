"""The compose page's estimate: recipients per channel, the unreachable, SMS segments and cost in
đồng, planned as messages_send plans, with the school's accent setting."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from messaging.models import MessagingSettings
from messaging.outbox.selectors import Recipient, format_vnd, items_estimate, send_estimate
from tests.factories import guardian_account
from tests.notices.test_notices import build

PRICE = 800
VIETNAMESE = "Thông báo: học sinh nghỉ học ngày mai do bão, phụ huynh đón con lúc 10 giờ."  # 76 characters


@pytest.fixture
def est(world, settings):
    settings.GATEWAYS = {}  # no Zalo, no push: plans are SMS and e-mail
    settings.SMS_PRICE_PER_SEGMENT_VND = PRICE
    with schema_context(world.school_a.schema_name):
        yield world


def prefs(**values):
    MessagingSettings.objects.update(**values)


PEOPLE = [
    Recipient(phone="+84912000001", name="Chỉ có số"),
    Recipient(phone="+84912000002", email="me@example.vn", name="Số và email"),
    Recipient(email="bo@example.vn", name="Chỉ có email"),
    Recipient(name="Không có gì"),
]


@pytest.mark.parametrize(
    ("body", "strip_accents", "segments"),
    [
        ("", True, 0),
        ("a" * 160, True, 1),  # GSM-7: 160 in one SMS
        ("a" * 161, True, 2),  # then 153 per part
        ("a" * 306, True, 2),
        ("a" * 307, True, 3),
        ("{" * 80, True, 1),  # extension characters count twice
        ("{" * 81, True, 2),
        (VIETNAMESE[:70], False, 1),  # with accents: UCS-2, 70 in one SMS
        (VIETNAMESE, False, 2),  # then 67 per part
        (VIETNAMESE, True, 1),  # the same text without accents fits GSM-7
        ("Nghỉ học ngày mai.", False, 1),
    ],
)
def test_segments_and_cost_with_and_without_accents(est, body, strip_accents, segments):
    prefs(strip_accents=strip_accents)
    estimate = send_estimate(PEOPLE, body, None)
    assert estimate.pop("token")
    assert estimate == {
        "messages": 4,
        "by_channel": {"sms": 2, "email": 1},
        "unreachable": 1,
        "sms_segments": segments,
        "sms_cost_vnd": 2 * segments * PRICE,
        "sms_cost_if_all_fall_back_vnd": 2 * segments * PRICE,
    }


def test_texts_of_different_lengths_cost_what_each_costs(est):
    """Grade messages differ per guardian: each text's own segments are paid for."""
    prefs(strip_accents=True)
    short, long = "a" * 100, "a" * 200  # 1 and 2 segments
    items = [(PEOPLE[0], short), (PEOPLE[1], long), (PEOPLE[2], long), (PEOPLE[3], short)]
    estimate = items_estimate(items, None)
    assert estimate["messages"] == 4 and estimate["by_channel"] == {"sms": 2, "email": 1}
    assert estimate["sms_segments"] == 2  # the longest
    assert estimate["sms_cost_vnd"] == (1 + 2) * PRICE


def test_the_token_changes_with_any_recipient_or_text(est):
    items = [(PEOPLE[0], "Họp"), (PEOPLE[1], "Họp")]
    token = items_estimate(items, None)["token"]
    assert items_estimate(list(reversed(items)), None)["token"] == token  # the order does not matter
    assert items_estimate(items[:1], None)["token"] != token
    assert items_estimate([(PEOPLE[0], "Họp"), (PEOPLE[1], "Họp!")], None)["token"] != token
    assert items_estimate(items, ["email"])["token"] != token


def test_sms_after_email_costs_nothing_unless_email_fails(est):
    prefs(channel_order=["email", "sms"])
    estimate = send_estimate(PEOPLE, "a" * 200, None)
    assert estimate["by_channel"] == {"email": 2, "sms": 1}
    assert estimate["sms_cost_vnd"] == 1 * 2 * PRICE
    assert estimate["sms_cost_if_all_fall_back_vnd"] == 2 * 2 * PRICE  # both who have a phone
    only_email = send_estimate(PEOPLE, "a" * 200, ["email"])
    assert only_email["by_channel"] == {"email": 2} and only_email["unreachable"] == 2
    assert only_email["sms_cost_if_all_fall_back_vnd"] == 0


def test_the_estimate_takes_the_same_queries_whatever_the_size(est):
    def queries(count):
        people = [Recipient(phone=f"+849120{n:05d}") for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            assert send_estimate(people, "Họp phụ huynh", None)["by_channel"] == {"sms": count}
        return len(captured)

    queries(1)  # the connection's first query in the schema also sets its search_path
    # The settings, the school's own SMS account (messaging.provider_accounts), the addresses reported bad.
    assert queries(5) == queries(500) == 3


def test_money_is_written_the_vietnamese_way():
    assert [format_vnd(n) for n in (0, 800, 12000, 1234000)] == ["0 đ", "800 đ", "12.000 đ", "1.234.000 đ"]


def test_the_compose_page_updates_the_estimate(est, client, settings):
    settings.SITE_URL = "https://sobl.example.vn"
    n = build(est)
    prefs(strip_accents=True)
    client.force_login(est.teacher_a)
    fields = {"title": "Họp", "body": "Họp phụ huynh lúc 8 giờ.", "category": "general", "audience": "school"}
    page = client.post("/s/test-a/notices/estimate/", fields, HTTP_HX_REQUEST="true").content.decode()
    # The mother and Dũng's guardian, by SMS; one segment each without accents.
    assert "2 người nhận" in page and "1.600 đ" in page and 'id="estimate"' in page
    emergency = client.post("/s/test-a/notices/estimate/", {**fields, "category": "emergency"})
    assert "3 người nhận" in emergency.content.decode()  # Bình's father too: an emergency
    nothing = client.post("/s/test-a/notices/estimate/", {"title": "Họp"}).content.decode()
    assert "Chọn người nhận để xem" in nothing
    client.force_login(guardian_account(est, n.mother))
    assert client.post("/s/test-a/notices/estimate/", fields).status_code == 404
    client.force_login(est.staff_b)
    assert client.post("/s/test-a/notices/estimate/", fields).status_code == 404


def test_the_estimate_counts_the_link_line_of_attachments(est, client, settings):
    """A notice with attachments carries "Xem: <link>": the compose page's estimate counts it, whether the
    file was just chosen (the URL-encoded HTMX post sends a non-empty value) or saved before and kept."""
    settings.SITE_URL = "https://so-lien-lac-dien-tu.example.vn"
    build(est)
    prefs(strip_accents=True)
    client.force_login(est.teacher_a)
    body = "a" * 100  # with the school name and title one GSM-7 segment; the link line makes it two
    fields = {"title": "Họp", "body": body, "category": "general", "audience": "school"}

    def segments(extra):
        page = client.post("/s/test-a/notices/estimate/", {**fields, **extra}).content.decode()
        return re.search(r'data-figure="sms-segments">(\d+)<', page).group(1)

    assert segments({}) == "1"
    assert segments({"attachments": "[object File]"}) == "2"  # a file chosen in the form
    assert segments({"saved_attachments": "1"}) == "2"  # a saved one, kept
    assert segments({"saved_attachments": "1", "remove_attachments": ["7"]}) == "1"  # ticked for removal
