"""Staff one by one (students.people): edit (roles incl. vice principal, position, subjects), deactivate and
reactivate, remove from the school. School admins and principals only; the school never loses its last
school admin; a removed or deactivated person's access ends at the next request."""

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from schoolbook.audit.models import AuditEvent
from students.models import SchoolClass, StaffMember, TeachingAssignment
from tenants.models import SchoolAffiliation, schema_name_for
from tests.factories import staff_make
from tests.people_world import people_world, school_state

SCHEMA = schema_name_for("test-a")
VICE_PHONE = "+84981330050"


@pytest.fixture
def people(school):
    world = people_world(school)
    world.vice = staff_make(school, VICE_PHONE, "Phan Phó Hiệu Trưởng", roles=[Role.VICE_PRINCIPAL]).user
    return world


def _teacher_path(people, tail=""):
    return f"/s/test-a/staff/{people.teacher.pk}/{tail}"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _staff(user):
    with schema_context(SCHEMA):
        return StaffMember.objects.get(user=user)


# --- who may ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["teacher", "vice principal", "other school's staff", "parent"])
def test_staff_pages_are_404_for_everyone_but_admins_and_principals(client, people, who):
    user = {
        "teacher": people.world.teacher_a,
        "vice principal": people.vice,
        "other school's staff": people.world.staff_b,
        "parent": people.mother,
    }[who]
    before = school_state(people.world)
    client.force_login(user)
    admin_pk = _staff(people.world.admin_a).pk
    for path in (_teacher_path(people), f"/s/test-a/staff/{admin_pk}/"):
        assert client.get(path).status_code == 404
        assert client.post(path, {"full_name": "X", "roles": ["school_admin"]}).status_code == 404
    assert client.get(_teacher_path(people, "remove/")).status_code == 404
    assert client.post(_teacher_path(people, "remove/")).status_code == 404
    assert client.post(_teacher_path(people, "active/"), {"active": "0"}).status_code == 404
    assert school_state(people.world) == before


def test_anonymous_is_sent_to_sign_in(client, people):
    before = school_state(people.world)
    for path in (_teacher_path(people), _teacher_path(people, "remove/"), _teacher_path(people, "active/")):
        response = client.post(path, {"active": "0"})
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert school_state(people.world) == before


def test_the_staff_list_links_each_name_to_its_page_for_admins_only(client, people):
    client.force_login(people.world.principal_a)
    assert f'href="{_teacher_path(people)}"' in client.get("/s/test-a/staff/").content.decode()
    client.force_login(people.vice)
    page = client.get("/s/test-a/staff/").content.decode()
    assert "Vũ Giáo Viên" in page and f'href="{_teacher_path(people)}"' not in page


def test_unknown_staff_member_is_404(client, people):
    client.force_login(people.world.admin_a)
    assert client.get("/s/test-a/staff/999999/").status_code == 404


# --- edit ------------------------------------------------------------------------------------------------


def test_edit_roles_position_and_subjects(client, people):
    with schema_context(SCHEMA):
        toan = people.teacher.assignments.get().subject
    client.force_login(people.world.principal_a)
    page = client.get(_teacher_path(people)).content.decode()
    assert "Phó hiệu trưởng" in page and "Toán" in page
    response = client.post(
        _teacher_path(people),
        {"full_name": "  Vũ   Giáo Viên Mới ", "roles": ["teacher", "vice_principal"],
         "position": "Tổ trưởng tổ Toán", "subjects": [toan.pk]},
        follow=True,
    )  # fmt: skip
    assert response.redirect_chain == [("/s/test-a/staff/", 302)]
    assert "Đã lưu thông tin của Vũ Giáo Viên Mới." in response.content.decode()
    with schema_context(SCHEMA):
        staff = StaffMember.objects.get(pk=people.teacher.pk)
        assert (staff.full_name, staff.roles, staff.position) == (
            "Vũ Giáo Viên Mới", ["teacher", "vice_principal"], "Tổ trưởng tổ Toán",
        )  # fmt: skip
        assert list(staff.subjects.all()) == [toan]
        event = AuditEvent.objects.get(action="staff.edit")
        assert event.before["roles"] == ["teacher"] and event.after["subjects"] == ["toan"]
    # A vice principal is a manager: the students' pages open at once (the cached lookup was forgotten).
    assert _signed_in(people.world.teacher_a).get("/s/test-a/students/").status_code == 200


