"""The attendance settings page (admin and principal): long leave days, session start times, messages on
arrival and departure; validated with clear errors, saved once per change and audited."""

import datetime

import pytest
from django_tenants.utils import schema_context

from attendance.models import AttendanceSettings
from schoolbook.audit.models import AuditEvent
from tests.factories import staff_make

URL = "/s/test-a/attendance/settings/"
VALID = {
    "long_leave_days": "5",
    "morning_starts": "07:15",
    "afternoon_starts": "13:45",
    "notify_arrivals": "on",
}


@pytest.fixture
def a(world):
    with schema_context(world.school_a.schema_name):
        yield world


def test_defaults_are_shown_before_anything_is_saved(a, client):
    client.force_login(a.admin_a)
    page = client.get(URL).content.decode()
    assert 'value="07:00"' in page and 'value="13:30"' in page and 'value="3"' in page
    assert not AttendanceSettings.objects.exists()


def test_saving_creates_the_row_and_audits_what_changed(a, client):
    client.force_login(a.principal_a)
    response = client.post(URL, VALID)
    assert response.status_code == 302
    prefs = AttendanceSettings.current()
    assert (prefs.long_leave_days, prefs.morning_starts, prefs.afternoon_starts) == (
        5, datetime.time(7, 15), datetime.time(13, 45),
    )  # fmt: skip
    assert prefs.notify_arrivals and not prefs.notify_departures
    event = AuditEvent.objects.get(action="attendance_settings.update")
    assert event.before == {"long_leave_days": 3, "morning_starts": "07:00", "afternoon_starts": "13:30",
                            "notify_arrivals": False}  # fmt: skip
    assert event.after["morning_starts"] == "07:15"
    assert "Đã lưu cài đặt điểm danh." in client.get(URL).content.decode()
    # The same values again change nothing and record nothing; one row, always.
    client.post(URL, VALID)
    assert AuditEvent.objects.filter(action="attendance_settings.update").count() == 1
    client.post(URL, {**VALID, "notify_departures": "on"})
    assert AttendanceSettings.objects.count() == 1 and AttendanceSettings.current().notify_departures
    assert AuditEvent.objects.filter(action="attendance_settings.update").order_by("pk").last().after == {
        "notify_departures": True
    }


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"long_leave_days": "0"}, "Số ngày phải từ 1 đến 30."),
        ({"long_leave_days": "31"}, "Số ngày phải từ 1 đến 30."),
        ({"morning_starts": "25:00"}, "Nhập một thời gian hợp lệ."),
        ({"afternoon_starts": "07:00"}, "Giờ vào học buổi chiều phải sau giờ vào học buổi sáng."),
    ],
)
def test_invalid_values_are_explained_and_nothing_is_saved(a, client, change, error):
    client.force_login(a.admin_a)
    response = client.post(URL, {**VALID, **change})
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    assert not AttendanceSettings.objects.exists()


def test_only_admin_and_principal(a, client):
    vice = staff_make(a, "0913000098", "Phó Hiệu Trưởng", roles=["vice_principal"])
    for user in (a.teacher_a, vice.user, a.staff_b):
        client.force_login(user)
        assert client.get(URL).status_code == 404
        assert client.post(URL, VALID).status_code == 404
    assert not AttendanceSettings.objects.exists()
