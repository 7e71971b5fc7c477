"""Data links to an operations centre, in this process against the fake centre (tests/fakes/ops_centre.py,
which implements docs/integrations.md on its own): a school's day (class and student attendance, payments)
arrives signed, mapped and once; produced again it sends nothing, changed it sends a new version, a mark
removed is sent as deleted; the centre's rejection is kept with its reason and a replay sends it again;
a school the office does not cover sends it nothing, and one withdrawn stops at once; failures back off,
"come back later" waits, and a record waiting too long is marked failed. The real worker's fault tests are
test_links_faults.py."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from attendance.models import AttendanceMark, Mark, RollCall
from offices.links import protocol
from offices.links.models import DataLink, LinkRecord
from offices.links.sending import link_send, links_sweep
from offices.links.services import link_save, records_replay
from offices.models import EducationOffice, OfficeSchool, OfficeStaff
from schoolbook.audit.models import AuditEvent
from schoolbook.office_links import records_produce
from schoolbook.sealed import unseal
from students.models import GradeLevel, SchoolClass, SchoolYear
from tests.conftest import confirm_token, signed_in
from tests.factories import (
    account_make,
    fee_item_make,
    money_receive,
    round_invoice,
    round_make,
    staff_make,
    student_enrol,
)
from tests.fakes.ops_centre import FakeCentre

Status = LinkRecord.Status
SECTOR_AN, SECTOR_BINH = "010100000001", "010100000002"
MAPPING = {
    protocol.ATTENDANCE_MARK: {"sector_id": "ma_dinh_danh", "student_code": "-", "class": "lop"},
    protocol.PAYMENT: {"sector_id": "ma_dinh_danh", "amount": "so_tien"},
}


@pytest.fixture
def centre(settings):
    with FakeCentre() as centre:
        settings.OFFICE_LINKS_TEST_ORIGINS = [centre.url]
        yield centre


def link_make(world, office, centre, **changes):
    cleaned = {
        "endpoint": centre.endpoint, "key_id": centre.KEY_ID, "secret": centre.SECRET,
        "send_attendance": True, "send_payments": True, "field_map": MAPPING, "enabled": True,
    } | changes  # fmt: skip
    return link_save(actor=world.platform_admin, office=office, cleaned=cleaned)


@pytest.fixture
def day(school, centre):
    """An office covering school A, linked to the fake centre; school A's today: a morning roll call of 6A1
    (An excused, Bình late), 6A2 took none; one fee payment by An's family."""
    world = school
    office = EducationOffice.objects.create(code="phong-dong-da", name="Phòng GD&ĐT Đống Đa", kind="district",
                                            province="Hà Nội", district="Đống Đa")  # fmt: skip
    OfficeSchool.objects.create(office=office, school=world.school_a)
    link_make(world, office, centre)
    a1 = SchoolClass.objects.get(name="6A1")
    an = student_enrol("HS-AN", a1, "Nguyễn Văn An", sector_id=SECTOR_AN)
    binh = student_enrol("HS-BINH", a1, "Trần Thị Bình", sector_id=SECTOR_BINH)
    roll_call = RollCall.objects.create(
        school_class=a1, date=timezone.localdate(), session="morning", period=0
    )
    AttendanceMark.objects.create(roll_call=roll_call, student=an, mark=Mark.ABSENT_EXCUSED)
    AttendanceMark.objects.create(roll_call=roll_call, student=binh, mark=Mark.LATE)
    accountant = staff_make(world, "0911000107", "Trần Kế Toán", roles=[Role.ACCOUNTANT])
    account_make()
    round_ = round_make(accountant, [fee_item_make("Tiền ăn", 500_000, students=[an])], name="Tháng 9")
    round_invoice(accountant, round_)
    invoice = an.invoices.get()
    money_receive(500_000, f"{invoice.code} tien an")
    world.office, world.roll_call, world.an, world.binh = office, roll_call, an, binh
    return world


def produce(world, school=None):
    school = school or world.school_a
    with schema_context(school.schema_name):
        return records_produce(school=school, day=timezone.localdate())


def send(world):
    with schema_context("public"):
        return link_send(world.office.pk)


def statuses(office) -> dict:
    return dict(LinkRecord.objects.filter(office=office).values_list("record_id", "status"))


