"""A transfer between schools is a request the receiving school decides (students.transfers). School A (the
`school` fixture: 6A1, 6A2) asks school B to take An; B accepts into its own class under its own code, or
declines. The attack of the old service (A placing a student, with phones of its choosing, into B's class)
is impossible, and nothing A sees depends on B's rows."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from schoolbook.audit.models import AuditEvent
from students.models import (
    Enrolment,
    GradeLevel,
    Guardian,
    SchoolClass,
    SchoolYear,
    Student,
    StudentGuardian,
    StudentStatus,
)
from students.people.services import student_withdraw
from students.transfers.services import (
    TransferError,
    transfer_accept,
    transfer_decline,
    transfer_request_create,
    transfer_request_withdraw,
)
from tenants.models import School, SchoolAffiliation, TransferRequest
from tests.conftest import assert_refused
from tests.factories import guardian_link, student_enrol
from tests.people_world import FATHER_PHONE, MOTHER_PHONE, people_world

B_CLASS = "6C3"  # B's class: a name A has not, so that a page of A showing it would be a leak
B_CODE = "BMOI-77"  # B's own code for the student


@pytest.fixture
def tw(school):
    """School A's people world (An in 6A1, mother and father who can sign in), school B's admin and its
    class 6C3 of the current year, and B's class of a past year."""
    people = people_world(school)
    world = people.world
    with schema_context(world.school_b.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        grade = GradeLevel.objects.get(number=6)
        b_class = SchoolClass.objects.create(name=B_CLASS, grade=grade, year=year)
        past = SchoolYear.objects.create(
            name="2000-2001",
            starts_on=year.starts_on.replace(year=2000),
            ends_on=year.ends_on.replace(year=2001),
        )
        b_old_class = SchoolClass.objects.create(name="6C9", grade=grade, year=past)
    return SimpleNamespace(
        **vars(people),
        admin_b=User.objects.get(phone="+84900000021"),
        b_class=b_class,
        b_old_class=b_old_class,
        on=timezone.localdate(),
    )


def _request(tw, **changes):
    data = {
        "actor": tw.world.principal_a, "from_school": tw.world.school_a, "student": tw.an,
        "to_school": tw.world.school_b, "on_date": tw.on, "reason": "Gia đình chuyển nhà",
    }  # fmt: skip
    data.update(changes)
    with schema_context(tw.world.school_a.schema_name):
        return transfer_request_create(**data)


def _accept(tw, transfer, *, to_class=None, code=B_CODE):
    with schema_context(tw.world.school_b.schema_name):
        return transfer_accept(
            actor=tw.admin_b, transfer=transfer, to_class=to_class or tw.b_class, student_code=code
        )


def _state(world):
    """What a transfer could change: A's students and enrolments, B's students, guardians and links, the
    public index."""
    states = []
    for school in (world.school_a, world.school_b):
        with schema_context(school.schema_name):
            states.append((
                sorted(Student.objects.values_list("student_code", "status")),
                sorted(Enrolment.objects.values_list("student__student_code", "school_class_id", "ends_on")),
                sorted(Guardian.objects.values_list("phone", "user_id")),
                StudentGuardian.objects.count(),
            ))  # fmt: skip
    states.append(sorted(SchoolAffiliation.objects.values_list("user_id", "school_id", "is_guardian")))
    return states


def _actions(school):
    with schema_context(school.schema_name):
        return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


# --- the services --------------------------------------------------------------------------------------


def test_request_then_accept_moves_the_student_only_when_b_accepts(tw):
    world = tw.world
    with schema_context(world.school_b.schema_name):  # the father already is a parent in B: matched by phone
        sibling = student_enrol("B-1", tw.b_class, "Nguyễn Thu Hà")
        father_in_b = guardian_link(sibling, FATHER_PHONE, full_name="Nguyễn Văn Bố", relationship="father")

    transfer = _request(tw)

    assert transfer.status == TransferRequest.Status.PENDING
    assert {g["phone"] for g in transfer.guardians} == {MOTHER_PHONE, FATHER_PHONE}
    assert transfer.guardians[0]["phone"] == MOTHER_PHONE  # the primary contact first
    with schema_context(world.school_a.schema_name):  # A: still studying in 6A1 until B accepts
        an = Student.objects.get(pk=tw.an.pk)
        assert an.status == StudentStatus.STUDYING and an.enrolments.get().ends_on is None
    with schema_context(world.school_b.schema_name):
        assert not Student.objects.filter(full_name="Nguyễn Văn An").exists()
    assert _actions(world.school_a)[-1] == "transfer.request"
    assert _actions(world.school_b)[-1] == "transfer.incoming"

    new = _accept(tw, transfer)

    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_by) == (TransferRequest.Status.ACCEPTED, tw.admin_b)
    with schema_context(world.school_b.schema_name):
        new = Student.objects.get(pk=new.pk)
        assert (new.student_code, new.full_name, new.status) == (
            B_CODE,
            "Nguyễn Văn An",
            StudentStatus.STUDYING,
        )
        enrolment = new.enrolments.get()
        assert (enrolment.school_class, enrolment.starts_on, enrolment.ends_on) == (tw.b_class, tw.on, None)
        links = {link.guardian.phone: link for link in new.guardian_links.select_related("guardian")}
        assert set(links) == {MOTHER_PHONE, FATHER_PHONE}
        assert links[MOTHER_PHONE].is_primary_contact and links[MOTHER_PHONE].guardian.user == tw.mother
        assert links[FATHER_PHONE].guardian.pk == father_in_b.pk
        assert _actions(world.school_b)[-1] == "student.transfer_in"
    with schema_context(world.school_a.schema_name):
        an = Student.objects.get(pk=tw.an.pk)
        assert an.status == StudentStatus.TRANSFERRED
        assert an.enrolments.get().ends_on == tw.on - timedelta(days=1)
        assert an.guardian_links.count() == 2  # history kept
        event = AuditEvent.objects.get(action="student.transfer_out")
        assert event.actor is None and B_CLASS not in str(event.after) and B_CODE not in str(event.after)
    assert SchoolAffiliation.objects.get(user=tw.mother, school=world.school_b).is_guardian


