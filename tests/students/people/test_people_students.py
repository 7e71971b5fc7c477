"""Students one by one (students.people): add (with a first guardian), edit the profile, withdraw. The
school's managers only; bad input shows a clear Vietnamese error and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment, Guardian, Student, StudentGuardian, StudentStatus
from tenants.models import SchoolAffiliation, schema_name_for
from tests.conftest import assert_refused
from tests.factories import enrolment_start, staff_make
from tests.people_world import MOTHER_PHONE, people_world, school_state

SCHEMA = schema_name_for("test-a")


@pytest.fixture
def people(school):
    return people_world(school)


def _add_data(people, **changes):
    data = {
        "student_code": "PP100",
        "full_name": "Lê  Minh Châu",
        "date_of_birth": "2015-03-02",
        "gender": "female",
        "national_id": "",
        "school_class": people.class_6a2.pk,
        "starts_on": max(timezone.localdate(), people.year.starts_on).isoformat(),
        "guardian_name": "Lê Văn Cha",
        "guardian_phone": "0981 330 020",
        "guardian_relationship": "father",
    }
    data.update(changes)
    return data


# --- who may ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["homeroom teacher", "other school's staff", "parent", "anonymous"])
def test_student_pages_are_404_for_everyone_but_managers(client, people, who):
    user = {
        "homeroom teacher": people.world.teacher_a,  # of An's class: may see An, not change the roster
        "other school's staff": people.world.staff_b,
        "parent": people.mother,
        "anonymous": None,
    }[who]
    before = school_state(people.world)
    if user:
        client.force_login(user)
    an = people.an.pk
    requests = [
        ("/s/test-a/students/new/", _add_data(people)),
        (f"/s/test-a/students/{an}/edit/", {"student_code": "X1", "full_name": "X"}),
        (f"/s/test-a/students/{an}/withdraw/", {"status": "dropped_out", "reason": "x"}),
    ]
    assert_refused(client, user, requests)
    assert school_state(people.world) == before


def test_profile_offers_the_changes_to_managers_only(client, people):
    client.force_login(people.world.principal_a)
    page = client.get(f"/s/test-a/students/{people.an.pk}/").content.decode()
    for url in (f"/students/{people.an.pk}/edit/", f"/students/{people.an.pk}/withdraw/", 'href="#move"',
                f"/students/{people.an.pk}/guardians/new/"):  # fmt: skip
        assert url in page
    client.force_login(people.world.teacher_a)  # the homeroom teacher sees the profile, not the changes
    page = client.get(f"/s/test-a/students/{people.an.pk}/").content.decode()
    assert "Nguyễn Văn An" in page and "/edit/" not in page and "/guardians/new/" not in page


# --- add -------------------------------------------------------------------------------------------------


def test_add_a_student_with_a_new_guardian_who_then_sees_the_child(client, people):
    vice = staff_make(people.world, "+84981330052", "Phan Phó Hiệu Trưởng", roles=[Role.VICE_PRINCIPAL])
    client.force_login(vice.user)  # a vice principal is a manager, as on the other roster pages
    assert "Thêm học sinh" in client.get("/s/test-a/students/").content.decode()
    response = client.post("/s/test-a/students/new/", _add_data(people), follow=True)
    page = response.content.decode()
    assert "Đã thêm học sinh Lê Minh Châu vào lớp 6A2." in page
    with schema_context(SCHEMA):
        chau = Student.objects.get(student_code="PP100")
        assert response.redirect_chain == [(f"/s/test-a/students/{chau.pk}/", 302)]
        assert chau.full_name == "Lê Minh Châu" and chau.status == StudentStatus.STUDYING
        enrolment = Enrolment.objects.get(student=chau)
        assert enrolment.school_class == people.class_6a2 and enrolment.ends_on is None
        link = StudentGuardian.objects.get(student=chau)
        assert link.guardian.phone == "+84981330020" and link.is_primary_contact
        assert link.relationship == "father"
        assert {e.action for e in AuditEvent.objects.filter(object_id=str(chau.pk))} == {
            "student.add", "guardian.add",
        }  # fmt: skip
    father = User.objects.get(phone="+84981330020")
    assert link.guardian.user_id == father.pk
    assert SchoolAffiliation.objects.get(user=father, school=people.world.school_a).is_guardian
    client.force_login(father)
    assert client.get(f"/s/test-a/students/{chau.pk}/").status_code == 200


def test_add_with_a_known_guardian_phone_links_rather_than_duplicates(client, people):
    client.force_login(people.world.admin_a)
    with schema_context(SCHEMA):
        count = Guardian.objects.count()
    client.post("/s/test-a/students/new/", _add_data(people, guardian_phone="0981330001", guardian_name="Mẹ"))
    with schema_context(SCHEMA):
        assert Guardian.objects.count() == count
        link = StudentGuardian.objects.get(student__student_code="PP100")
        assert link.guardian.phone == MOTHER_PHONE and link.guardian.full_name == "Trần Thị Mẹ"
        assert StudentGuardian.objects.filter(guardian=link.guardian).count() == 3  # An, Bình and Châu


def test_add_without_a_guardian(client, people):
    client.force_login(people.world.admin_a)
    data = _add_data(people, guardian_name="", guardian_phone="", guardian_relationship="")
    response = client.post("/s/test-a/students/new/", data)
    assert response.status_code == 302
    with schema_context(SCHEMA):
        assert not StudentGuardian.objects.filter(student__student_code="PP100").exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"student_code": "PP002"}, "Mã học sinh PP002 đã có ở trường."),
        ({"student_code": ""}, "Trường này là bắt buộc."),
        ({"national_id": "12345"}, "Số định danh cá nhân gồm 12 chữ số."),
        ({"date_of_birth": "2019-05-01"}, "Học sinh khối 6 năm học"),
        ({"date_of_birth": "30/02/2015"}, "Nhập ngày hợp lệ (dd/mm/yyyy)."),
        ({"date_of_birth": "2099-01-01"}, "Ngày sinh phải trước hôm nay."),
        ({"gender": "x"}, "Hãy chọn một lựa chọn hợp lệ"),
        ({"school_class": ""}, "Trường này là bắt buộc."),
        ({"school_class": "999999"}, "Chọn một lớp của năm học hiện tại."),
        ({"guardian_phone": "0123"}, "Số điện thoại không hợp lệ"),
        ({"guardian_phone": ""}, "Nhập đủ họ tên, số điện thoại và quan hệ của phụ huynh"),
        ({"starts_on": "2000-01-01"}, "Ngày vào lớp phải trong năm học"),
    ],
)
def test_add_refuses_bad_input_and_changes_nothing(client, people, changes, message):
    before = school_state(people.world)
    users = User.objects.count()
    client.force_login(people.world.principal_a)
    response = client.post("/s/test-a/students/new/", _add_data(people, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert school_state(people.world) == before and User.objects.count() == users


def test_add_says_what_to_do_when_there_is_no_class(client, world):
    client.force_login(world.admin_a)  # no `school` fixture: the current year has no class
    response = client.get("/s/test-a/students/new/")
    assert "chưa có lớp nào" in response.content.decode() and 'href="/s/test-a/classes/"' in (
        response.content.decode()
    )


def test_duplicate_national_id_is_refused(client, people):
    with schema_context(SCHEMA):
        Student.objects.filter(pk=people.binh.pk).update(national_id="001215000123")
    before = school_state(people.world)
    client.force_login(people.world.admin_a)
    response = client.post("/s/test-a/students/new/", _add_data(people, national_id="001215000123"))
    assert "Số định danh 001215000123 đã có ở trường." in response.content.decode()
    assert school_state(people.world) == before


def test_the_sector_identifier_is_checked_and_kept_unique_within_the_school(client, people):
    with schema_context(SCHEMA):
        Student.objects.filter(pk=people.binh.pk).update(sector_id="010123456789")
    before = school_state(people.world)
    client.force_login(people.world.admin_a)
    for value, message in [
        ("01012345678A", "Mã định danh Bộ GD&amp;ĐT chỉ gồm chữ số, từ 10 đến 20 số."),
        ("0101 2345 6789", "Mã định danh 010123456789 đã có ở học sinh khác của trường."),
    ]:
        response = client.post("/s/test-a/students/new/", _add_data(people, sector_id=value))
        assert response.status_code == 400 and message in response.content.decode()
    assert school_state(people.world) == before
    response = client.post("/s/test-a/students/new/", _add_data(people, sector_id="7901 0000 0001 23"))
    assert response.status_code == 302
    with schema_context(SCHEMA):
        assert Student.objects.get(student_code="PP100").sector_id == "79010000000123"


# --- edit ------------------------------------------------------------------------------------------------


def _edit_data(**changes):
    data = {"student_code": "PP001", "full_name": "Nguyễn Văn An", "date_of_birth": "2014-01-01",
            "gender": "male", "national_id": ""}  # fmt: skip
    data.update(changes)
    return data


def test_edit_the_profile(client, people):
    client.force_login(people.world.admin_a)
    path = f"/s/test-a/students/{people.an.pk}/edit/"
    assert 'value="PP001"' in client.get(path).content.decode()
    response = client.post(
        path,
        _edit_data(full_name="Nguyễn Văn Ân", date_of_birth="15/04/2014", sector_id="010100000099"),
        follow=True,
    )
    assert "Đã lưu hồ sơ học sinh." in response.content.decode()
    assert "010100000099" in response.content.decode()  # the profile shows it
    with schema_context(SCHEMA):
        an = Student.objects.get(pk=people.an.pk)
        assert an.full_name == "Nguyễn Văn Ân" and an.date_of_birth.isoformat() == "2014-04-15"
        assert an.full_name_folded == "nguyen van an"
        event = AuditEvent.objects.get(action="student.edit")
        assert event.before == {"full_name": "Nguyễn Văn An", "date_of_birth": "2014-01-01", "sector_id": ""}
        assert an.sector_id == event.after["sector_id"] == "010100000099"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"student_code": "PP002"}, "Mã học sinh PP002 đã có ở trường."),
        ({"full_name": " "}, "Trường này là bắt buộc."),
        ({"date_of_birth": "2022-01-01"}, "Học sinh khối 6 năm học"),
        ({"national_id": "abc"}, "Số định danh cá nhân gồm 12 chữ số."),
        ({"sector_id": "12345"}, "Mã định danh Bộ GD&amp;ĐT chỉ gồm chữ số, từ 10 đến 20 số."),
    ],
)
def test_edit_refuses_bad_input_and_changes_nothing(client, people, changes, message):
    before = school_state(people.world)
    client.force_login(people.world.principal_a)
    response = client.post(f"/s/test-a/students/{people.an.pk}/edit/", _edit_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert school_state(people.world) == before


# --- withdraw --------------------------------------------------------------------------------------------


def test_withdraw_after_seeing_what_will_happen(client, people):
    client.force_login(people.world.principal_a)
    path = f"/s/test-a/students/{people.an.pk}/withdraw/"
    page = client.get(path).content.decode()
    assert "rời lớp 6A1" in page and "Xác nhận nghỉ học" in page
    on = timezone.localdate()
    response = client.post(
        path,
        {"status": "dropped_out", "on_date": on.isoformat(), "reason": "Gia đình chuyển vào Nam"},
        follow=True,
    )
    page = response.content.decode()
    assert f"Nguyễn Văn An đã nghỉ học từ ngày {on:%d/%m/%Y}." in page
    assert "Gia đình chuyển vào Nam" in page and 'id="move"' not in page
    with schema_context(SCHEMA):
        an = Student.objects.get(pk=people.an.pk)
        assert an.status == StudentStatus.DROPPED_OUT and an.withdrawal_reason == "Gia đình chuyển vào Nam"
        assert Enrolment.objects.get(student=an).ends_on == on - timedelta(days=1)
        assert StudentGuardian.objects.filter(student=an).count() == 2  # the guardians stay (history)
        assert AuditEvent.objects.get(action="student.withdraw").after["reason"] == "Gia đình chuyển vào Nam"
    assert client.get(path).status_code == 404  # no longer studying: nothing to withdraw


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"reason": "  "}, "Trường này là bắt buộc."),
        ({"status": "graduated"}, "Hãy chọn một lựa chọn hợp lệ"),
        ({"on_date": "2026-02-30"}, "Nhập ngày hợp lệ (dd/mm/yyyy)."),
        ({"on_date": "enrolment start"}, "Ngày nghỉ học phải sau ngày vào lớp hiện tại"),
    ],
)
def test_withdraw_refuses_bad_input_and_changes_nothing(client, people, changes, message):
    data = {"status": "transferred", "on_date": timezone.localdate().isoformat(), "reason": "Chuyển trường"}
    data.update(changes)
    if data["on_date"] == "enrolment start":
        data["on_date"] = enrolment_start().isoformat()
    before = school_state(people.world)
    client.force_login(people.world.admin_a)
    response = client.post(f"/s/test-a/students/{people.an.pk}/withdraw/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert school_state(people.world) == before
