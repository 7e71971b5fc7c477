"""Education offices: the platform admin creates one and gives it its area's schools and its staff; its
staff see their schools' figures (from the summary rows) and nothing else; everyone else gets 404; a school
withdrawn from the office leaves its pages at once; a school onboarded in the area joins it."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from offices.areas import area_key, in_area
from offices.models import EducationOffice, OfficeSchool, OfficeStaff, SchoolSummary
from schoolbook.onboarding import school_onboard
from tenants.models import School
from tests.conftest import signed_in


@pytest.mark.parametrize(
    "name, key",
    [
        ("TP. Hà Nội", "ha noi"), ("Thành phố Hà Nội", "ha noi"), ("Ha Noi", "ha noi"),
        ("  hà   nội ", "ha noi"),
        ("tp.Hồ Chí Minh", "ho chi minh"), ("Tỉnh Bình Dương", "binh duong"), ("Quận Đống Đa", "dong da"),
        ("Huyện Gia Lâm", "gia lam"), ("Thị xã Sơn Tây", "son tay"), ("", ""),
    ],
)  # fmt: skip
def test_area_names_compare_without_accents_case_or_the_administrative_word(name, key):
    assert area_key(name) == key


def test_a_district_office_covers_its_district_and_a_province_office_its_province():
    assert in_area(
        province="Hà Nội", district="Quận Đống Đa", office_province="TP. Hà Nội", office_district="Đống Đa"
    )
    assert not in_area(
        province="Hà Nội", district="Ba Đình", office_province="Hà Nội", office_district="Đống Đa"
    )
    assert in_area(province="Hà Nội", district="Ba Đình", office_province="Hà Nội", office_district="")
    assert not in_area(province="Hải Phòng", district="", office_province="Hà Nội", office_district="")
    assert not in_area(province="", district="", office_province="", office_district="")


def _summary(school, **figures):
    defaults = {"day": timezone.localdate(), "refreshed_at": timezone.now()}
    return SchoolSummary.objects.update_or_create(school=school, defaults={**defaults, **figures})[0]


@pytest.fixture
def area(world):
    """School A in Đống Đa and school B in Ba Đình (Hà Nội); a Đống Đa office made in the console."""
    School.objects.filter(pk=world.school_a.pk).update(district="Quận Đống Đa")
    School.objects.filter(pk=world.school_b.pk).update(district="Ba Đình")
    admin = signed_in(world.platform_admin)
    response = admin.post("/console/offices/", {
        "code": "phong-dong-da", "name": "Phòng GD&ĐT Đống Đa", "kind": "district", "province": "TP. Hà Nội",
        "district": "Đống Đa",
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/console/offices/phong-dong-da/"
    office = EducationOffice.objects.get(code="phong-dong-da")
    assert list(office.memberships.values_list("school__code", flat=True)) == ["test-a"]
    response = admin.post(response["Location"], {
        "action": "add_staff", "full_name": "Trần Chuyên Viên", "phone": "0912 345 678", "role": "specialist",
    })  # fmt: skip
    assert response.status_code == 302
    specialist = User.objects.get(phone="+84912345678")
    assert OfficeStaff.objects.filter(office=office, user=specialist, role="specialist").exists()
    return office, specialist, admin


def test_the_console_makes_an_office_and_refuses_a_district_office_without_its_district(world):
    admin = signed_in(world.platform_admin)
    response = admin.post("/console/offices/", {
        "code": "phong-x", "name": "Phòng X", "kind": "district", "province": "Hà Nội", "district": " ",
    })  # fmt: skip
    assert response.status_code == 200
    assert "Phòng GD&amp;ĐT cần tên quận/huyện/xã." in response.content.decode()
    assert not EducationOffice.objects.filter(code="phong-x").exists()
    response = admin.post("/console/offices/", {
        "code": "Sở Hà Nội", "name": "Sở GD&ĐT Hà Nội", "kind": "province", "province": "Hà Nội",
    })  # fmt: skip
    assert response.status_code == 200 and not EducationOffice.objects.exists()


def test_office_staff_see_their_schools_figures_sorted_and_exported(world, area):
    office, specialist, admin = area
    admin.post(f"/console/offices/{office.code}/", {"action": "add_school", "code": "test-b"})
    assert office.memberships.count() == 2
    _summary(world.school_a, students=400, roll_calls_due=10, roll_calls_taken=9, marked=360, present=342,
             fees_due=1_000_000, fees_paid=250_000)  # fmt: skip
    _summary(world.school_b, students=300, roll_calls_due=8, roll_calls_taken=8, marked=300, present=297)
    client = signed_in(specialist)

    home = client.get("/home/")
    assert home.status_code == 302 and home["Location"] == "/office/"
    landing = client.get("/office/")
    assert landing.status_code == 302 and landing["Location"] == "/office/phong-dong-da/"
    page = client.get("/office/phong-dong-da/?sort=attendance&dir=desc").content.decode()
    # B (99.0 %) before A (95.0 %); the area's rate is of the sums: 639 present of 660 marked.
    assert page.index('data-code="test-b"') < page.index('data-code="test-a"')
    assert "95,0%" in page and "99,0%" in page and "96,8%" in page and "25,0%" in page
    ascending = client.get("/office/phong-dong-da/?sort=attendance").content.decode()
    assert ascending.index('data-code="test-a"') < ascending.index('data-code="test-b"')

    export = client.get("/office/phong-dong-da/export.csv?sort=attendance&dir=desc")
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("ma_truong,ten_truong,hoc_sinh,ngay_so_lieu")
    assert [line.split(",")[0] for line in lines[1:]] == ["test-b", "test-a"]
    assert ",99.0," in lines[1]


def test_yesterdays_summary_says_nothing_of_todays_roll_call(world, area):
    office, specialist, _ = area
    _summary(world.school_a, day=timezone.localdate() - datetime.timedelta(days=1), roll_calls_due=10,
             roll_calls_taken=10, marked=100, present=100, grades_expected=10, grades_entered=5)  # fmt: skip
    page = signed_in(specialist).get(f"/office/{office.code}/").content.decode()
    assert "100,0%" not in page and "50,0%" in page


def test_a_school_without_a_summary_yet_is_listed_with_a_next_step(world, area):
    office, specialist, _ = area
    page = signed_in(specialist).get(f"/office/{office.code}/").content.decode()
    assert 'data-code="test-a"' in page and "Chưa có số liệu" in page


def test_nobody_else_reaches_an_offices_pages(world, area, settings):
    office, specialist, _ = area
    other = EducationOffice.objects.create(
        code="phong-khac", name="Phòng Khác", kind="province", province="Huế"
    )
    other_specialist = User.objects.create_user("0912000111")
    OfficeStaff.objects.create(office=other, user=other_specialist)
    paths = [f"/office/{office.code}/", f"/office/{office.code}/export.csv", "/office/phong-khong-co/"]
    for user in (world.admin_a, world.principal_a, world.teacher_a, world.parent, other_specialist):
        client = signed_in(user)
        for path in paths:
            assert client.get(path).status_code == 404, (user, path)
    assert signed_in(world.admin_a).get("/office/").status_code == 404
    assert Client().get(paths[0])["Location"].startswith("/login/")
    # The console's office pages are the platform admin's alone.
    for path in ("/console/offices/", f"/console/offices/{office.code}/"):
        assert signed_in(specialist).get(path).status_code == 404
    # With staff 2FA on, the office's own staff pass it first.
    settings.STAFF_2FA_REQUIRED = True
    response = signed_in(specialist).get(paths[0])
    assert response.status_code == 302 and response["Location"].startswith("/account/2fa/")


def test_a_withdrawn_school_leaves_the_offices_pages_at_once(world, area):
    office, specialist, admin = area
    _summary(world.school_a, students=400)
    client = signed_in(specialist)
    assert 'data-code="test-a"' in client.get(f"/office/{office.code}/").content.decode()
    response = admin.post(f"/console/offices/{office.code}/schools/test-a/withdraw/")
    assert response.status_code == 302
    page = client.get(f"/office/{office.code}/").content.decode()
    assert 'data-code="test-a"' not in page and "chưa phụ trách trường nào" in page
    export = b"".join(client.get(f"/office/{office.code}/export.csv").streaming_content).decode("utf-8-sig")
    assert "test-a" not in export


def test_a_school_onboarded_in_the_area_joins_the_office(world, area):
    office, _, _ = area
    school = school_onboard(actor=world.platform_admin, data={
        "code": "thcs-moi-dong-da", "name": "Trường THCS Mới", "levels": ["lower_secondary"],
        "province": "Hà Nội", "district": "Đống Đa", "admin_name": "Quản Trị Mới",
        "admin_phone": "0977 555 222",
    })  # fmt: skip
    assert OfficeSchool.objects.filter(office=office, school=school).exists()
    elsewhere = school_onboard(actor=world.platform_admin, data={
        "code": "thcs-cau-giay", "name": "Trường THCS Cầu Giấy", "levels": ["lower_secondary"],
        "province": "Hà Nội", "district": "Cầu Giấy", "admin_name": "Quản Trị Khác",
        "admin_phone": "0977 555 333",
    })  # fmt: skip
    assert not OfficeSchool.objects.filter(office=office, school=elsewhere).exists()


def test_home_shows_the_offices_of_a_staff_member_and_follows_their_rows(world):
    """Home keeps the user's schools and offices under one version of their rows (parent_home.views._places):
    a seat added or removed in bulk, without signals, and an office renamed show at the next view."""
    client = signed_in(world.teacher_a)
    assert client.get("/home/")["Location"] == "/s/test-a/"  # the only school, no office
    office = EducationOffice.objects.create(code="phong-y", name="Phòng Y", kind="province", province="Huế")
    OfficeStaff.objects.bulk_create([OfficeStaff(office=office, user=world.teacher_a, role="specialist")])
    assert "Phòng Y" in client.get("/home/").content.decode()  # a school and an office: a chooser
    EducationOffice.objects.filter(pk=office.pk).update(name="Phòng Đổi Tên")
    assert "Phòng Đổi Tên" in client.get("/home/").content.decode()
    OfficeStaff.objects.filter(office=office).delete()
    assert client.get("/home/")["Location"] == "/s/test-a/"