def test_decline_leaves_a_unchanged_and_a_may_ask_again(tw):
    transfer = _request(tw)
    before = _state(tw.world)
    with schema_context(tw.world.school_b.schema_name):
        transfer_decline(actor=tw.admin_b, transfer=transfer, reason="Khối 6 đã đủ sĩ số")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decline_reason) == (
        TransferRequest.Status.DECLINED,
        "Khối 6 đã đủ sĩ số",
    )
    assert _state(tw.world) == before
    assert _actions(tw.world.school_b)[-1] == "transfer.decline"
    assert _actions(tw.world.school_a)[-1] == "transfer.declined"
    assert _request(tw).is_pending  # a new request to the same or another school


def test_a_second_decision_changes_nothing(tw):
    """Double accept (two managers, two tabs): the request row is locked and found decided."""
    transfer = _request(tw)
    _accept(tw, transfer)
    after_first = _state(tw.world)
    stale = TransferRequest.objects.get(pk=transfer.pk)
    stale.status = TransferRequest.Status.PENDING  # as a second tab loaded it before the first accept
    for decide in (
        lambda: _accept(tw, stale, code="OTHER-1"),
        lambda: transfer_decline(actor=tw.admin_b, transfer=stale, reason="x"),
        lambda: transfer_request_withdraw(actor=tw.world.principal_a, transfer=stale),
    ):
        with pytest.raises(TransferError, match="đã được xử lý"):
            decide()
    assert _state(tw.world) == after_first
    assert TransferRequest.objects.get(pk=transfer.pk).status == TransferRequest.Status.ACCEPTED


def test_withdrawn_request_cannot_be_accepted(tw):
    transfer = _request(tw)
    transfer_request_withdraw(actor=tw.world.principal_a, transfer=transfer)
    before = _state(tw.world)
    with pytest.raises(TransferError):
        _accept(tw, transfer)
    assert _state(tw.world) == before
    assert "transfer.withdraw" in _actions(tw.world.school_a) and "transfer.withdraw" in _actions(
        tw.world.school_b
    )


def test_a_student_who_leaves_a_takes_the_pending_request_along(tw):
    transfer = _request(tw)
    with schema_context(tw.world.school_a.schema_name):
        student_withdraw(actor=tw.world.admin_a, student=tw.an, status=StudentStatus.DROPPED_OUT,
                         on_date=tw.on, reason="Gia đình cho nghỉ")  # fmt: skip
    assert TransferRequest.objects.get(pk=transfer.pk).status == TransferRequest.Status.WITHDRAWN
    before = _state(tw.world)
    with pytest.raises(TransferError):
        _accept(tw, transfer)
    assert _state(tw.world) == before


