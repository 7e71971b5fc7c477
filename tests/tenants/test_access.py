"""Tenant isolation and roles: no page or query crosses a school; a user without a role gets 404."""

import pytest
from django_tenants.utils import schema_context

from schoolbook.home.selectors import staff_counts
from students.models import StaffMember
from students.selectors import staff_for_user
from tenants.services import school_reactivate, school_suspend


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/s/test-a/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/s/test-a/staff/"


@pytest.mark.parametrize("path", ["/s/test-a/", "/s/test-a/staff/", "/s/test-a/does-not-exist/"])
def test_outsider_from_another_school_gets_404_everywhere(client, world, path):
    client.force_login(world.staff_b)
    response = client.get(path)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_platform_admin_has_no_implicit_access_to_school_data(client, world):
    client.force_login(world.platform_admin)
    assert client.get("/s/test-a/").status_code == 404
    assert client.get("/console/").status_code == 200


def test_teacher_sees_school_home_but_not_staff_management(client, world):
    client.force_login(world.teacher_a)
    home = client.get("/s/test-a/")
    assert home.status_code == 200
    page = home.content.decode()
    assert "Trường THCS Thử Nghiệm A" in page and "Thử Nghiệm B" not in page
    assert client.get("/s/test-a/staff/").status_code == 404
    assert client.get("/console/").status_code == 404


def test_principal_home_shows_real_figures_of_that_school_only(client, world):
    client.force_login(world.principal_a)
    page = client.get("/s/test-a/").content.decode()
    assert 'data-figure="staff-total">3<' in page  # admin, principal, teacher of A; never B's two
    staff_page = client.get("/s/test-a/staff/").content.decode()
    assert "Vũ Giáo Viên" in staff_page and "Đỗ Người Ngoài" not in staff_page


def test_queries_in_a_school_schema_see_only_that_school(world):
    with schema_context(world.school_a.schema_name):
        assert staff_for_user(world.staff_b) is None
        assert staff_counts()["total"] == 3
        names_a = set(StaffMember.objects.values_list("full_name", flat=True))
    with schema_context(world.school_b.schema_name):
        assert staff_for_user(world.teacher_a) is None
        names_b = set(StaffMember.objects.values_list("full_name", flat=True))
    assert names_a.isdisjoint(names_b)


def test_consecutive_requests_to_two_schools_do_not_leak_state(client, world):
    client.force_login(world.teacher_a)
    assert client.get("/s/test-a/").status_code == 200
    assert client.get("/s/test-b/").status_code == 404  # the school A schema is not left selected
    client.force_login(world.staff_b)
    assert client.get("/s/test-b/").status_code == 200
    assert client.get("/s/test-a/").status_code == 404


@pytest.mark.parametrize("path", ["/s/unknown-school/", "/s/TEST-A/", "/s/test_a/", "/s/public/"])
def test_unknown_or_malformed_school_codes_are_404(client, world, path):
    client.force_login(world.teacher_a)
    assert client.get(path).status_code == 404


def test_suspended_school_shows_a_clear_page_and_keeps_its_data(client, world):
    client.force_login(world.teacher_a)
    assert client.get("/s/test-a/").status_code == 200  # now cached
    school_suspend(actor=world.platform_admin, school=world.school_a, reason="Chưa gia hạn hợp đồng")
    response = client.get("/s/test-a/")
    assert response.status_code == 403
    assert "đang tạm ngừng" in response.content.decode()
    with schema_context(world.school_a.schema_name):
        assert StaffMember.objects.count() == 3
    school_reactivate(actor=world.platform_admin, school=world.school_a)
    assert client.get("/s/test-a/").status_code == 200


def test_login_lands_on_the_only_school(client, world):
    client.force_login(world.teacher_a)
    response = client.get("/home/")
    assert response.status_code == 302 and response["Location"] == "/s/test-a/"


def test_person_in_two_schools_gets_a_chooser(client, world):
    from accounts.roles import Role
    from students.services import staff_add

    with schema_context(world.school_b.schema_name):
        staff_add(actor=world.platform_admin, school=world.school_b, phone=world.teacher_a.phone,
                  full_name="Vũ Giáo Viên", roles=[Role.TEACHER])  # fmt: skip
    client.force_login(world.teacher_a)
    page = client.get("/home/").content.decode()
    assert "Thử Nghiệm A" in page and "Thử Nghiệm B" in page
    assert client.get("/s/test-b/").status_code == 200