def test_a_day_arrives_signed_mapped_and_once(day, centre):
    assert produce(day) == 5  # 6A1 and 6A2 (zeros), An's and Bình's marks, one payment
    assert send(day) == 5
    assert set(statuses(day.office).values()) == {Status.SENT}
    assert len(centre.stored) == 5 and set(centre.versions_stored().values()) == {1}
    stored = {r["record_id"]: r for r in centre.stored.values()}
    mark = stored[f"test-a/attendance_mark/{timezone.localdate()}/morning/HS-AN"]
    assert mark["type"] == "attendance_mark" and mark["version"] == 1 and not mark["deleted"]
    assert mark["data"] == {
        "school_code": "test-a",
        "date": timezone.localdate().isoformat(),
        "session": "morning",
        "grade": 6,
        "lop": "6A1",
        "ma_dinh_danh": SECTOR_AN,
        "mark": "P",
        "absence": True,
        "source": "teacher",
    }  # fmt: skip: the office's mapping, student_code left out as it asked
    payment = next(r for r in centre.stored.values() if r["type"] == "payment")
    assert payment["data"]["ma_dinh_danh"] == SECTOR_AN and payment["data"]["so_tien"] == 500_000
    zeros = stored[f"test-a/attendance_class/{timezone.localdate()}/6A2"]["data"]
    assert zeros["roll_calls"] == 0 and zeros["present_rate"] is None
    everything = str(centre.stored)
    assert "Nguyễn Văn An" not in everything and "Trần Thị Bình" not in everything  # no names leave

    # Produced again with nothing changed: nothing new, nothing sent.
    requests = len(centre.answers)
    assert produce(day) == 0 and send(day) == 0 and len(centre.answers) == requests

    # A correction: An's P becomes K, Bình's late mark is removed. New versions, new keys, the rest untouched.
    AttendanceMark.objects.filter(student=day.an).update(mark=Mark.ABSENT_UNEXCUSED)
    AttendanceMark.objects.filter(student=day.binh).delete()
    assert produce(day) == 3  # the two marks and 6A1's totals
    assert send(day) == 3
    an_id = f"test-a/attendance_mark/{timezone.localdate()}/morning/HS-AN"
    binh_id = f"test-a/attendance_mark/{timezone.localdate()}/morning/HS-BINH"
    assert centre.latest[an_id]["version"] == 2 and centre.latest[an_id]["data"]["mark"] == "K"
    assert centre.latest[binh_id]["version"] == 2 and centre.latest[binh_id]["deleted"] is True
    assert len(centre.stored) == 8 and set(centre.versions_stored().values()) == {1}


def test_a_rejected_record_keeps_the_centre_reason_and_a_replay_sends_it_again(day, centre):
    reason = "Mã định danh không có trong CSDL ngành"
    centre.rejects[("ma_dinh_danh", SECTOR_BINH)] = reason
    produce(day)
    send(day)
    rejected = LinkRecord.objects.get(office=day.office, status=Status.REJECTED)
    assert rejected.answer == reason and rejected.data["sector_id"] == SECTOR_BINH
    assert LinkRecord.objects.filter(status=Status.SENT).count() == 4
    # Not retried by itself.
    assert links_sweep() == [] and send(day) == 0

    del centre.rejects[("ma_dinh_danh", SECTOR_BINH)]
    replayed = records_replay(actor=day.platform_admin, office=day.office, records=LinkRecord.objects.all())
    assert replayed == 1 and links_sweep() == [day.office.pk]
    assert send(day) == 1
    rejected.refresh_from_db()
    assert (rejected.status, rejected.answer, rejected.attempts) == (Status.SENT, "", 1)
    assert centre.seen[rejected.key] == 2 and set(centre.versions_stored().values()) == {1}


