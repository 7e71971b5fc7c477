"""The school home's recent events read as sentences with dates in words, in the page's language."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from accounts.roles import Role
from schoolbook.audit.models import AuditEvent
from schoolbook.dates import moment_words
from students.services import staff_add

TODAY = datetime.date(2026, 12, 7)


@pytest.mark.parametrize(
    ("moment", "language", "expected"),
    [
        (datetime.datetime(2026, 12, 7, 9, 15), "vi", "hôm nay lúc 09:15"),
        (datetime.datetime(2026, 12, 7, 0, 0), "vi", "hôm nay lúc 00:00"),
        (datetime.datetime(2026, 12, 6, 18, 2), "vi", "hôm qua lúc 18:02"),
        (datetime.datetime(2026, 12, 5, 23, 59), "vi", "5 tháng 12, 2026 lúc 23:59"),
        (datetime.datetime(2026, 1, 1, 7, 5), "vi", "1 tháng 1, 2026 lúc 07:05"),
        (datetime.datetime(2025, 12, 7, 9, 15), "vi", "7 tháng 12, 2025 lúc 09:15"),
        (datetime.datetime(2026, 12, 8, 8, 0), "vi", "8 tháng 12, 2026 lúc 08:00"),  # tomorrow: a date
        (datetime.datetime(2026, 12, 7, 9, 15), "en", "today at 09:15"),
        (datetime.datetime(2026, 12, 6, 18, 2), "en-us", "yesterday at 18:02"),
        (datetime.datetime(2026, 3, 31, 13, 40), "en", "31 March 2026 at 13:40"),
        (datetime.datetime(2026, 3, 31, 13, 40), "fr", "31 tháng 3, 2026 lúc 13:40"),  # else Vietnamese
    ],
)
def test_moment_words(moment, language, expected):
    assert moment_words(moment, today=TODAY, language=language) == expected


def _events(page):
    section = re.search(r'<ul class="events">(.*?)</ul>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", section, re.S)]


def test_recent_events_are_sentences_with_vietnamese_or_english_dates(client, school):
    world = school
    staff_add(
        actor=world.admin_a, school=world.school_a, phone="0900000077", full_name="Ngô Văn Mới",
        roles=[Role.TEACHER],
    )  # fmt: skip
    event = AuditEvent.objects.filter(action="staff.add").latest("pk")
    older = AuditEvent.objects.create(action="year.rollover", object_repr="2026-2027")
    AuditEvent.objects.filter(pk=older.pk).update(
        created_at=datetime.datetime(2025, 12, 7, 9, 15, tzinfo=ZoneInfo(settings.TIME_ZONE))
    )
    client.force_login(world.admin_a)
    events = _events(client.get("/s/test-a/").content.decode())
    hhmm = event.created_at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%H:%M")
    assert events[0] == f"Lê Quản Trị A đã thêm cán bộ Ngô Văn Mới · hôm nay lúc {hhmm}"
    assert "Hệ thống đã chuyển năm học 2026-2027 · 7 tháng 12, 2025 lúc 09:15" in events

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _events(client.get("/s/test-a/").content.decode())
    assert english[0] == f"Lê Quản Trị A added staff member Ngô Văn Mới · today at {hhmm}"
    assert "System rolled over to the school year 2026-2027 · 7 December 2025 at 09:15" in english
