"""Guardians one by one from a student's profile (students.people): add, correct (the journey "fix a wrong
phone number of a guardian"), remove from this student, make the primary contact. The old number stops
seeing the child at the next request and the new one starts; a phone that another guardian of the school
already has is linked, not duplicated."""

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from schoolbook.audit.models import AuditEvent
from students.models import Guardian, StudentGuardian
from tenants.models import SchoolAffiliation, schema_name_for
from tests.conftest import assert_refused
from tests.factories import guardian_link, student_enrol
from tests.people_world import FATHER_PHONE, MOTHER_PHONE, people_world, school_state

SCHEMA = schema_name_for("test-a")
NEW_PHONE = "+84981330030"


@pytest.fixture
def people(school):
    return people_world(school)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _link(people, phone, student=None):
    with schema_context(SCHEMA):
        return StudentGuardian.objects.get(student=student or people.an, guardian__phone=phone)


def _path(people, link=None, tail=""):
    base = f"/s/test-a/students/{people.an.pk}/guardians/"
    return f"{base}new/" if link is None else f"{base}{link.pk}/{tail}"


def _profile(people):
    return f"/s/test-a/students/{people.an.pk}/"


def _affiliated(user, people) -> bool:
    return SchoolAffiliation.objects.filter(
        user=user, school=people.world.school_a, is_guardian=True
    ).exists()


# --- who may ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["homeroom teacher", "other school's staff", "parent", "anonymous"])
def test_guardian_pages_are_404_for_everyone_but_managers(client, people, who):
    user = {
        "homeroom teacher": people.world.teacher_a,
        "other school's staff": people.world.staff_b,
        "parent": people.mother,
        "anonymous": None,
    }[who]
    if user:
        client.force_login(user)
    father = _link(people, FATHER_PHONE)
    data = {"full_name": "X", "phone": "0981330099", "relationship": "father"}
    before = school_state(people.world)
    paths = (
        _path(people),
        _path(people, father),
        _path(people, father, "remove/"),
        _path(people, father, "primary/"),
    )
    assert_refused(client, user, [(path, data) for path in paths])
    assert school_state(people.world) == before


def test_a_link_of_another_student_is_404(client, people):
    mother_of_binh = _link(people, MOTHER_PHONE, people.binh)
    client.force_login(people.world.admin_a)
    before = school_state(people.world)
    for tail in ("", "remove/", "primary/"):
        assert client.post(_path(people, mother_of_binh, tail), {}).status_code == 404
    assert school_state(people.world) == before


# --- add -------------------------------------------------------------------------------------------------


def test_add_a_guardian(client, people):
    client.force_login(people.world.principal_a)
    response = client.post(
        _path(people),
        {"full_name": "Trần Văn Ông", "phone": "0981 330 030", "relationship": "grandparent", "email": ""},
        follow=True,
    )
    assert response.redirect_chain == [(_profile(people), 302)]
    assert "Đã thêm phụ huynh Trần Văn Ông" in response.content.decode()
    link = _link(people, NEW_PHONE)
    assert not link.is_primary_contact and link.relationship == "grandparent"
    grandpa = User.objects.get(phone=NEW_PHONE)
    assert link.guardian.user_id == grandpa.pk and _affiliated(grandpa, people)
    assert _signed_in(grandpa).get(_profile(people)).status_code == 200
    with schema_context(SCHEMA):
        assert AuditEvent.objects.get(action="guardian.add").after["phone"] == NEW_PHONE


def test_add_as_primary_contact_leaves_exactly_one(client, people):
    client.force_login(people.world.admin_a)
    client.post(_path(people), {"full_name": "Ông", "phone": NEW_PHONE, "relationship": "grandparent",
                                "is_primary": "on"})  # fmt: skip
    with schema_context(SCHEMA):
        primary = StudentGuardian.objects.filter(student=people.an, is_primary_contact=True)
        assert [link.guardian.phone for link in primary] == [NEW_PHONE]


