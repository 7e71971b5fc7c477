"""The school gate: devices and their tokens, the events API's refusals (401, 400 with the reason and the
index), idempotence, unknown students → the review list → assign or dismiss, late marks through the roll
call's `student_mark_set`, guardians told once per event when the school turned it on, and who may see the
pages."""

import datetime
import hashlib
import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from attendance.gate.payload import MAX_EVENTS
from attendance.gate.services import device_register
from attendance.models import AttendanceMark, AttendanceSettings, GateDevice, GateEvent, Mark, RollCall
from messaging.models import Message
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment, GradeLevel, SchoolClass, SchoolYear, StaffMember
from tenants.models import School
from tests.factories import guardian_account, guardian_link, staff_make, student_enrol

API = "/s/test-a/attendance/api/gate/events/"
API_B = "/s/test-b/attendance/api/gate/events/"
DEVICES = "/s/test-a/attendance/gate/devices/"
REVIEW = "/s/test-a/attendance/gate/review/"


def build(world):
    """School A (call inside its schema): 6A1 (homeroom Vũ Giáo Viên) with An and Bình, enrolled for a
    month; An's mother (notifications on) is also Chi's (6A2); Bình's father turned notifications off."""
    year = SchoolYear.objects.get(is_current=True)
    g = SimpleNamespace(world=world)
    g.teacher = StaffMember.objects.get(user=world.teacher_a)
    g.a1 = SchoolClass.objects.create(
        name="6A1", grade=GradeLevel.objects.get(number=6), year=year, homeroom_teacher=g.teacher
    )
    g.a2 = SchoolClass.objects.create(name="6A2", grade=GradeLevel.objects.get(number=6), year=year)
    g.an = student_enrol("GT-AN", g.a1, "Nguyễn Văn An")
    g.binh = student_enrol("GT-BINH", g.a1, "Trần Văn Bình")
    g.chi = student_enrol("GT-CHI", g.a2, "Nguyễn Thị Chi")
    Enrolment.objects.update(starts_on=timezone.localdate() - datetime.timedelta(days=30))
    g.mother = guardian_link(g.an, "0913000001", full_name="Nguyễn Thị Mẹ")
    guardian_link(g.chi, "0913000001")
    g.father = guardian_link(g.binh, "0913000002", full_name="Trần Văn Bố", notifications=False)
    g.device, g.token = device_register(actor=world.admin_a, name="Cổng chính")
    return g


@pytest.fixture
def g(world):
    with schema_context(world.school_a.schema_name):
        yield build(world)