@pytest.mark.parametrize("b_has", ["nothing", "the same code", "the same national id", "no class at all"])
def test_a_request_never_depends_on_b_rows(tw, b_has):
    """What A sees (success and its request) is the same whatever B holds: no probing of B's codes, IDs or
    classes through A's errors."""
    with schema_context(tw.world.school_a.schema_name):
        Student.objects.filter(pk=tw.an.pk).update(national_id="001214000123")
        tw.an.refresh_from_db()
    with schema_context(tw.world.school_b.schema_name):
        if b_has == "the same code":
            student_enrol("PP001", tw.b_class, "Người Khác")
        elif b_has == "the same national id":
            other = student_enrol("B-9", tw.b_class, "Người Khác")
            Student.objects.filter(pk=other.pk).update(national_id="001214000123")
        elif b_has == "no class at all":
            SchoolClass.objects.all().delete()
    transfer = _request(tw)
    assert (transfer.status, transfer.student_code, transfer.national_id) == (
        "pending",
        "PP001",
        "001214000123",
    )


@pytest.mark.parametrize("case", ["same school", "suspended school", "not studying", "before current class",
                                  "already pending"])  # fmt: skip
def test_request_refusals_are_about_a_only(tw, case):
    changes = {}
    if case == "same school":
        changes["to_school"] = tw.world.school_a
    elif case == "suspended school":
        School.objects.filter(pk=tw.world.school_b.pk).update(is_active=False)
        changes["to_school"] = School.objects.get(pk=tw.world.school_b.pk)
    elif case == "not studying":
        with schema_context(tw.world.school_a.schema_name):
            Student.objects.filter(pk=tw.an.pk).update(status=StudentStatus.DROPPED_OUT)
    elif case == "before current class":
        changes["on_date"] = tw.on - timedelta(days=30)
    elif case == "already pending":
        _request(tw)
    requests = TransferRequest.objects.count()
    before = _state(tw.world)
    with pytest.raises(TransferError) as error:
        _request(tw, **changes)
    assert str(error.value)
    assert TransferRequest.objects.count() == requests and _state(tw.world) == before


def test_the_sector_identifier_goes_with_the_student(tw):
    """The sector database's identifier is permanent across schools (Thông tư 42/2021, Art. 10)."""
    with schema_context(tw.world.school_a.schema_name):
        Student.objects.filter(pk=tw.an.pk).update(sector_id="010100000123")
        tw.an.refresh_from_db()
    transfer = _request(tw)
    assert transfer.sector_id == "010100000123"
    new = _accept(tw, transfer)
    with schema_context(tw.world.school_b.schema_name):
        assert Student.objects.get(pk=new.pk).sector_id == "010100000123"


@pytest.mark.parametrize(
    "case", ["code taken in b", "national id in b", "sector id in b", "class of a past year"]
)
def test_b_refusals_change_nothing_and_keep_the_request_pending(tw, case):
    with schema_context(tw.world.school_a.schema_name):
        Student.objects.filter(pk=tw.an.pk).update(national_id="001214000123", sector_id="010100000123")
        tw.an.refresh_from_db()
    transfer = _request(tw)
    to_class = tw.b_class
    with schema_context(tw.world.school_b.schema_name):
        if case == "code taken in b":
            student_enrol(B_CODE, tw.b_class, "Người Khác")
        elif case == "national id in b":
            other = student_enrol("B-9", tw.b_class, "Người Khác")
            Student.objects.filter(pk=other.pk).update(national_id="001214000123")
        elif case == "sector id in b":
            other = student_enrol("B-9", tw.b_class, "Người Khác")
            Student.objects.filter(pk=other.pk).update(sector_id="010100000123")
        else:
            to_class = tw.b_old_class
    before = _state(tw.world)
    with pytest.raises(TransferError) as error:
        _accept(tw, transfer, to_class=to_class)
    assert str(error.value)
    assert _state(tw.world) == before
    assert TransferRequest.objects.get(pk=transfer.pk).is_pending


# --- the pages -----------------------------------------------------------------------------------------


def _profile(tw):
    return f"/s/test-a/students/{tw.an.pk}/"


def _form(tw, **changes):
    data = {"to_school": tw.world.school_b.pk, "on_date": tw.on.isoformat(), "reason": "Gia đình chuyển nhà"}
    data.update(changes)
    return data


