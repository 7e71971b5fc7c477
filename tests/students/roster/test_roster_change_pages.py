"""The pages for changes over time: a class change from the student's
profile, the year rollover from the classes page. Managers only; bad input shows its error and changes
nothing."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from schoolbook.audit.models import AuditEvent
from students.models import (
    Enrolment,
    GradeLevel,
    Guardian,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentGuardian,
    StudentStatus,
)
from tenants.models import SchoolAffiliation
from tenants.services import affiliation_add
from tests.conftest import confirm_token
from tests.factories import student_enrol

MOTHER_PHONE = "+84981220001"


@dataclass
class Setup:
    year: SchoolYear  # school A's current year
    class_6a1: SchoolClass  # homeroom: world.teacher_a
    class_6a2: SchoolClass
    class_9a1: SchoolClass  # last grade of a lower-secondary school
    old_class: SchoolClass  # 6A9 of last year
    an: Student  # 6A1, with a guardian who is a user
    ha: Student  # 9A1
    mother: User


def _class(name, grade, year, homeroom=None):
    return SchoolClass.objects.create(
        name=name, grade=GradeLevel.objects.get(number=grade), year=year, homeroom_teacher=homeroom
    )


def _student(code, name, school_class):
    return student_enrol(code, school_class, name, born="2014-03-02", starts_on=school_class.year.starts_on)


@pytest.fixture
def setup(world) -> Setup:
    mother = User.objects.create_user(MOTHER_PHONE, full_name="Nguyễn Thị Mẹ")
    with schema_context(world.school_a.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        past = SchoolYear.objects.create(
            name="2000-2001",
            starts_on=year.starts_on.replace(year=2000),
            ends_on=year.ends_on.replace(year=2001),
        )
        class_6a1 = _class("6A1", 6, year, StaffMember.objects.get(user=world.teacher_a))
        class_6a2 = _class("6A2", 6, year)
        class_9a1 = _class("9A1", 9, year)
        old_class = _class("6A9", 6, past)
        an = _student("HS001", "Nguyễn Văn An", class_6a1)
        ha = _student("HS002", "Trần Thu Hà", class_9a1)
        guardian = Guardian.objects.create(phone=MOTHER_PHONE, full_name="Nguyễn Thị Mẹ", user=mother)
        StudentGuardian.objects.create(
            student=an, guardian=guardian, relationship="mother", is_primary_contact=True
        )
        affiliation_add(user=mother, school=world.school_a, is_guardian=True)
    with schema_context(world.school_b.schema_name):
        _class("6A1", 6, SchoolYear.objects.get(is_current=True))
    return Setup(year, class_6a1, class_6a2, class_9a1, old_class, an, ha, mother)


def _state(world, setup):
    """Everything the forms could change, to compare before and after a refused request."""
    with schema_context(world.school_a.schema_name):
        a = (
            sorted(
                Enrolment.objects.values_list(
                    "student__student_code", "school_class__name", "starts_on", "ends_on"
                )
            ),
            sorted(Student.objects.values_list("student_code", "status")),
            sorted(SchoolYear.objects.values_list("name", "is_current")),
            SchoolClass.objects.count(),
            AuditEvent.objects.count(),
        )
    with schema_context(world.school_b.schema_name):
        b = (Student.objects.count(), Enrolment.objects.count(), AuditEvent.objects.count())
    return a, b, SchoolAffiliation.objects.filter(user=setup.mother).count()


def _profile(setup):
    return f"/s/test-a/students/{setup.an.pk}/"


# --- class change -----------------------------------------------------------------------------------------


def test_profile_shows_both_forms_to_a_manager_with_csrf(client, world, setup):
    client.force_login(world.principal_a)
    page = client.get(_profile(setup)).content.decode()
    assert "Chuyển lớp" in page and "Chuyển trường" in page
    assert page.count('name="csrfmiddlewaretoken"') >= 2
    assert (
        ">6A2<" in page and ">6A1<" not in page.split('id="move"')[1].split("</form>")[0]
    )  # not its own class
    assert ">6A9<" not in page  # last year's class is not offered


def test_move_to_another_class(client, world, setup):
    client.force_login(world.admin_a)
    on = setup.year.starts_on + timedelta(days=30)
    response = client.post(
        f"{_profile(setup)}move/", {"to_class": setup.class_6a2.pk, "on_date": on.isoformat()}, follow=True
    )
    assert response.redirect_chain == [(_profile(setup), 302)]
    assert f"Đã chuyển Nguyễn Văn An sang lớp 6A2 từ ngày {on:%d/%m/%Y}." in response.content.decode()
    with schema_context(world.school_a.schema_name):
        history = sorted(
            Enrolment.objects.filter(student=setup.an).values_list(
                "school_class__name", "starts_on", "ends_on"
            )
        )
        assert history == [("6A1", setup.year.starts_on, on - timedelta(days=1)), ("6A2", on, None)]
        assert AuditEvent.objects.filter(action="enrolment.move").count() == 1


@pytest.mark.parametrize(
    "case, message",
    [
        ("unknown class", "Chọn một lớp khác của năm học hiện tại."),
        ("other year's class", "Chọn một lớp khác của năm học hiện tại."),
        ("own class", "Chọn một lớp khác của năm học hiện tại."),
        ("impossible date", "Nhập ngày hợp lệ (dd/mm/yyyy)."),
        ("no date", "Trường này là bắt buộc."),
        ("before the current class", "Ngày chuyển lớp phải sau ngày vào lớp hiện tại"),
    ],
)
def test_move_refuses_bad_input_and_changes_nothing(client, world, setup, case, message):
    on = (setup.year.starts_on + timedelta(days=30)).isoformat()
    data = {
        "unknown class": {"to_class": 999999, "on_date": on},
        "other year's class": {"to_class": setup.old_class.pk, "on_date": on},
        "own class": {"to_class": setup.class_6a1.pk, "on_date": on},
        "impossible date": {"to_class": setup.class_6a2.pk, "on_date": "31/02/2027"},
        "no date": {"to_class": setup.class_6a2.pk, "on_date": ""},
        "before the current class": {
            "to_class": setup.class_6a2.pk,
            "on_date": setup.year.starts_on.isoformat(),
        },
    }[case]
    before = _state(world, setup)
    client.force_login(world.principal_a)
    response = client.post(f"{_profile(setup)}move/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert "Nguyễn Văn An" in page  # the profile again, with the form and its error
    assert _state(world, setup) == before


# --- year rollover ----------------------------------------------------------------------------------------


def _next_name(year):
    first = int(year.name[:4]) + 1
    return f"{first}-{first + 1}"


def _rollover_data(setup, **changes):
    first = int(setup.year.name[:4]) + 1
    data = {"name": _next_name(setup.year), "starts_on": f"{first}-09-05", "ends_on": f"{first + 1}-05-31"}
    data.update(changes)
    return data


def test_classes_page_links_to_the_rollover_and_the_form_is_prefilled(client, world, setup):
    client.force_login(world.principal_a)
    assert "/s/test-a/classes/rollover/" in client.get("/s/test-a/classes/").content.decode()
    page = client.get("/s/test-a/classes/rollover/").content.decode()
    first = int(setup.year.name[:4]) + 1
    assert f'value="{_next_name(setup.year)}"' in page
    assert f'value="{first}-09-05"' in page and f'value="{first + 1}-05-31"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_a_rollover_confirmed_on_a_stale_preview_shows_the_new_one(client, world, setup):
    client.force_login(world.principal_a)
    token = confirm_token(client.post("/s/test-a/classes/rollover/", _rollover_data(setup)))
    with schema_context(world.school_a.schema_name):
        _class("6A9", 6, setup.year)  # a class added since the preview
    before = _state(world, setup)
    again = client.post("/s/test-a/classes/rollover/", _rollover_data(setup, confirm=token, checked="1"))
    page = again.content.decode()
    assert "Số liệu đã thay đổi từ lúc bạn xem." in page and "6A9 → 7A9 (0)" in page
    assert _state(world, setup) == before
    with schema_context(world.school_a.schema_name):
        assert SchoolYear.objects.filter(is_current=True).get() == setup.year


def test_rollover_previews_then_confirms(client, world, setup):
    client.force_login(world.principal_a)
    before = _state(world, setup)
    preview = client.post("/s/test-a/classes/rollover/", _rollover_data(setup))
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "6A1 → 7A1 (1)" in page and "6A2 → 7A2 (0)" in page
    assert "2 lớp lên lớp, 1 học sinh." in page and "1 học sinh tốt nghiệp." in page and "9A1" in page
    assert "Tôi đã kiểm tra" in page
    assert _state(world, setup) == before  # the preview writes nothing

    token = confirm_token(preview)
    unchecked = client.post("/s/test-a/classes/rollover/", _rollover_data(setup, confirm=token))
    assert "Đánh dấu “Tôi đã kiểm tra” để chuyển năm học." in unchecked.content.decode()
    assert _state(world, setup) == before
    # Without the preview's token (one click from elsewhere, a forged form) it shows the preview again.
    forged = client.post("/s/test-a/classes/rollover/", _rollover_data(setup, confirm="1", checked="1"))
    assert (
        "Số liệu đã thay đổi từ lúc bạn xem." in forged.content.decode()
        and "6A1 → 7A1 (1)" in forged.content.decode()
    )
    assert _state(world, setup) == before

    done = client.post(
        "/s/test-a/classes/rollover/", _rollover_data(setup, confirm=token, checked="1"), follow=True
    )
    assert done.redirect_chain == [("/s/test-a/classes/", 302)]
    name = _next_name(setup.year)
    assert f"Năm học {name}: 2 lớp mới, 1 học sinh lên lớp, 1 học sinh tốt nghiệp." in done.content.decode()
    with schema_context(world.school_a.schema_name):
        assert SchoolYear.objects.get(is_current=True).name == name
        assert Enrolment.objects.get(student=setup.an, ends_on__isnull=True).school_class.name == "7A1"
        assert Student.objects.get(pk=setup.ha.pk).status == StudentStatus.GRADUATED


@pytest.mark.parametrize(
    "case, message",
    [
        ("existing year", "Năm học {current} đã có."),
        ("bad name", "Năm học có dạng 2025-2026."),
        ("starts too early", "Năm học mới phải bắt đầu sau ngày {end}."),
        ("ends before it starts", "Ngày kết thúc phải sau ngày bắt đầu."),
        ("impossible date", "Nhập ngày hợp lệ (dd/mm/yyyy)."),
        ("class name without its grade", "Tên lớp Lớp chọn không bắt đầu bằng khối 6"),
    ],
)
@pytest.mark.parametrize("confirm", [False, True])
def test_rollover_refuses_bad_input_and_changes_nothing(client, world, setup, case, message, confirm):
    first = int(setup.year.name[:4]) + 1
    changes = {
        "existing year": {"name": setup.year.name},
        "bad name": {"name": "2027"},
        "starts too early": {"starts_on": setup.year.ends_on.isoformat()},
        "ends before it starts": {"ends_on": f"{first}-09-01"},
        "impossible date": {"starts_on": f"{first}-02-30"},
        "class name without its grade": {},
    }[case]
    if case == "class name without its grade":
        with schema_context(world.school_a.schema_name):
            _class("Lớp chọn", 6, setup.year)
    if confirm:
        changes.update(confirm="1", checked="1")
    before = _state(world, setup)
    client.force_login(world.admin_a)
    response = client.post("/s/test-a/classes/rollover/", _rollover_data(setup, **changes))
    page = response.content.decode()
    assert response.status_code == 400
    assert message.format(current=setup.year.name, end=f"{setup.year.ends_on:%d/%m/%Y}") in page
    assert 'role="alert"' in page and "Tôi đã kiểm tra" not in page
    assert _state(world, setup) == before


# --- who may ----------------------------------------------------------------------------------------------


def test_teachers_and_other_schools_staff_get_404(client, world, setup):
    on = (setup.year.starts_on + timedelta(days=30)).isoformat()
    posts = [
        (f"{_profile(setup)}move/", {"to_class": setup.class_6a2.pk, "on_date": on}),
        ("/s/test-a/classes/rollover/", _rollover_data(setup, confirm="1", checked="1")),
    ]
    before = _state(world, setup)
    for user in (world.teacher_a, world.staff_b, setup.mother):
        client.force_login(user)
        for path, data in posts:
            assert client.get(path).status_code == 404, (user, path)
            assert client.post(path, data).status_code == 404, (user, path)
    assert _state(world, setup) == before
    # The homeroom teacher sees the profile, without the forms.
    client.force_login(world.teacher_a)
    page = client.get(_profile(setup)).content.decode()
    assert "Nguyễn Văn An" in page and 'id="move"' not in page and 'id="transfer"' not in page


def test_profile_title_is_only_the_name(client, world):
    """The forms live in the page body once, not in <title>."""
    import re

    from students.models import Student

    client.force_login(world.principal_a)
    with schema_context(world.school_a.schema_name):
        student = Student.objects.create(
            student_code="TT001", full_name="Lý Thường Kiệt", date_of_birth="2013-01-01", gender="male"
        )
    page = client.get(f"/s/test-a/students/{student.pk}/").content.decode()
    assert re.search(r"<title>\s*Lý Thường Kiệt ·", page)
    assert page.count('id="move"') == 1