@pytest.mark.parametrize(
    "case, message",
    [
        ("no role", "Chọn ít nhất một vai trò."),
        ("unknown role", "Hãy chọn một lựa chọn hợp lệ"),
        ("no name", "Trường này là bắt buộc."),
        ("unknown subject", "Hãy chọn một lựa chọn hợp lệ"),
        ("last admin loses the role", "là quản trị trường duy nhất đang làm việc"),
    ],
)
def test_edit_refuses_bad_input_and_changes_nothing(client, people, case, message):
    data = {"full_name": "Vũ Giáo Viên", "roles": ["teacher"], "position": ""}
    path = _teacher_path(people)
    if case == "no role":
        data["roles"] = []
    elif case == "unknown role":
        data["roles"] = ["headmaster"]
    elif case == "no name":
        data["full_name"] = "   "
    elif case == "unknown subject":
        data["subjects"] = [999999]
    else:
        path = f"/s/test-a/staff/{_staff(people.world.admin_a).pk}/"
        data = {"full_name": "Lê Quản Trị A", "roles": ["principal"]}
    before = school_state(people.world)
    client.force_login(people.world.principal_a)
    response = client.post(path, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert school_state(people.world) == before


# --- deactivate, reactivate ------------------------------------------------------------------------------


def test_deactivation_ends_access_at_once_and_reactivation_restores_it(client, people):
    teacher = _signed_in(people.world.teacher_a)
    assert teacher.get("/s/test-a/").status_code == 200  # the staff lookup is now cached
    client.force_login(people.world.admin_a)
    response = client.post(_teacher_path(people, "active/"), {"active": "0"}, follow=True)
    assert "Vũ Giáo Viên đã được cho tạm nghỉ." in response.content.decode()
    assert teacher.get("/s/test-a/").status_code == 404
    assert not SchoolAffiliation.objects.filter(
        user=people.world.teacher_a, school=people.world.school_a
    ).exists()
    with schema_context(SCHEMA):  # a pause, not a departure: the duties stay
        assert SchoolClass.objects.get(pk=people.class_6a1.pk).homeroom_teacher_id == people.teacher.pk
        assert TeachingAssignment.objects.filter(teacher=people.teacher).count() == 1
    client.post(_teacher_path(people, "active/"), {"active": "1"})
    assert teacher.get("/s/test-a/").status_code == 200
    assert SchoolAffiliation.objects.get(user=people.world.teacher_a, school=people.world.school_a).is_staff
    with schema_context(SCHEMA):
        assert [e.action for e in AuditEvent.objects.order_by("pk")][-2:] == [
            "staff.deactivate", "staff.reactivate",
        ]  # fmt: skip


@pytest.mark.parametrize("case", ["yourself", "the last school admin"])
def test_deactivation_refused(client, people, case):
    actor, target = {
        "yourself": (people.world.principal_a, people.world.principal_a),
        "the last school admin": (people.world.principal_a, people.world.admin_a),
    }[case]
    before = school_state(people.world)
    client.force_login(actor)
    response = client.post(f"/s/test-a/staff/{_staff(target).pk}/active/", {"active": "0"}, follow=True)
    page = response.content.decode()
    assert "không thể tự cho mình nghỉ" in page or "là quản trị trường duy nhất đang làm việc" in page
    assert school_state(people.world) == before


# --- remove from the school ------------------------------------------------------------------------------


def test_removal_lists_what_it_releases_before_confirming(client, people):
    client.force_login(people.world.admin_a)
    response = client.get(_teacher_path(people, "remove/"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "6A1" in page and "Toán – 6A1" in page and "Xác nhận rời trường" in page
    assert "điểm đã nhập" in page  # says what stays


def test_removal_ends_access_releases_duties_and_keeps_history(client, people):
    teacher = _signed_in(people.world.teacher_a)
    assert teacher.get("/s/test-a/").status_code == 200
    users_before = User.objects.count()
    client.force_login(people.world.principal_a)
    response = client.post(_teacher_path(people, "remove/"), follow=True)
    assert response.redirect_chain == [("/s/test-a/staff/", 302)]
    page = response.content.decode()
    assert "Vũ Giáo Viên đã rời trường. Hãy giao lại: 6A1, Toán – 6A1." in page
    assert "Đã rời trường" in page  # the list still shows them
    assert teacher.get("/s/test-a/").status_code == 404
    assert teacher.get("/s/test-a/grades/").status_code == 404
    with schema_context(SCHEMA):
        staff = StaffMember.objects.get(pk=people.teacher.pk)  # the row stays: history points at it
        assert not staff.is_active and staff.left_on is not None
        assert SchoolClass.objects.get(pk=people.class_6a1.pk).homeroom_teacher is None
        assert not TeachingAssignment.objects.filter(teacher=staff).exists()
        event = AuditEvent.objects.get(action="staff.remove")
        assert event.actor == people.world.principal_a and event.after["homeroom"] == ["6A1"]
    assert User.objects.count() == users_before  # the account is not deleted
    assert not SchoolAffiliation.objects.filter(
        user=people.world.teacher_a, school=people.world.school_a
    ).exists()
    # Removed already: the page says so instead of offering it again.
    response = client.get(_teacher_path(people, "remove/"), follow=True)
    assert "Vũ Giáo Viên đã rời trường." in response.content.decode()


def test_someone_who_left_can_be_taken_back(client, people):
    client.force_login(people.world.admin_a)
    client.post(_teacher_path(people, "remove/"))
    client.post(_teacher_path(people, "active/"), {"active": "1"})
    with schema_context(SCHEMA):
        staff = StaffMember.objects.get(pk=people.teacher.pk)
        assert staff.is_active and staff.left_on is None
    assert _signed_in(people.world.teacher_a).get("/s/test-a/").status_code == 200


@pytest.mark.parametrize("case", ["the last school admin", "yourself"])
def test_removal_refused_with_a_reason(client, people, case):
    actor = people.world.principal_a if case == "the last school admin" else people.world.admin_a
    before = school_state(people.world)
    client.force_login(actor)
    response = client.post(f"/s/test-a/staff/{_staff(people.world.admin_a).pk}/remove/")
    assert response.status_code == 400
    page = response.content.decode()
    reason = (
        "Lê Quản Trị A là quản trị trường duy nhất đang làm việc"
        if case == "the last school admin"
        else "Bạn không thể tự cho mình nghỉ hoặc rời trường."
    )
    assert reason in page and 'role="alert"' in page
    assert school_state(people.world) == before


def test_an_admin_can_leave_when_another_admin_remains(client, people):
    second = staff_make(people.world, "+84981330051", "Đinh Quản Trị Hai", roles=[Role.SCHOOL_ADMIN])
    client.force_login(people.world.principal_a)
    client.post(f"/s/test-a/staff/{_staff(people.world.admin_a).pk}/remove/")
    with schema_context(SCHEMA):
        assert StaffMember.objects.get(user=people.world.admin_a).left_on is not None
    # ... and now the second one is the last.
    response = client.post(f"/s/test-a/staff/{second.pk}/remove/")
    assert response.status_code == 400