def test_the_whole_journey_through_the_pages(client, tw):
    world = tw.world
    client.force_login(world.principal_a)
    page = client.get(f"{_profile(tw)}?school_q=thu nghiem b").content.decode()
    assert "Trường THCS Thử Nghiệm B (test-b)" in page and "Thử Nghiệm A (test-a)" not in page
    response = client.post(f"{_profile(tw)}transfer/", _form(tw), follow=True)
    assert response.redirect_chain == [(_profile(tw), 302)]
    page = response.content.decode()
    assert "Đã gửi yêu cầu chuyển Nguyễn Văn An sang Trường THCS Thử Nghiệm B." in page
    assert 'data-status="pending"' in page and "Rút yêu cầu" in page
    assert "Gửi yêu cầu chuyển trường</button>" not in page  # one pending request at a time
    transfer = TransferRequest.objects.get()

    client.force_login(tw.admin_b)
    home = client.get("/s/test-b/").content.decode()
    assert 'id="incoming-transfers"' in home and "Nguyễn Văn An" in home
    assert "Nguyễn Văn An" in client.get("/s/test-b/transfers/").content.decode()
    detail = client.get(f"/s/test-b/transfers/{transfer.pk}/").content.decode()
    assert "Gia đình chuyển nhà" in detail and "Trần Thị Mẹ" in detail and B_CLASS in detail
    response = client.post(
        f"/s/test-b/transfers/{transfer.pk}/accept/", {"to_class": tw.b_class.pk, "student_code": B_CODE},
        follow=True,
    )  # fmt: skip
    with schema_context(world.school_b.schema_name):
        new = Student.objects.get(student_code=B_CODE)
    assert response.redirect_chain == [(f"/s/test-b/students/{new.pk}/", 302)]
    assert f"Đã nhận Nguyễn Văn An vào lớp {B_CLASS} từ ngày {tw.on:%d/%m/%Y}." in response.content.decode()
    assert 'id="incoming-transfers"' not in client.get("/s/test-b/").content.decode()

    # A's requester sees the outcome on the profile, and nothing of B's choices.
    client.force_login(world.principal_a)
    for path in (_profile(tw), "/s/test-a/", "/s/test-a/students/?status=transferred"):
        page = client.get(path).content.decode()
        assert B_CLASS not in page and B_CODE not in page, path
    page = client.get(_profile(tw)).content.decode()
    assert 'data-status="accepted"' in page and "Đã chuyển trường" in page and 'id="move"' not in page


def test_a_sees_the_decline_and_its_reason(client, tw):
    transfer = _request(tw)
    client.force_login(tw.admin_b)
    response = client.post(f"/s/test-b/transfers/{transfer.pk}/decline/", {"reason": "Khối 6 đã đủ  sĩ số"})
    assert response.status_code == 302 and response["Location"] == "/s/test-b/transfers/"
    client.force_login(tw.world.principal_a)
    page = client.get(_profile(tw)).content.decode()
    assert 'data-status="declined"' in page and "Khối 6 đã đủ sĩ số" in page
    assert "Gửi yêu cầu chuyển trường</button>" in page  # A may ask again
    assert tw.admin_b.full_name not in page  # who in B decided is B's business


def test_withdraw_from_the_profile(client, tw):
    transfer = _request(tw)
    client.force_login(tw.world.admin_a)
    response = client.post(f"{_profile(tw)}transfer/{transfer.pk}/withdraw/", follow=True)
    assert "Đã rút yêu cầu chuyển trường." in response.content.decode()
    assert TransferRequest.objects.get().status == TransferRequest.Status.WITHDRAWN


def test_the_attack_a_cannot_place_a_student_into_b(client, tw):
    """The old form's fields (B's code, a class name) and B's class ids posted to A's endpoint create no
    student in B; A's manager cannot reach B's accept page; a transfer to B never appears under A."""
    world = tw.world
    client.force_login(world.principal_a)
    before = _state(world)
    attack = {"school_code": "test-b", "class_name": B_CLASS, "to_class": tw.b_class.pk,
              "student_code": B_CODE, "on_date": tw.on.isoformat(), "reason": "x"}  # fmt: skip
    response = client.post(f"{_profile(tw)}transfer/", attack)
    assert response.status_code == 400 and "Chọn trường chuyển đến." in response.content.decode()
    assert _state(world) == before and not TransferRequest.objects.exists()

    response = client.post(f"{_profile(tw)}transfer/", _form(tw, to_class=tw.b_class.pk, student_code=B_CODE))
    assert response.status_code == 302  # a request only: nothing in B until B decides
    assert _state(world) == before
    transfer = TransferRequest.objects.get()
    for path, data in [
        (f"/s/test-b/transfers/{transfer.pk}/accept/", {"to_class": tw.b_class.pk, "student_code": B_CODE}),
        (f"/s/test-b/transfers/{transfer.pk}/decline/", {"reason": "x"}),
        (f"/s/test-b/transfers/{transfer.pk}/", None),
        ("/s/test-b/transfers/", None),
        (f"/s/test-a/transfers/{transfer.pk}/", None),  # addressed to B, not to A
        (f"/s/test-a/transfers/{transfer.pk}/accept/", {"to_class": tw.class_6a2.pk, "student_code": B_CODE}),
    ]:
        response = client.post(path, data) if data else client.get(path)
        assert response.status_code == 404, path
    assert _state(world) == before and TransferRequest.objects.get().is_pending