def test_a_school_the_office_does_not_cover_sends_it_nothing(day, centre):
    world = day
    with schema_context(world.school_b.schema_name):
        b_class = SchoolClass.objects.create(
            name="7B1", grade=GradeLevel.objects.get(number=7), year=SchoolYear.objects.get(is_current=True)
        )
        student = student_enrol("B-1", b_class, "Học Sinh Trường B", sector_id="790000000001")
        roll_call = RollCall.objects.create(
            school_class=b_class, date=timezone.localdate(), session="morning"
        )
        AttendanceMark.objects.create(roll_call=roll_call, student=student, mark=Mark.ABSENT_UNEXCUSED)
    assert produce(world, world.school_b) == 0
    assert not LinkRecord.objects.filter(school=world.school_b).exists()

    # School A withdrawn after its day was produced: nothing of it is sent any more.
    produce(world)
    OfficeSchool.objects.filter(office=world.office, school=world.school_a).delete()
    assert send(world) == 0 and centre.answers == []
    assert set(statuses(world.office).values()) == {Status.WITHDRAWN}
    assert produce(world) == 0


def test_failures_back_off_throttling_waits_and_a_record_waiting_too_long_fails(day, centre, settings):
    settings.OFFICE_LINKS_BACKOFF_BASE_SECONDS = 60
    produce(day)
    centre.down = True
    send(day)
    records = LinkRecord.objects.filter(office=day.office)
    assert {(r.status, r.attempts, r.answer) for r in records} == {
        (Status.PENDING, 1, "HTTP 503: Service Unavailable")
    }
    now = timezone.now()
    assert all(30 <= (r.next_attempt_at - now).total_seconds() <= 60 for r in records)
    assert links_sweep() == [] and send(day) == 0  # not due yet: nothing is posted
    assert len(centre.answers) == 1

    centre.down, centre.throttle, centre.retry_after = False, 1, 7
    records.update(next_attempt_at=None)
    send(day)
    assert {(r.status, r.attempts) for r in records.all()} == {(Status.PENDING, 1)}  # 429: not an attempt
    assert all(6 <= (r.next_attempt_at - timezone.now()).total_seconds() <= 7 for r in records.all())

    link_make(day, day.office, centre, secret="not-the-centre-secret")  # a wrong secret: refused, retried
    records.update(next_attempt_at=None)
    send(day)
    assert {(r.status, r.attempts, r.answer) for r in records.all()} == {
        (Status.PENDING, 2, "HTTP 401: invalid signature")
    }
    records.update(next_attempt_at=None, queued_at=timezone.now() - datetime.timedelta(hours=73))
    send(day)
    assert {r.status for r in records.all()} == {Status.FAILED}
    assert centre.stored == {}

    link_make(day, day.office, centre, secret=centre.SECRET)
    replayed = records_replay(actor=day.platform_admin, office=day.office, records=records.all())
    assert replayed == 5 and send(day) == 5 and len(centre.stored) == 5


def test_a_dead_workers_claim_is_given_back_and_the_resend_is_a_duplicate(day, centre, settings):
    from offices.links.sending import records_claim

    produce(day)
    claimed = records_claim(day.office.pk, 2)
    assert len(claimed) == 2 and records_claim(day.office.pk, 100) != claimed  # the others, not these
    LinkRecord.objects.filter(status=Status.SENDING).update(status=Status.PENDING, claimed_at=None)
    centre.fail_rate, centre.fail_after_storing = 1.0, True  # stored, but the answer is lost
    centre._random.random = lambda: 0.0  # every request fails after storing
    send(day)
    assert len(centre.stored) == 5 and set(statuses(day.office).values()) == {Status.PENDING}
    # The worker died between post and record: the sweep gives its claims back after the timeout.
    LinkRecord.objects.update(status=Status.SENDING, claimed_at=timezone.now() - datetime.timedelta(hours=1))
    centre.fail_rate = 0.0
    assert links_sweep() == [day.office.pk]
    send(day)
    assert set(statuses(day.office).values()) == {Status.DUPLICATE}
    assert len(centre.stored) == 5


# --- the protocol's pure parts ---------------------------------------------------------------------------