def post(client, payload, token, url=API, raw=None):
    """POST as a device; back in school A's schema afterwards when the URL was another school's."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    body = raw if raw is not None else json.dumps(payload)
    response = client.post(url, body, content_type="application/json", **headers)
    if url != API:
        connection.set_schema_to_public()
        connection.set_tenant(School.objects.get(code="test-a"))
    return response


def event(event_id="e1", kind="arrival", code="GT-AN", at=None, **extra):
    at = at or timezone.now() - datetime.timedelta(minutes=5)
    return {"event_id": event_id, "kind": kind, "student_code": code, "occurred_at": at.isoformat(), **extra}


def local(day, hour, minute):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def yesterday():
    return timezone.localdate() - datetime.timedelta(days=1)


# --- devices and tokens --------------------------------------------------------------------------------


def test_registering_shows_the_token_once_and_stores_only_its_hash(g, client):
    client.force_login(g.world.admin_a)
    response = client.post(DEVICES, {"name": "Cổng phụ"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    device = GateDevice.objects.get(name="Cổng phụ")
    page = response.content.decode()
    token = page.split('data-token onclick="this.select()"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert len(token) >= 40
    assert device.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(GateDevice.objects.values()), default=str)
    assert "/s/test-a/attendance/api/gate/events/" in page
    listing = client.get(DEVICES).content.decode()
    assert "Cổng phụ" in listing and token not in listing  # never shown again
    assert AuditEvent.objects.filter(action="gate_device.register", object_id=str(device.pk)).exists()
    # The token works.
    assert post(client, event(), token).status_code == 200


def test_device_name_is_required(g, client):
    client.force_login(g.world.admin_a)
    response = client.post(DEVICES, {"name": "   "})
    assert response.status_code == 400
    assert "Hãy đặt tên cho thiết bị." in response.content.decode()


def test_devices_page_shows_last_seen_and_events_today_in_constant_queries(g, client):
    post(client, {"events": [event("a"), event("b", kind="departure")]}, g.token)
    client.force_login(g.world.principal_a)
    client.get(DEVICES)  # the session's first page looks the person up once
    with CaptureQueriesContext(connection) as one:
        page = client.get(DEVICES).content.decode()
    row = page.split(f'data-device="{g.device.pk}"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row
    assert timezone.localtime(GateDevice.objects.get().last_seen_at).strftime("%d/%m/%Y %H:%M") in row
    for n in range(5):
        device_register(actor=g.world.admin_a, name=f"Cổng {n}")
    with CaptureQueriesContext(connection) as six:
        client.get(DEVICES)
    assert len(six) == len(one)


def test_deactivated_device_gets_401_and_its_events_stay(g, client):
    assert post(client, event(), g.token).status_code == 200
    client.force_login(g.world.admin_a)
    response = client.post(f"/s/test-a/attendance/gate/devices/{g.device.pk}/deactivate/")
    assert response.status_code == 302
    assert not GateDevice.objects.get().is_active
    assert post(client, event("e2"), g.token).status_code == 401
    assert list(GateEvent.objects.values_list("event_id", flat=True)) == ["e1"]
    assert AuditEvent.objects.filter(action="gate_device.deactivate").count() == 1


# --- 401 -----------------------------------------------------------------------------------------------


def test_missing_wrong_and_other_schools_tokens_get_401_and_store_nothing(g, client):
    with schema_context(g.world.school_b.schema_name):
        _, token_b = device_register(actor=g.world.staff_b, name="Cổng trường B")
    for token in (None, "", "wrong-token", token_b, g.token[:-1]):
        response = post(client, event(), token)
        assert response.status_code == 401, token
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"] == "unauthorized"
    # Basic instead of Bearer is no token either.
    response = client.post(API, "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Basic {g.token}")
    assert response.status_code == 401
    assert GateEvent.objects.count() == 0
    # A's token at school B's address is another school's token there.
    assert post(client, event(), g.token, url=API_B).status_code == 401
    with schema_context(g.world.school_b.schema_name):
        assert GateEvent.objects.count() == 0


def test_devices_need_no_csrf_token(g):
    from django.test import Client

    device = Client(enforce_csrf_checks=True)
    assert post(device, event(), g.token).json()["new"] == 1


def test_a_session_is_not_a_device(g, client):
    """A signed-in principal without a token is refused like anyone else; GET is not allowed."""
    client.force_login(g.world.principal_a)
    assert post(client, event(), None).status_code == 401
    response = client.get(API, HTTP_AUTHORIZATION=f"Bearer {g.token}")
    assert response.status_code == 405 and response["Allow"] == "POST"


# --- 400 -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [("{not json", "invalid_json"), ("[1, 2]", "invalid_json"), ('"text"', "invalid_json"),
     ('{"events": []}', "invalid_json"), ('{"events": {}}', "invalid_json")],
)  # fmt: skip
def test_malformed_bodies_get_400(g, client, raw, code):
    response = post(client, None, g.token, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["detail"]


def test_bad_utf8_is_400(g, client):
    response = post(client, None, g.token, raw=b'{"event_id": "\xff"}')
    assert response.status_code == 400 and response.json()["error"] == "invalid_json"


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"event_id": ""}, "event_id", "không rỗng"),
        ({"event_id": None}, "event_id", "Thiếu event_id"),
        ({"event_id": "x" * 101}, "event_id", "Dài quá 100"),
        ({"kind": "entry"}, "kind", '"arrival" hoặc "departure"'),
        ({"student_code": None}, "student_code", "Thiếu student_code"),
        ({"student_code": 12.5}, "student_code", "không rỗng"),
        ({"occurred_at": "25/11/2026 07:02"}, "occurred_at", "ISO 8601"),
        ({"occurred_at": "2026-11-25T07:02:00"}, "occurred_at", "múi giờ"),
        ({"occurred_at": 1764028800}, "occurred_at", "ISO 8601"),
        ({"occurred_at": "2099-01-01T07:00:00+07:00"}, "occurred_at", "tương lai"),
    ],
)
def test_an_invalid_event_is_400_with_its_index_and_nothing_is_stored(g, client, change, field, reason):
    bad = {**event("bad"), **change}
    response = post(client, {"events": [event("ok1"), event("ok2"), bad]}, g.token)
    assert response.status_code == 400
    answer = response.json()
    assert answer["error"] == "invalid_event"
    assert answer["index"] == 2 and answer["field"] == field
    assert reason in answer["detail"]
    assert GateEvent.objects.count() == 0  # all or nothing: the good ones were not stored either


def test_a_single_invalid_event_is_index_0_and_not_an_object_is_named(g, client):
    response = post(client, {"event_id": "x", "kind": "arrival"}, g.token)
    assert response.json() == {
        "error": "invalid_event", "detail": "Thiếu student_code (hoặc card).",
        "index": 0, "field": "student_code",
    }  # fmt: skip
    response = post(client, {"events": [event(), "e2"]}, g.token)
    assert response.status_code == 400 and response.json()["index"] == 1


def test_more_than_500_events_is_400(g, client):
    events = [event(f"e{n}", code="UNKNOWN") for n in range(MAX_EVENTS + 1)]
    response = post(client, {"events": events}, g.token)
    assert response.status_code == 400
    assert response.json()["error"] == "too_many_events"
    assert post(client, {"events": events[:MAX_EVENTS]}, g.token).json()["new"] == MAX_EVENTS


def test_a_body_over_the_upload_limit_is_413(g, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, {"events": [event(f"e{n}") for n in range(20)]}, g.token)
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert GateEvent.objects.count() == 0


# --- idempotence ---------------------------------------------------------------------------------------


def test_same_event_twice_and_same_batch_twice_are_stored_once(g, client):
    assert post(client, event("e1"), g.token).json() == {
        "received": 1,
        "new": 1,
        "duplicates": 0,
        "unknown": 0,
    }
    assert post(client, event("e1"), g.token).json() == {
        "received": 1,
        "new": 0,
        "duplicates": 1,
        "unknown": 0,
    }
    batch = {
        "events": [event("e2"), event("e3", kind="departure", code="GT-BINH"), event("e4", code="NOBODY")]
    }
    assert post(client, batch, g.token).json() == {"received": 3, "new": 3, "duplicates": 0, "unknown": 1}
    assert post(client, batch, g.token).json() == {"received": 3, "new": 0, "duplicates": 3, "unknown": 0}
    # An id repeated within one request counts once; the same id from another device is another event.
    assert post(client, {"events": [event("e5"), event("e5")]}, g.token).json()["new"] == 1
    _, other = device_register(actor=g.world.admin_a, name="Cổng sau")
    assert post(client, event("e1"), other).json()["new"] == 1
    assert GateEvent.objects.count() == 6
    assert GateEvent.objects.get(device=g.device, event_id="e3").student == g.binh


def test_numeric_event_ids_and_cards_are_accepted(g, client):
    payload = {"event_id": 42, "kind": "arrival", "card": "GT-AN", "occurred_at": event()["occurred_at"]}
    assert post(client, payload, g.token).json()["new"] == 1
    stored = GateEvent.objects.get()
    assert (stored.event_id, stored.person_ref, stored.student) == ("42", "GT-AN", g.an)


def test_ingest_queries_do_not_grow_with_the_batch(g, client):
    def queries(n, prefix):
        with CaptureQueriesContext(connection) as captured:
            post(client, {"events": [event(f"{prefix}{i}", code="GT-AN") for i in range(n)]}, g.token)
        return len(captured)

    queries(1, "warm")  # the first request sets the connection's search path
    assert queries(2, "a") == queries(200, "b")


# --- unknown students: review, assign, dismiss ---------------------------------------------------------


def test_unknown_students_are_kept_for_review_then_assigned(g, client):
    day = yesterday()
    RollCall.objects.create(school_class=g.a1, date=day, session="morning", taken_by=g.teacher)
    batch = [
        event("u1", code="CARD-9", at=local(day, 7, 20)),
        event("u2", code="CARD-9", kind="departure", at=local(day, 11, 30)),
        event("u3", code="CARD-7", at=local(day, 6, 50)),
    ]
    assert post(client, {"events": batch}, g.token).json()["unknown"] == 3
    client.force_login(g.world.principal_a)
    page = client.get(REVIEW).content.decode()
    assert "CARD-9" in page and "CARD-7" in page
    first = GateEvent.objects.get(event_id="u1")
    response = client.post(f"/s/test-a/attendance/gate/review/{first.pk}/assign/", {"student_code": "GT-AN"})
    assert response.status_code == 302
    # Both of CARD-9's events now belong to An; the late arrival marked him late in the taken roll call.
    assert set(GateEvent.objects.filter(student=g.an).values_list("event_id", flat=True)) == {"u1", "u2"}
    mark = AttendanceMark.objects.get(student=g.an)
    assert (mark.mark, mark.source, mark.note) == (Mark.LATE, "gate", "Vào cổng lúc 07:20")
    assert not Message.objects.filter(purpose="gate").exists()  # assigned later: not news any more
    assert AuditEvent.objects.filter(action="gate_event.assign").count() == 1
    page = client.get(REVIEW).content.decode()
    assert "<code>CARD-9</code>" not in page and "<code>CARD-7</code>" in page


def test_assigning_an_unknown_code_is_explained_and_dismissing_takes_it_off_the_list(g, client):
    post(client, event("u1", code="VISITOR"), g.token)
    stored = GateEvent.objects.get()
    client.force_login(g.world.admin_a)
    response = client.post(
        f"/s/test-a/attendance/gate/review/{stored.pk}/assign/", {"student_code": "NOPE"}, follow=True
    )
    assert "Không có học sinh nào mã NOPE." in response.content.decode()
    assert GateEvent.objects.get().student is None
    response = client.post(f"/s/test-a/attendance/gate/review/{stored.pk}/dismiss/", follow=True)
    assert "Không có sự kiện nào cần xử lý." in response.content.decode()
    stored.refresh_from_db()
    assert stored.student is None and stored.resolved_by.user == g.world.admin_a  # kept, off the list
    # Dealt with: a second decision is a 404.
    assert client.post(f"/s/test-a/attendance/gate/review/{stored.pk}/dismiss/").status_code == 404


def test_review_list_is_paginated_with_constant_queries(g, client):
    post(client, {"events": [event(f"u{n}", code=f"CARD-{n}") for n in range(3)]}, g.token)
    client.force_login(g.world.principal_a)
    client.get(REVIEW)  # the session's first page looks the person up once
    with CaptureQueriesContext(connection) as few:
        client.get(REVIEW)
    post(client, {"events": [event(f"v{n}", code=f"CARD-{n}") for n in range(60)]}, g.token)
    with CaptureQueriesContext(connection) as many:
        page = client.get(REVIEW).content.decode()
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert page.count("data-event=") == 50 and "Trang 1 / 2" in page


# --- late marks ----------------------------------------------------------------------------------------


def test_a_late_arrival_marks_late_only_when_the_roll_call_exists(g, client):
    day = yesterday()
    post(client, event("early", code="GT-BINH", at=local(day, 7, 0)), g.token)  # 07:00 is on time
    post(client, event("no-roll-call", at=local(day, 7, 32)), g.token)
    assert not AttendanceMark.objects.exists()
    RollCall.objects.create(school_class=g.a1, date=day, session="morning", taken_by=g.teacher)
    post(client, {"events": [event("l2", at=local(day, 7, 40)), event("l1", at=local(day, 7, 32))]}, g.token)
    mark = AttendanceMark.objects.get()
    assert (mark.student, mark.mark, mark.source, mark.note) == (g.an, "late", "gate", "Vào cổng lúc 07:32")
    # Departures never mark; Bình came at 07:00 so a second pass at 08:10 is not lateness.
    post(client, {"events": [event("d1", kind="departure", code="GT-BINH", at=local(day, 8, 5)),
                             event("b2", code="GT-BINH", at=local(day, 8, 10))]}, g.token)  # fmt: skip
    assert AttendanceMark.objects.count() == 1


def test_late_replaces_K_but_not_P_and_uses_the_afternoon_start(g, client):
    day = yesterday()
    AttendanceSettings.objects.create(
        morning_starts=datetime.time(7, 15), afternoon_starts=datetime.time(13, 0)
    )
    morning = RollCall.objects.create(school_class=g.a1, date=day, session="morning", taken_by=g.teacher)
    afternoon = RollCall.objects.create(school_class=g.a1, date=day, session="afternoon", taken_by=g.teacher)
    AttendanceMark.objects.create(roll_call=morning, student=g.an, mark=Mark.ABSENT_UNEXCUSED)
    AttendanceMark.objects.create(roll_call=morning, student=g.binh, mark=Mark.ABSENT_EXCUSED)
    post(client, {"events": [
        event("a", at=local(day, 7, 20)), event("b", code="GT-BINH", at=local(day, 7, 30)),
        event("c", code="GT-BINH", at=local(day, 13, 0)), event("d", at=local(day, 13, 1)),
    ]}, g.token)  # fmt: skip
    marks = {(m.roll_call_id, m.student_id): m.mark for m in AttendanceMark.objects.all()}
    assert marks == {
        (morning.pk, g.an.pk): "late",  # was K: the gate saw him
        (morning.pk, g.binh.pk): "P",  # an excused absence stays
        (afternoon.pk, g.an.pk): "late",  # 13:01 after a 13:00 start; Bình at 13:00 is on time
    }


def test_a_K_alerted_by_the_roll_call_is_corrected_once_when_the_gate_sees_the_student(g, client):
    from attendance.roll_call.services import roll_call_save

    principal = StaffMember.objects.get(user=g.world.principal_a)
    day = yesterday()
    roll_call_save(actor_staff=principal, school_class=g.a1, day=day, session="morning",
                   marks={g.an.pk: ("K", "")})  # fmt: skip
    assert Message.objects.filter(purpose="absence").count() == 1  # the mother was told: absent
    batch = {"events": [event("late", at=local(day, 7, 45)), event("again", at=local(day, 7, 50))]}
    post(client, batch, g.token)
    post(client, batch, g.token)
    assert AttendanceMark.objects.get(student=g.an).mark == "late"
    corrections = list(
        Message.objects.filter(purpose="absence").order_by("pk").values_list("body", flat=True)
    )
    assert len(corrections) == 2 and "Điều chỉnh: con Nguyễn Văn An đi muộn" in corrections[1]


# --- notifications -------------------------------------------------------------------------------------


def test_no_message_unless_the_school_turned_it_on(g, client):
    post(client, {"events": [event("a"), event("b", kind="departure")]}, g.token)
    assert not Message.objects.filter(purpose="gate").exists()


def test_arrivals_tell_guardians_once_per_event_and_never_for_a_duplicate(
    g, client, django_capture_on_commit_callbacks
):
    AttendanceSettings.objects.create(notify_arrivals=True)
    at = timezone.now() - datetime.timedelta(minutes=3)
    batch = {"events": [
        event("a1", at=at), event("c1", code="GT-CHI", at=at), event("b1", code="GT-BINH", at=at),
        event("a2", kind="departure", at=at),
    ]}  # fmt: skip
    with django_capture_on_commit_callbacks() as callbacks:
        post(client, batch, g.token)
    assert callbacks  # dispatch waits for the commit
    sent = list(Message.objects.filter(purpose="gate").order_by("body").values_list("phone", "body"))
    time = timezone.localtime(at).strftime("%H:%M")
    # The mother of two gets one message per event; Bình's father turned notifications off; departures off.
    assert sent == [
        ("+84913000001", f"Con Nguyễn Thị Chi đã đến trường lúc {time}."),
        ("+84913000001", f"Con Nguyễn Văn An đã đến trường lúc {time}."),
    ]
    post(client, batch, g.token)
    assert Message.objects.filter(purpose="gate").count() == 2


def test_departures_separately_and_old_events_are_not_news(g, client):
    AttendanceSettings.objects.create(notify_departures=True)
    now = timezone.now()
    post(client, {"events": [
        event("a", at=now - datetime.timedelta(minutes=1)),
        event("d", kind="departure", at=now - datetime.timedelta(minutes=1)),
        event("old", kind="departure", at=now - datetime.timedelta(hours=3)),
    ]}, g.token)  # fmt: skip
    bodies = list(Message.objects.filter(purpose="gate").values_list("body", flat=True))
    assert len(bodies) == 1 and "đã ra về lúc" in bodies[0]


# --- permissions ---------------------------------------------------------------------------------------


def test_pages_are_404_for_teachers_parents_and_other_schools(g, client):
    post(client, event("u1", code="VISITOR"), g.token)
    stored = GateEvent.objects.get()
    parent = guardian_account(g.world, g.mother)
    vice = staff_make(g.world, "0913000099", "Phó Hiệu Trưởng", roles=["vice_principal"])
    pages = [DEVICES, REVIEW]
    posts = [
        f"/s/test-a/attendance/gate/devices/{g.device.pk}/deactivate/",
        f"/s/test-a/attendance/gate/review/{stored.pk}/assign/",
        f"/s/test-a/attendance/gate/review/{stored.pk}/dismiss/",
    ]
    for user in (g.world.teacher_a, parent, g.world.staff_b):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 404, (user, url)
        for url in posts:
            assert client.post(url, {"student_code": "GT-AN"}).status_code == 404, (user, url)
    assert GateDevice.objects.get().is_active and GateEvent.objects.get().resolved_by is None
    # A vice principal reviews events but does not manage devices.
    client.force_login(vice.user)
    assert client.get(REVIEW).status_code == 200
    assert client.get(DEVICES).status_code == 404
    client.force_login(g.world.admin_a)
    assert client.get(REVIEW).status_code == 200 and client.get(DEVICES).status_code == 200