@pytest.mark.parametrize("who", ["homeroom teacher", "other school's teacher", "parent", "anonymous"])
def test_transfer_pages_are_404_for_everyone_but_managers(client, tw, who):
    user = {"homeroom teacher": tw.world.teacher_a, "other school's teacher": tw.world.staff_b,
            "parent": tw.mother, "anonymous": None}[who]  # fmt: skip
    transfer = _request(tw)
    before = _state(tw.world)
    if user:
        client.force_login(user)
    requests = [
        (f"{_profile(tw)}transfer/", _form(tw)),
        (f"{_profile(tw)}transfer/{transfer.pk}/withdraw/", {}),
        ("/s/test-b/transfers/", {}),
        (f"/s/test-b/transfers/{transfer.pk}/", {}),
        (f"/s/test-b/transfers/{transfer.pk}/accept/", {"to_class": tw.b_class.pk, "student_code": B_CODE}),
        (f"/s/test-b/transfers/{transfer.pk}/decline/", {"reason": "x"}),
    ]
    assert_refused(client, user, requests)
    assert _state(tw.world) == before and TransferRequest.objects.get().is_pending


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"to_school": ""}, "Chọn trường chuyển đến."),
        ({"to_school": "999999"}, "Chọn một trường khác đang hoạt động trên Schoolbook."),
        ({"to_school": "this"}, "Chọn một trường khác đang hoạt động trên Schoolbook."),
        ({"to_school": "suspended"}, "Chọn một trường khác đang hoạt động trên Schoolbook."),
        ({"reason": "   "}, "Nhập lý do chuyển trường."),
        ({"on_date": "2027-13-01"}, "Nhập ngày hợp lệ (dd/mm/yyyy)."),
        ({"on_date": "2000-01-01"}, "Ngày chuyển trường phải sau ngày vào lớp hiện tại"),
    ],
)
def test_request_form_refuses_bad_input(client, tw, changes, message):
    if changes.get("to_school") == "this":
        changes["to_school"] = tw.world.school_a.pk
    if changes.get("to_school") == "suspended":
        School.objects.filter(pk=tw.world.school_b.pk).update(is_active=False)
        changes["to_school"] = tw.world.school_b.pk
    before = _state(tw.world)
    client.force_login(tw.world.admin_a)
    response = client.post(f"{_profile(tw)}transfer/", _form(tw, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert _state(tw.world) == before and not TransferRequest.objects.exists()


@pytest.mark.parametrize(
    "action, data, message",
    [
        ("accept", {"to_class": "", "student_code": B_CODE}, "Chọn lớp cho học sinh."),
        ("accept", {"to_class": "past", "student_code": B_CODE}, "Chọn một lớp của năm học hiện tại."),
        ("accept", {"to_class": "b", "student_code": " "}, "Nhập mã học sinh."),
        ("accept", {"to_class": "b", "student_code": "B-1"}, "Mã học sinh B-1 đã có ở trường."),
        ("decline", {"reason": " "}, "Nhập lý do từ chối để trường gửi biết."),
    ],
)
def test_b_forms_refuse_bad_input(client, tw, action, data, message):
    transfer = _request(tw)
    with schema_context(tw.world.school_b.schema_name):
        student_enrol("B-1", tw.b_class, "Người Khác")
    data = dict(data)
    if data.get("to_class") == "past":
        data["to_class"] = tw.b_old_class.pk
    elif data.get("to_class") == "b":
        data["to_class"] = tw.b_class.pk
    before = _state(tw.world)
    client.force_login(tw.admin_b)
    response = client.post(f"/s/test-b/transfers/{transfer.pk}/{action}/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert _state(tw.world) == before and TransferRequest.objects.get().is_pending


def test_incoming_list_is_empty_with_a_next_step(client, tw):
    client.force_login(tw.admin_b)
    page = client.get("/s/test-b/transfers/").content.decode()
    assert "Chưa có yêu cầu chuyển trường nào gửi đến trường." in page