def test_the_mapping_is_checked_line_by_line():
    text = "sector_id = ma_dinh_danh\n# a comment\n\nstudent_code = -\nclass=lop"
    assert protocol.mapping_parse(protocol.ATTENDANCE_MARK, text) == {
        "sector_id": "ma_dinh_danh", "student_code": "-", "class": "lop",
    }  # fmt: skip
    for bad, message in [
        ("hoc_sinh = x", "Dòng 1: không có trường “hoc_sinh”"),
        ("sector_id", "Dòng 1: viết “trường của Schoolbook = tên trường của trung tâm”."),
        ("sector_id = mã định danh", "Dòng 1: tên “mã định danh” chỉ được gồm"),
        ("sector_id = a\nsector_id = b", "Dòng 2: trường “sector_id” đã đặt tên ở trên."),
        ("sector_id = mark", "Hai trường cùng gửi dưới tên “mark”."),
    ]:
        with pytest.raises(protocol.MappingError) as error:
            protocol.mapping_parse(protocol.ATTENDANCE_MARK, bad)
        assert message in str(error.value)
    assert protocol.mapping_apply({"a": "x", "b": "-"}, {"a": 1, "b": 2, "c": 3}) == {"x": 1, "c": 3}


def test_the_answer_is_read_per_record():
    keys = ["k1", "k2", "k3", "k4"]
    answer = {"results": [
        {"idempotency_key": "k1", "status": "accepted"}, {"idempotency_key": "k2", "status": "duplicate"},
        {"idempotency_key": "k3", "status": "rejected", "reason": "thiếu lớp"},
    ]}  # fmt: skip
    outcomes = protocol.answer_read(keys, 200, answer)
    assert [outcomes[k].status for k in keys] == ["accepted", "duplicate", "rejected", "retry"]
    assert outcomes["k3"].reason == "thiếu lớp"
    assert {o.status for o in protocol.answer_read(keys, 500, None).values()} == {"retry"}
    assert {o.status for o in protocol.answer_read(keys, 401, {"error": "x"}).values()} == {"retry"}
    assert set(protocol.answer_read(keys, 422, {"error": "bad batch"}).values()) == {
        protocol.Outcome("rejected", "HTTP 422: bad batch")
    }
    waited = protocol.answer_read(keys, 429, None, "12")
    assert set(waited.values()) == {protocol.Outcome("wait", "HTTP 429", 12.0)}
    assert protocol.answer_read(["k"], 200, {"results": "no"})["k"].status == "retry"


def test_the_signature_is_hmac_sha256_over_the_timestamp_and_the_body():
    # `printf '1700000000.{}' | openssl dgst -sha256 -hmac secret`
    assert protocol.signature("secret", "1700000000", b"{}") == (
        "v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
    )
    key = protocol.idempotency_key("r/1", 1, {"a": 1}, False)
    assert len(key) == 32 and key == protocol.idempotency_key("r/1", 1, {"a": 1}, False)
    assert key != protocol.idempotency_key("r/1", 2, {"a": 1}, False)


# --- the pages ------------------------------------------------------------------------------------------


def _link_form(centre, **changes):
    return {
        "endpoint": centre.endpoint, "key_id": centre.KEY_ID, "secret": centre.SECRET,
        "send_attendance": "on", "send_payments": "on", "enabled": "on",
        "map_attendance_mark": "sector_id = ma_dinh_danh\nstudent_code = -", "map_payment": "",
        "map_attendance_class": "",
    } | changes  # fmt: skip


def test_the_console_sets_a_link_and_checks_every_field(world, centre):
    office = EducationOffice.objects.create(code="so-ha-noi", name="Sở GD&ĐT Hà Nội", kind="province",
                                            province="Hà Nội")  # fmt: skip
    admin, path = signed_in(world.platform_admin), "/console/offices/so-ha-noi/link/"
    assert "Kết nối dữ liệu với trung tâm điều hành" in admin.get(path).content.decode()
    for changes, message in [
        ({"endpoint": "http://ioc.hanoi.example/api"}, "Địa chỉ phải là https://"),
        ({"endpoint": "https://10.0.0.5/api"}, "Địa chỉ phải là https://"),
        ({"endpoint": "https://user:pw@ioc.hanoi.example/api"}, "Địa chỉ phải là https://"),
        ({"secret": ""}, "Hãy nhập khoá bí mật do trung tâm cấp."),
        ({"secret": "ngan"}, "Khoá bí mật quá ngắn (ít nhất 16 ký tự)."),
        ({"map_attendance_mark": "ho_ten = name"}, "Dòng 1: không có trường “ho_ten”"),
        ({"send_attendance": "", "send_payments": ""}, "Chọn ít nhất một loại dữ liệu để gửi."),
    ]:
        response = admin.post(path, _link_form(centre, **changes))
        assert response.status_code == 400 and message in response.content.decode(), changes
    assert not DataLink.objects.exists()

    response = admin.post(path, _link_form(centre))
    assert response.status_code == 302
    link = DataLink.objects.get(office=office)
    assert link.field_map == {"attendance_mark": {"sector_id": "ma_dinh_danh", "student_code": "-"}}
    assert centre.SECRET not in link.secret_sealed and unseal(link.secret_sealed) == centre.SECRET
    page = admin.get(path).content.decode()
    assert centre.SECRET not in page and "sector_id = ma_dinh_danh" in page
    # Saved again without a secret: the one stored is kept. The audit never holds it.
    assert admin.post(path, _link_form(centre, secret="", key_id="khoa-2")).status_code == 302
    link.refresh_from_db()
    assert link.key_id == "khoa-2" and unseal(link.secret_sealed) == centre.SECRET
    events = AuditEvent.objects.filter(action="office.link_save")
    assert events.count() == 2 and centre.SECRET not in str([(e.before, e.after) for e in events])
    # The console is the platform admin's alone.
    assert signed_in(world.admin_a).get(path).status_code == 404