def test_my_schools_follow_any_change_of_their_rows(client, world):
    """The user's schools are kept under a version of their affiliation rows and schools
    (tenants.selectors.affiliations_of_user): bulk writes (an import's) and renames show at once."""
    from tenants.models import School, SchoolAffiliation

    client.force_login(world.teacher_a)
    assert client.get("/home/")["Location"] == "/s/test-a/"  # the only school
    SchoolAffiliation.objects.bulk_create([SchoolAffiliation(user=world.teacher_a, school=world.school_b,
                                                             is_staff=True)])  # fmt: skip
    page = client.get("/home/").content.decode()
    assert "Thử Nghiệm A" in page and "Thử Nghiệm B" in page
    School.objects.filter(pk=world.school_b.pk).update(name="Trường THCS Đổi Tên B")
    assert "Đổi Tên B" in client.get("/home/").content.decode()
    School.objects.filter(pk=world.school_b.pk).update(is_active=False)
    assert client.get("/home/")["Location"] == "/s/test-a/"
    School.objects.filter(pk=world.school_b.pk).update(is_active=True)
    SchoolAffiliation.objects.filter(user=world.teacher_a, school=world.school_a).update(is_staff=False)
    assert client.get("/home/")["Location"] == "/s/test-b/"


def test_platform_admin_without_schools_lands_on_console(client, world):
    client.force_login(world.platform_admin)
    assert client.get("/home/")["Location"] == "/console/"


def test_principal_adds_staff_and_bad_input_saves_nothing(client, world):
    client.force_login(world.principal_a)
    bad = client.post("/s/test-a/staff/", {"full_name": "Ngô Văn Mới", "phone": "0123", "roles": ["teacher"]})
    assert bad.status_code == 200
    assert "Số điện thoại không hợp lệ" in bad.content.decode()
    good = client.post(
        "/s/test-a/staff/", {"full_name": "Ngô Văn Mới", "phone": "0938 111 222", "roles": ["teacher"]}
    )
    assert good.status_code == 302
    with schema_context(world.school_a.schema_name):
        assert StaffMember.objects.filter(full_name="Ngô Văn Mới").count() == 1
        assert StaffMember.objects.count() == 4
    with schema_context(world.school_b.schema_name):
        assert not StaffMember.objects.filter(full_name="Ngô Văn Mới").exists()


def test_teacher_cannot_add_staff(client, world):
    client.force_login(world.teacher_a)
    response = client.post(
        "/s/test-a/staff/", {"full_name": "X", "phone": "0938111223", "roles": ["principal"]}
    )
    assert response.status_code == 404
    with schema_context(world.school_a.schema_name):
        assert not StaffMember.objects.filter(user__phone="+84938111223").exists()


def test_principal_sees_recent_activity_in_words(client, world):
    client.force_login(world.principal_a)
    page = client.get("/s/test-a/").content.decode()
    assert "thêm cán bộ Vũ Giáo Viên" in page and "staff.add" not in page


def test_cached_membership_follows_changes(client, world):
    from accounts.roles import Role
    from students.services import staff_add

    client.force_login(world.staff_b)
    assert client.get("/s/test-a/").status_code == 404  # "not staff here" is now cached
    with schema_context(world.school_a.schema_name):
        staff_add(actor=world.admin_a, school=world.school_a, phone=world.staff_b.phone,
                  full_name="Đỗ Người Ngoài", roles=[Role.TEACHER])  # fmt: skip
    assert client.get("/s/test-a/").status_code == 200
    with schema_context(world.school_a.schema_name):
        member = StaffMember.objects.get(user=world.staff_b)
        member.is_active = False
        member.save()
    assert client.get("/s/test-a/").status_code == 404


def test_staff_search_ignores_accents(client, world):
    client.force_login(world.principal_a)
    page = client.get("/s/test-a/staff/?q=vu giao vien").content.decode()
    assert "Vũ Giáo Viên" in page and "Lê Quản Trị A" not in page
    assert "Vũ Giáo Viên" in client.get("/s/test-a/staff/?q=0900000013").content.decode()