def test_add_a_phone_the_school_knows_links_that_guardian(client, people):
    """The father of An is added to Bình: the same person, no second guardian row."""
    with schema_context(SCHEMA):
        count = Guardian.objects.count()
    client.force_login(people.world.admin_a)
    response = client.post(
        f"/s/test-a/students/{people.binh.pk}/guardians/new/",
        {"full_name": "Tên Gõ Khác", "phone": "0981330002", "relationship": "father"},
        follow=True,
    )
    assert (
        "Số 0981 330 002 đã là của phụ huynh Nguyễn Văn Bố ở trường: đã liên kết với học sinh, "
        "không tạo phụ huynh mới." in response.content.decode()
    )
    with schema_context(SCHEMA):
        assert Guardian.objects.count() == count
        assert _link(people, FATHER_PHONE, people.binh).guardian.full_name == "Nguyễn Văn Bố"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"phone": "12345"}, "Số điện thoại không hợp lệ: 12345"),
        ({"phone": "+1 202 555 0100"}, "Chỉ chấp nhận số điện thoại Việt Nam"),
        ({"full_name": "  "}, "Trường này là bắt buộc."),
        ({"relationship": "uncle"}, "Hãy chọn một lựa chọn hợp lệ"),
        ({"email": "khong-phai-email"}, "Nhập một địa chỉ email hợp lệ."),
        ({"phone": "0981330002"}, "Nguyễn Văn Bố (0981 330 002) đã là phụ huynh của học sinh này."),
    ],
)
def test_add_refuses_bad_input_and_changes_nothing(client, people, changes, message):
    data = {"full_name": "Trần Văn Ông", "phone": "0981330030", "relationship": "grandparent", "email": ""}
    data.update(changes)
    before, users = school_state(people.world), User.objects.count()
    client.force_login(people.world.principal_a)
    response = client.post(_path(people), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert school_state(people.world) == before and User.objects.count() == users


# --- fix a wrong phone number ----------------------------------------------------------------------------


def test_fix_a_wrong_phone_number(client, people):
    """The father's number was mistyped: after the fix the old number's user is out at once (it was in,
    cached) and the new number's user sees the child."""
    old = _signed_in(people.father)
    assert old.get(_profile(people)).status_code == 200
    father = _link(people, FATHER_PHONE)
    client.force_login(people.world.admin_a)
    page = client.get(_path(people, father)).content.decode()
    assert 'value="0981 330 002"' in page
    response = client.post(
        _path(people, father),
        {
            "full_name": "Nguyễn Văn Bố",
            "phone": "0981.330.030",
            "relationship": "father",
            "email": "bo@example.vn",
        },
        follow=True,
    )
    assert "Đã lưu thông tin phụ huynh Nguyễn Văn Bố" in response.content.decode()
    with schema_context(SCHEMA):
        guardian = Guardian.objects.get(pk=father.guardian_id)  # the same guardian, corrected
        assert (guardian.phone, guardian.email) == (NEW_PHONE, "bo@example.vn")
        event = AuditEvent.objects.get(action="guardian.edit")
        assert (event.before["phone"], event.after["phone"]) == (FATHER_PHONE, NEW_PHONE)
    new_user = User.objects.get(phone=NEW_PHONE)
    assert guardian.user_id == new_user.pk
    assert old.get(_profile(people)).status_code == 404
    assert old.get("/s/test-a/").status_code == 404
    assert not SchoolAffiliation.objects.filter(user=people.father, school=people.world.school_a).exists()
    assert _signed_in(new_user).get(_profile(people)).status_code == 200
    assert _affiliated(new_user, people)


def test_fixing_the_mothers_phone_holds_for_all_her_children(client, people):
    mother = _link(people, MOTHER_PHONE)
    client.force_login(people.world.admin_a)
    page = client.get(_path(people, mother)).content.decode()
    assert "Nguyễn Thị Bình" in page  # the form says the correction holds for her other child too
    client.post(
        _path(people, mother), {"full_name": "Trần Thị Mẹ", "phone": NEW_PHONE, "relationship": "mother"}
    )
    new_user = User.objects.get(phone=NEW_PHONE)
    for student in (people.an, people.binh):
        assert _signed_in(new_user).get(f"/s/test-a/students/{student.pk}/").status_code == 200
        assert _signed_in(people.mother).get(f"/s/test-a/students/{student.pk}/").status_code == 404


def test_a_phone_of_another_guardian_links_to_that_guardian(client, people):
    """The father's number on An's profile was wrong; the right one is the grandfather's, already the
    guardian of another pupil: An is linked to him, and the father's row, left with no child, loses access."""
    with schema_context(SCHEMA):
        other_child = student_enrol("PP009", people.class_6a2, "Trần Văn Cháu")
        grandpa_row = guardian_link(other_child, NEW_PHONE, full_name="Trần Văn Ông")
        count = Guardian.objects.count()
    grandpa = User.objects.create_user(NEW_PHONE, full_name="Trần Văn Ông")
    old = _signed_in(people.father)
    assert old.get("/s/test-a/").status_code == 200
    father = _link(people, FATHER_PHONE)
    client.force_login(people.world.admin_a)
    response = client.post(
        _path(people, father), {"full_name": "Ai Đó", "phone": "0981330030", "relationship": "grandparent"},
        follow=True,
    )  # fmt: skip
    assert (
        "Số 0981 330 030 đã là của phụ huynh Trần Văn Ông ở trường: học sinh được liên kết với phụ huynh này"
        in response.content.decode()
    )
    with schema_context(SCHEMA):
        assert Guardian.objects.count() == count  # no duplicate; the father's row stays as history
        link = StudentGuardian.objects.get(pk=father.pk)
        assert link.guardian_id == grandpa_row.pk and link.relationship == "grandparent"
        assert Guardian.objects.get(phone=FATHER_PHONE).user_id is None
        assert Guardian.objects.get(pk=grandpa_row.pk).user_id == grandpa.pk
    assert old.get("/s/test-a/").status_code == 404
    assert _signed_in(grandpa).get(_profile(people)).status_code == 200


def test_edit_to_the_phone_of_another_guardian_of_the_same_student_is_refused(client, people):
    before = school_state(people.world)
    client.force_login(people.world.admin_a)
    response = client.post(
        _path(people, _link(people, FATHER_PHONE)),
        {"full_name": "Nguyễn Văn Bố", "phone": MOTHER_PHONE, "relationship": "father"},
    )
    assert response.status_code == 400
    assert "đã là phụ huynh của học sinh này: hãy xoá dòng sai thay vì sửa." in response.content.decode()
    assert school_state(people.world) == before


@pytest.mark.parametrize("changes", [{"phone": "0000"}, {"full_name": ""}, {"email": "@"}])
def test_edit_refuses_bad_input_and_changes_nothing(client, people, changes):
    data = {"full_name": "Nguyễn Văn Bố", "phone": FATHER_PHONE, "relationship": "father", "email": ""}
    data.update(changes)
    before = school_state(people.world)
    client.force_login(people.world.admin_a)
    response = client.post(_path(people, _link(people, FATHER_PHONE)), data)
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    assert school_state(people.world) == before


# --- remove, primary contact -----------------------------------------------------------------------------


def test_remove_a_guardian_who_has_another_child_here(client, people):
    mother = _link(people, MOTHER_PHONE)
    client.force_login(people.world.admin_a)
    page = client.get(_path(people, mother, "remove/")).content.decode()
    assert "Vẫn là phụ huynh của: Nguyễn Thị Bình." in page and "liên hệ chính" in page
    response = client.post(_path(people, mother, "remove/"), follow=True)
    assert "Trần Thị Mẹ không còn là phụ huynh của Nguyễn Văn An." in response.content.decode()
    parent = _signed_in(people.mother)
    assert parent.get(_profile(people)).status_code == 404
    assert parent.get(f"/s/test-a/students/{people.binh.pk}/").status_code == 200
    assert _affiliated(people.mother, people)
    with schema_context(SCHEMA):  # the father becomes the primary contact: exactly one
        assert [link.guardian.phone for link in StudentGuardian.objects.filter(student=people.an)] == [
            FATHER_PHONE
        ]
        assert StudentGuardian.objects.get(student=people.an).is_primary_contact
        assert AuditEvent.objects.get(action="guardian.remove").before["phone"] == MOTHER_PHONE


def test_remove_a_guardian_with_no_other_child_ends_their_access(client, people):
    father = _signed_in(people.father)
    assert father.get("/s/test-a/").status_code == 200
    link = _link(people, FATHER_PHONE)
    client.force_login(people.world.admin_a)
    assert (
        "không vào được trang của trường nữa" in client.get(_path(people, link, "remove/")).content.decode()
    )
    client.post(_path(people, link, "remove/"))
    assert father.get("/s/test-a/").status_code == 404
    assert not _affiliated(people.father, people)
    with schema_context(SCHEMA):
        assert Guardian.objects.get(phone=FATHER_PHONE).user_id is None  # the row stays (history)


def test_set_the_primary_contact(client, people):
    father = _link(people, FATHER_PHONE)
    client.force_login(people.world.principal_a)
    assert client.get(_path(people, father, "primary/")).status_code == 405
    response = client.post(_path(people, father, "primary/"), follow=True)
    assert "Nguyễn Văn Bố là liên hệ chính." in response.content.decode()
    with schema_context(SCHEMA):
        primary = StudentGuardian.objects.filter(student=people.an, is_primary_contact=True)
        assert [link.guardian.phone for link in primary] == [FATHER_PHONE]
        # Bình's primary contact (the mother) is untouched.
        assert _link(people, MOTHER_PHONE, people.binh).is_primary_contact