def test_the_office_sees_its_log_with_the_centre_reason_and_replays_after_confirming(day, centre):
    world = day
    reason = "Mã định danh không có trong CSDL ngành"
    centre.rejects[("ma_dinh_danh", SECTOR_BINH)] = reason
    produce(world)
    send(world)
    specialist = User.objects.create_user("0912000222", full_name="Trần Chuyên Viên")
    OfficeStaff.objects.create(office=world.office, user=specialist)
    client, log = signed_in(specialist), "/office/phong-dong-da/links/"
    page = client.get(log).content.decode()
    rejected = LinkRecord.objects.get(status=Status.REJECTED)
    assert f'data-record="{rejected.pk}" data-status="rejected"' in page and reason in page
    assert "6A1 · buổi sáng" in page  # which class and session: not which student
    assert "HS-BINH" not in page and SECTOR_BINH not in page and "Trần Thị Bình" not in page
    only_rejected = client.get(log, {"status": "rejected"}).content.decode()
    assert only_rejected.count("data-record=") == 1
    assert client.get(log, {"kind": "payment"}).content.decode().count("data-record=") == 1

    del centre.rejects[("ma_dinh_danh", SECTOR_BINH)]
    replay = "/office/phong-dong-da/links/replay/"
    preview = client.post(replay, {"record": rejected.pk})
    assert preview.status_code == 200 and "Gửi lại 1 bản ghi?" in preview.content.decode()
    assert LinkRecord.objects.get(pk=rejected.pk).status == Status.REJECTED  # nothing done yet
    response = client.post(replay, {"record": rejected.pk, "confirm": confirm_token(preview)})
    assert response.status_code == 302 and response["Location"] == f"{log}?record={rejected.pk}"
    assert LinkRecord.objects.get(pk=rejected.pk).status == Status.PENDING
    assert AuditEvent.objects.get(action="office.links_replay").after == {"records": [rejected.pk]}
    send(world)
    assert LinkRecord.objects.get(pk=rejected.pk).status == Status.SENT

    # Nobody else: another office's specialist, the school's own staff, a parent.
    other = EducationOffice.objects.create(
        code="phong-khac", name="Phòng Khác", kind="province", province="Huế"
    )
    stranger = User.objects.create_user("0912000333")
    OfficeStaff.objects.create(office=other, user=stranger)
    for user in (stranger, world.admin_a, world.principal_a, world.parent):
        for response in (signed_in(user).get(log), signed_in(user).post(replay, {"record": rejected.pk})):
            assert response.status_code == 404, user


def test_the_command_produces_a_range_of_days_again(day, centre):
    out = io.StringIO()
    today = timezone.localdate().isoformat()
    call_command("office_links_produce", today, today, "--office", "phong-dong-da", stdout=out)
    assert out.getvalue().splitlines() == ["test-a\t5 records", "5 records written for 1 days"]
    call_command("office_links_produce", today, today, stdout=out)  # nothing changed: nothing written
    assert out.getvalue().splitlines()[-1] == "0 records written for 1 days"
    with pytest.raises(CommandError):
        call_command("office_links_produce", today, "2020-01-01")
