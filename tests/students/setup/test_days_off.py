"""A school year's days off (students.models.DayOff): the model's rules (a range inside the year, never
overlapping another, the clash named), the selectors (`days_off_between`, `is_day_off`, one query), the
pages on the year (managers only: list with weekdays, add, edit, remove after a confirmation, prefill of the
fixed-date holidays after a preview), every write audited, and a year's dates that would leave a day off
outside it refused."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from schoolbook.audit.models import AuditEvent
from students.models import DayOff, SchoolYear
from students.selectors import days_off_between, is_day_off
from students.setup import services
from students.setup.services import SetupError, YearDates
from tests.conftest import confirm_token, without_tokens

A = "/s/test-a"


@pytest.fixture
def year(world):
    """School A's current year (schema active), 2026-2027 or whichever today's is, with no day off."""
    with schema_context(world.school_a.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        DayOff.objects.filter(year=year).delete()
        yield year


def _in_year(year, days: int) -> date:
    """The first Monday of the year, `days` later."""
    monday = year.starts_on + timedelta(days=(7 - year.starts_on.weekday()) % 7)
    return monday + timedelta(days=days)


def _add(world, year, name, first, last=None) -> DayOff:
    return services.day_off_add(
        actor=world.admin_a, year=year, name=name, first_day=first, last_day=last or first
    )


# --- the model's rules ------------------------------------------------------------------------------------


def _errors(day_off) -> dict:
    with pytest.raises(ValidationError) as raised:
        day_off.full_clean()
    return raised.value.message_dict


def test_a_day_off_is_a_range_inside_its_year_overlapping_no_other(world, year):
    tet = _add(world, year, "Nghỉ Tết Nguyên đán", _in_year(year, 140), _in_year(year, 148))
    assert tet.weekdays == 7 and tet.dates.count("/") == 4  # Monday to next Tuesday: 7 weekdays

    backwards = DayOff(year=year, name="Ngược", first_day=_in_year(year, 10), last_day=_in_year(year, 9))
    assert _errors(backwards) == {"last_day": ["“Đến ngày” phải bằng hoặc sau “từ ngày”."]}

    before = DayOff(year=year, name="Trước", first_day=year.starts_on - timedelta(days=1),
                    last_day=year.starts_on)  # fmt: skip
    after = DayOff(year=year, name="Sau", first_day=year.ends_on, last_day=year.ends_on + timedelta(days=1))
    inside = (
        f"Ngày nghỉ phải nằm trong năm học {year.name} ({year.starts_on:%d/%m/%Y} – {year.ends_on:%d/%m/%Y})."
    )
    assert _errors(before) == {"first_day": [inside]}
    assert _errors(after) == {"last_day": [inside]}

    overlapping = DayOff(
        year=year, name="Giữa kỳ", first_day=_in_year(year, 146), last_day=_in_year(year, 150)
    )
    assert _errors(overlapping) == {
        "first_day": [f"Trùng với ngày nghỉ “Nghỉ Tết Nguyên đán” ({tet.dates}) đã có trong năm học."]
    }
    # touching is not overlapping; a day off does not clash with itself when edited
    DayOff(
        year=year, name="Liền sau", first_day=_in_year(year, 149), last_day=_in_year(year, 149)
    ).full_clean()
    tet.name = "Nghỉ Tết"
    tet.full_clean()
    # the services refuse the same, with the reason
    with pytest.raises(SetupError, match="Trùng với ngày nghỉ “Nghỉ Tết Nguyên đán”"):
        _add(world, year, "Giữa kỳ", _in_year(year, 146), _in_year(year, 150))
    assert DayOff.objects.filter(year=year).count() == 1


def test_the_database_refuses_a_range_ending_before_it_starts(year):
    with pytest.raises(IntegrityError), transaction.atomic():
        DayOff.objects.create(
            year=year, name="Ngược", first_day=_in_year(year, 10), last_day=_in_year(year, 9)
        )


def test_selectors_name_the_day_off_of_each_day_in_one_query(world, year):
    tet = _add(world, year, "Nghỉ Tết", _in_year(year, 140), _in_year(year, 144))
    holiday = _add(world, year, "Ngày lễ", _in_year(year, 150))
    with CaptureQueriesContext(connection) as queries:
        found = days_off_between(_in_year(year, 143), _in_year(year, 152))
    assert len(queries) == 1
    assert found == {
        _in_year(year, 143): tet, _in_year(year, 144): tet, _in_year(year, 150): holiday,
    }  # fmt: skip
    assert is_day_off(_in_year(year, 140)) == tet
    assert is_day_off(_in_year(year, 145)) is None


def test_moving_the_years_dates_past_a_day_off_is_refused(world, year):
    _add(world, year, "Nghỉ cuối năm", year.ends_on - timedelta(days=2), year.ends_on)
    dates = YearDates.of(year)
    shorter = YearDates(
        dates.starts_on, dates.term1_ends_on, dates.term2_starts_on, year.ends_on - timedelta(days=1)
    )
    with pytest.raises(SetupError, match=r"Ngày nghỉ “Nghỉ cuối năm”.*sẽ nằm ngoài năm học"):
        services.year_dates_set(actor=world.admin_a, year=year, dates=shorter)


# --- the pages --------------------------------------------------------------------------------------------


def test_managers_list_add_edit_and_remove_days_off_audited(client, world, year):
    client.force_login(world.admin_a)
    url = f"{A}/years/{year.pk}/days-off/"
    empty = client.get(url).content.decode()
    assert "Năm học chưa có ngày nghỉ nào" in empty and "Xem các ngày lễ sẽ thêm" in empty

    first, last = _in_year(year, 140), _in_year(year, 148)
    response = client.post(url, {"name": "  Nghỉ Tết   Nguyên đán ", "first_day": f"{first:%d/%m/%Y}",
                                 "last_day": last.isoformat()})  # fmt: skip
    assert response.status_code == 302
    tet = DayOff.objects.get(year=year)
    assert (tet.name, tet.first_day, tet.last_day) == ("Nghỉ Tết Nguyên đán", first, last)
    assert AuditEvent.objects.filter(action="day_off.create", object_id=str(tet.pk)).exists()
    html = client.get(url).content.decode()
    assert 'data-day-off="Nghỉ Tết Nguyên đán"' in html and ">7<" in html  # its weekdays
    years = client.get(f"{A}/years/").content.decode()
    assert "1 đợt nghỉ" in years

    # one day: "Đến ngày" left empty; an overlap is refused on the page with the clash named, nothing saved
    one = _in_year(year, 200)
    assert (
        client.post(url, {"name": "Giỗ Tổ", "first_day": one.isoformat(), "last_day": ""}).status_code == 302
    )
    assert DayOff.objects.get(name="Giỗ Tổ").last_day == one
    refused = client.post(url, {"name": "Giữa kỳ", "first_day": _in_year(year, 145).isoformat(),
                                "last_day": _in_year(year, 150).isoformat()})  # fmt: skip
    assert refused.status_code == 400
    assert "Trùng với ngày nghỉ “Nghỉ Tết Nguyên đán”" in refused.content.decode()
    outside = client.post(url, {"name": "Hè", "first_day": (year.ends_on + timedelta(days=3)).isoformat()})
    assert outside.status_code == 400 and "Ngày nghỉ phải nằm trong năm học" in outside.content.decode()
    assert DayOff.objects.filter(year=year).count() == 2

    # edit
    edit = f"{A}/days-off/{tet.pk}/"
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"name": "Nghỉ Tết", "first_day": first.isoformat(),
                                  "last_day": (last - timedelta(days=1)).isoformat()})  # fmt: skip
    assert response.status_code == 302
    tet.refresh_from_db()
    assert (tet.name, tet.last_day) == ("Nghỉ Tết", last - timedelta(days=1))
    event = AuditEvent.objects.get(action="day_off.update", object_id=str(tet.pk))
    assert event.before["name"] == "Nghỉ Tết Nguyên đán" and event.after["name"] == "Nghỉ Tết"
    clash = client.post(
        edit, {"name": "Nghỉ Tết", "first_day": first.isoformat(), "last_day": one.isoformat()}
    )
    assert clash.status_code == 400 and "Trùng với ngày nghỉ “Giỗ Tổ”" in clash.content.decode()

    # remove: a confirmation first, then only with its token
    remove = f"{A}/days-off/{tet.pk}/remove/"
    preview = client.get(remove)
    assert "trở lại là ngày học" in preview.content.decode() and DayOff.objects.filter(pk=tet.pk).exists()
    assert client.post(remove).status_code == 200 and DayOff.objects.filter(pk=tet.pk).exists()
    assert client.post(remove, {"confirm": confirm_token(preview)}).status_code == 302
    assert not DayOff.objects.filter(pk=tet.pk).exists()
    assert AuditEvent.objects.filter(action="day_off.remove", object_id=str(tet.pk)).exists()


def test_the_principal_manages_days_off_too(client, world, year):
    client.force_login(world.principal_a)
    url = f"{A}/years/{year.pk}/days-off/"
    day = _in_year(year, 30).isoformat()
    assert client.post(url, {"name": "Nghỉ giữa kỳ", "first_day": day}).status_code == 302


def test_teachers_parents_and_other_schools_get_404_and_change_nothing(client, world, year):
    day_off = _add(world, year, "Nghỉ giữa kỳ", _in_year(year, 30))
    paths = [
        f"/years/{year.pk}/days-off/",
        f"/years/{year.pk}/days-off/holidays/",
        f"/days-off/{day_off.pk}/",
        f"/days-off/{day_off.pk}/remove/",
    ]
    post = {"name": "Đổi", "first_day": _in_year(year, 40).isoformat(), "confirm": "x"}
    for user in (world.teacher_a, world.parent, world.staff_b):
        client.force_login(user)
        for path in paths:
            assert client.get(A + path).status_code == 404, (user, path)
            assert client.post(A + path, post).status_code == 404, (user, path)
    client.logout()
    assert client.get(A + paths[0])["Location"].startswith("/login/")
    day_off.refresh_from_db()
    assert DayOff.objects.filter(year=year).count() == 1 and day_off.name == "Nghỉ giữa kỳ"
    assert (
        not AuditEvent.objects.filter(action__startswith="day_off.").exclude(action="day_off.create").exists()
    )


# --- the holidays prefill ---------------------------------------------------------------------------------


def test_prefill_previews_then_adds_the_fixed_date_holidays_inside_the_year(client, world, year):
    expected = [
        (date(y, m, d), name)
        for y in range(year.starts_on.year, year.ends_on.year + 1)
        for m, d, name in [
            (1, 1, "Tết Dương lịch"),
            (4, 30, "Ngày Chiến thắng"),
            (5, 1, "Ngày Quốc tế Lao động"),
            (9, 2, "Quốc khánh"),
        ]
        if year.starts_on <= date(y, m, d) <= year.ends_on
    ]
    assert expected  # 1/1, 30/4 and 1/5 at least, whatever the year's dates
    client.force_login(world.admin_a)
    url = f"{A}/years/{year.pk}/days-off/holidays/"
    preview = client.get(url)
    text = without_tokens(preview)
    assert all(f"{day:%d/%m/%Y}: {name}" in text for day, name in expected)
    assert "Tết Nguyên đán" in text and "1/9 hoặc 3/9" in text  # what the school adds itself
    assert not DayOff.objects.filter(year=year).exists()  # a preview writes nothing
    assert client.post(url).status_code == 200 and not DayOff.objects.filter(year=year).exists()

    assert client.post(url, {"confirm": confirm_token(preview)}).status_code == 302
    added = list(DayOff.objects.filter(year=year).values_list("first_day", "last_day", "name"))
    assert added == [(day, day, name) for day, name in expected]
    event = AuditEvent.objects.get(action="day_off.prefill", object_id=str(year.pk))
    assert len(event.after["created"]) == len(expected)
    # done: the page says so and adds nothing twice
    again = client.get(url, follow=True).content.decode()
    assert "đều đã có" in again and DayOff.objects.filter(year=year).count() == len(expected)
    assert "Xem các ngày lễ sẽ thêm" not in client.get(f"{A}/years/{year.pk}/days-off/").content.decode()


def test_prefill_leaves_out_a_holiday_the_school_already_covers(world, year):
    new_year = next(day for day, _name in services.holidays_plan(year) if day.month == 1)
    _add(world, year, "Nghỉ Tết Dương lịch và cuối tuần", new_year, new_year + timedelta(days=2))
    planned = [day for day, _name in services.holidays_plan(year)]
    assert new_year not in planned and planned
    services.holidays_add(actor=world.admin_a, year=year)
    assert services.holidays_plan(year) == []
    with pytest.raises(SetupError, match="đều đã có"):
        services.holidays_add(actor=world.admin_a, year=year)
