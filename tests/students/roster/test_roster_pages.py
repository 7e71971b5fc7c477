"""Roster pages: classes, students (accent-insensitive search, filters, pagination), a student's profile and
who may see it, the class page, and the parent home across schools."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from students.models import (
    Enrolment,
    GradeLevel,
    Guardian,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentGuardian,
    Subject,
    TeachingAssignment,
)
from students.selectors import class_list, guardian_for_user
from students.services import staff_add
from tests.factories import enrol, guardian_of, student_make


@dataclass
class Roster:
    class_a1: SchoolClass  # 6A1, homeroom: world.teacher_a
    class_a2: SchoolClass  # 6A2, homeroom: teacher_a2
    class_b: SchoolClass  # 7B1 in school B
    an: Student  # Nguyễn Văn An, 6A1, child of parent
    binh: Student  # Trần Thị Bình, 6A2, child of other_parent
    cuong: Student  # Lê Văn Cường, 7B1 in school B, child of parent
    teacher_a2: User
    subject_teacher: User  # teaches maths in 6A1, homeroom of nothing
    parent: User  # children in school A and school B
    other_parent: User  # a parent of 6A2


def _student(code, name, born=date(2014, 3, 2), gender="male", **extra):
    return student_make(code, name, born=born, gender=gender, **extra)


def _enrol(student, school_class, starts_on=None, ends_on=None):
    return enrol(student, school_class, starts_on=starts_on or school_class.year.starts_on, ends_on=ends_on)


def _class(name, grade, homeroom=None):
    return SchoolClass.objects.create(
        name=name,
        grade=GradeLevel.objects.get(number=grade),
        year=SchoolYear.objects.get(is_current=True),
        homeroom_teacher=homeroom,
    )


@pytest.fixture
def roster(world) -> Roster:
    return roster_build(world)


def roster_build(world) -> Roster:
    """Two classes in school A (6A1, homeroom teacher_a; 6A2), one in school B, and a parent with a child in
    each school (see Roster)."""
    parent = User.objects.create_user("0911000001", full_name="Nguyễn Thị Mẹ")
    other_parent = User.objects.create_user("0911000002", full_name="Trần Văn Bố")
    with schema_context(world.school_a.schema_name):
        teacher_a2 = staff_add(actor=world.admin_a, school=world.school_a, phone="0911000003",
                               full_name="Đặng Chủ Nhiệm", roles=[Role.TEACHER])  # fmt: skip
        maths = staff_add(actor=world.admin_a, school=world.school_a, phone="0911000004",
                          full_name="Phan Dạy Toán", roles=[Role.TEACHER])  # fmt: skip
        class_a1 = _class("6A1", 6, StaffMember.objects.get(user=world.teacher_a))
        class_a2 = _class("6A2", 6, teacher_a2)
        TeachingAssignment.objects.create(
            teacher=maths, school_class=class_a1, subject=Subject.objects.get(code="toan")
        )
        an = _student("HS001", "Nguyễn Văn An")
        binh = _student("HS002", "Trần Thị Bình", gender="female")
        _enrol(an, class_a1)
        _enrol(binh, class_a2)
        guardian_of(world.school_a, an, parent)
        guardian_of(world.school_a, binh, other_parent, relationship="father")
    with schema_context(world.school_b.schema_name):
        class_b = _class("7B1", 7)
        cuong = _student("B-07", "Lê Văn Cường")
        _enrol(cuong, class_b)
        guardian_of(world.school_b, cuong, parent)
    return Roster(
        class_a1, class_a2, class_b, an, binh, cuong, teacher_a2.user, maths.user, parent, other_parent
    )


def _page(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


# --- students list: search, filters, pagination ----------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["nguyen van an", "NGUYEN VAN AN", "Nguyễn Văn An", "văn an", "HS001", "hs001"]
)
def test_search_ignores_accents_and_matches_the_student_code(client, world, roster, query):
    client.force_login(world.principal_a)
    page = _page(client, f"/s/test-a/students/?q={query}")
    assert "Nguyễn Văn An" in page and "Trần Thị Bình" not in page


def test_search_with_no_match_says_so(client, world, roster):
    client.force_login(world.admin_a)
    page = _page(client, "/s/test-a/students/?q=pham van z")
    assert "Không có học sinh nào khớp “pham van z”." in page


def test_filters_by_class_grade_and_status(client, world, roster):
    with schema_context(world.school_a.schema_name):
        left = _student("HS003", "Vũ Đã Chuyển", status="transferred")
        _enrol(left, roster.class_a1, ends_on=timezone.localdate() - timedelta(days=1))
        seventh = _student("HS004", "Hồ Lớp Bảy")
        _enrol(seventh, _class("7A1", 7))
    client.force_login(world.principal_a)
    by_class = _page(client, f"/s/test-a/students/?class={roster.class_a1.pk}")
    assert "Nguyễn Văn An" in by_class and "Trần Thị Bình" not in by_class and "Vũ Đã Chuyển" not in by_class
    by_grade = _page(client, "/s/test-a/students/?grade=7")
    assert "Hồ Lớp Bảy" in by_grade and "Nguyễn Văn An" not in by_grade
    by_status = _page(client, "/s/test-a/students/?status=transferred")
    assert "Vũ Đã Chuyển" in by_status and "Nguyễn Văn An" not in by_status
    everyone = _page(client, "/s/test-a/students/")
    assert all(name in everyone for name in ["Nguyễn Văn An", "Trần Thị Bình", "Vũ Đã Chuyển", "Hồ Lớp Bảy"])
    assert "6A1" in everyone  # each student's current class
    assert "Không có học sinh nào khớp bộ lọc." in _page(client, "/s/test-a/students/?grade=9")


def test_students_are_paginated_by_25_and_pages_keep_the_filters(client, world, roster):
    with schema_context(world.school_a.schema_name):
        for number in range(30):
            _enrol(_student(f"P{number:03d}", f"Phạm Học Sinh {number:02d}"), roster.class_a2)
    client.force_login(world.principal_a)
    first = _page(client, f"/s/test-a/students/?q=pham&class={roster.class_a2.pk}")
    assert first.count("Phạm Học Sinh") == 25 and "Trang 1 / 2" in first
    assert f"q=pham&amp;class={roster.class_a2.pk}&amp;page=2" in first
    second = _page(client, f"/s/test-a/students/?q=pham&class={roster.class_a2.pk}&page=2")
    assert second.count("Phạm Học Sinh") == 5 and "Phạm Học Sinh 29" in second


def test_empty_school_has_an_empty_state(client, world):
    with schema_context(world.school_a.schema_name):
        Student.objects.all().delete()  # the session world's child; rolled back with the test
    client.force_login(world.principal_a)
    assert "Chưa có học sinh nào." in _page(client, "/s/test-a/students/")
    assert "Năm học này chưa có lớp nào" in _page(client, "/s/test-a/classes/")


@pytest.mark.parametrize("path", ["/s/test-a/students/", "/s/test-a/classes/", "/s/test-a/assignments/"])
def test_lists_are_for_managers_only(client, world, roster, path):
    client.force_login(world.admin_a)
    _page(client, path)
    for user in (world.teacher_a, roster.parent, world.staff_b):
        client.force_login(user)
        _page(client, path, 404)


# --- classes and assignments ------------------------------------------------------------------------------


def test_class_list_counts_students_enrolled_today_in_one_query(
    client, world, roster, django_assert_num_queries
):
    with schema_context(world.school_a.schema_name):
        moved = _student("HS005", "Đỗ Chuyển Lớp")
        _enrol(moved, roster.class_a1, ends_on=timezone.localdate() - timedelta(days=1))  # left 6A1
        _enrol(moved, roster.class_a2, starts_on=timezone.localdate())
        _enrol(_student("HS006", "Mai Thêm"), roster.class_a2)
        with django_assert_num_queries(1):
            counts = {item.name: item.student_count for item in class_list(year=roster.class_a1.year)}
    assert counts == {"6A1": 1, "6A2": 3}
    client.force_login(world.principal_a)
    page = _page(client, "/s/test-a/classes/")
    assert 'data-count="6A1">1<' in page and 'data-count="6A2">3<' in page
    assert "Vũ Giáo Viên" in page and "Đặng Chủ Nhiệm" in page


def test_class_list_year_filter(client, world, roster):
    with schema_context(world.school_a.schema_name):
        old = SchoolYear.objects.create(
            name="2020-2021", starts_on=date(2020, 9, 5), ends_on=date(2021, 5, 31)
        )
        SchoolClass.objects.create(name="9C9", grade=GradeLevel.objects.get(number=9), year=old)
    client.force_login(world.principal_a)
    current = _page(client, "/s/test-a/classes/")
    assert "6A1" in current and "9C9" not in current
    past = _page(client, f"/s/test-a/classes/?year={old.pk}")
    assert "9C9" in past and ">6A1<" not in past  # (the bulk-creation button says "6A1–6A8")


def test_assignments_list_teacher_class_subject(client, world, roster):
    client.force_login(world.principal_a)
    page = _page(client, "/s/test-a/assignments/")
    assert "Phan Dạy Toán" in page and "Toán" in page and "6A1" in page
    assert "Phân công giảng dạy" in _page(client, "/s/test-a/staff/")


def test_homeroom_teacher_sees_the_roster_with_guardian_phones(client, world, roster):
    client.force_login(world.teacher_a)
    assert f"/s/test-a/classes/{roster.class_a1.pk}/" in _page(client, "/s/test-a/")  # link on the home page
    page = _page(client, f"/s/test-a/classes/{roster.class_a1.pk}/")
    assert "Nguyễn Văn An" in page and "Nguyễn Thị Mẹ" in page and "0911 000 001" in page
    _page(client, f"/s/test-a/classes/{roster.class_a2.pk}/", 404)  # another teacher's class


def test_subject_teacher_sees_the_roster_without_phones(client, world, roster):
    client.force_login(roster.subject_teacher)
    page = _page(client, f"/s/test-a/classes/{roster.class_a1.pk}/")
    assert "Nguyễn Văn An" in page and "0911 000 001" not in page and "Nguyễn Thị Mẹ" not in page
    _page(client, f"/s/test-a/classes/{roster.class_a2.pk}/", 404)


def test_parents_and_outsiders_do_not_see_class_pages(client, world, roster):
    for user in (roster.parent, world.staff_b):
        client.force_login(user)
        _page(client, f"/s/test-a/classes/{roster.class_a1.pk}/", 404)


# --- the student's profile and who may see it -------------------------------------------------------------


def test_profile_shows_details_guardians_and_history_newest_first(client, world, roster):
    with schema_context(world.school_a.schema_name):
        old = SchoolYear.objects.create(
            name="2020-2021", starts_on=date(2020, 9, 5), ends_on=date(2021, 5, 31)
        )
        old_class = SchoolClass.objects.create(name="5Z1", grade=GradeLevel.objects.get(number=6), year=old)
        _enrol(roster.an, old_class, ends_on=date(2021, 5, 31))
        grandpa = User.objects.create_user("0911000009", full_name="Nguyễn Văn Ông")
        guardian = guardian_of(world.school_a, roster.an, grandpa, relationship="grandparent", primary=False)
        StudentGuardian.objects.filter(guardian=guardian).update(receives_notifications=False)
    client.force_login(world.principal_a)
    page = _page(client, f"/s/test-a/students/{roster.an.pk}/")
    assert "HS001" in page and "02/03/2014" in page and "Đang học" in page
    assert page.index("Nguyễn Thị Mẹ") < page.index("Nguyễn Văn Ông")  # primary contact first
    assert "Mẹ" in page and "Ông/Bà" in page and "0911 000 001" in page
    history = page[page.index("Quá trình học tập") :]
    assert history.index("6A1") < history.index("5Z1")  # newest first


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin_a", 200),  # a manager
        ("principal_a", 200),
        ("teacher_a", 200),  # homeroom teacher of 6A1
        ("parent", 200),  # the child's guardian
        ("teacher_a2", 404),  # homeroom teacher of another class
        ("subject_teacher", 404),  # teaches the class, is not its homeroom teacher
        ("other_parent", 404),  # a parent of another class
        ("staff_b", 404),  # staff of school B
    ],
)
def test_who_may_see_a_students_profile(client, world, roster, who, status):
    user = getattr(roster, who, None) or getattr(world, who)
    client.force_login(user)
    page = _page(client, f"/s/test-a/students/{roster.an.pk}/", status)
    if status == 200:
        assert "Nguyễn Văn An" in page


def test_homeroom_teacher_loses_access_when_the_student_leaves_the_class(client, world, roster):
    with schema_context(world.school_a.schema_name):
        Enrolment.objects.filter(student=roster.an).update(ends_on=timezone.localdate() - timedelta(days=1))
    client.force_login(world.teacher_a)
    _page(client, f"/s/test-a/students/{roster.an.pk}/", 404)


def test_unknown_student_is_404(client, world, roster):
    client.force_login(world.principal_a)
    _page(client, "/s/test-a/students/999999/", 404)


# --- guardians in the access check --------------------------------------------------------------------------


def test_guardian_gets_into_the_school_and_sees_their_children_there(client, world, roster):
    client.force_login(roster.parent)
    page = _page(client, "/s/test-a/")
    assert "Nguyễn Văn An" in page and "Lớp 6A1" in page and "Trần Thị Bình" not in page
    assert "Trường THCS Thử Nghiệm A" in page
    _page(client, "/s/test-a/staff/", 404)


def test_guardian_lookup_is_cached_and_follows_changes(client, world, roster):
    stranger = User.objects.create_user("0911000010", full_name="Người Lạ")
    client.force_login(stranger)
    _page(client, "/s/test-a/", 404)  # "not a guardian here" is now cached
    with schema_context(world.school_a.schema_name):
        guardian = guardian_of(world.school_a, roster.binh, stranger, relationship="other", primary=False)
    _page(client, "/s/test-a/")
    with schema_context(world.school_a.schema_name):
        assert guardian_for_user(stranger) == guardian
        guardian.user = None  # unlinked
        guardian.save()
    _page(client, "/s/test-a/", 404)
    with schema_context(world.school_a.schema_name):
        guardian.user = stranger
        guardian.save()
        _page(client, "/s/test-a/")
        guardian.delete()
    _page(client, "/s/test-a/", 404)


# --- the parent home ----------------------------------------------------------------------------------------


def test_parent_with_children_in_two_schools_sees_both(client, world, roster):
    client.force_login(roster.parent)
    response = client.get("/home/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nguyễn Văn An" in page and "Trường THCS Thử Nghiệm A" in page and "Lớp 6A1" in page
    assert "Lê Văn Cường" in page and "Trường THCS Thử Nghiệm B" in page and "Lớp 7B1" in page
    assert "Trần Thị Bình" not in page
    assert f"/s/test-a/students/{roster.an.pk}/" in page and f"/s/test-b/students/{roster.cuong.pk}/" in page
    _page(client, f"/s/test-b/students/{roster.cuong.pk}/")  # the link works


def test_parent_home_costs_one_query_per_school_not_per_child(client, world, roster):
    def child_added(number):  # and so the cards made again (their rows changed): both views count alike
        with schema_context(world.school_a.schema_name):
            child = _student(f"S{number}", f"Nguyễn Em {number}")
            _enrol(child, roster.class_a2)
            guardian_of(world.school_a, child, roster.parent, primary=True)

    client.force_login(roster.parent)
    client.get("/home/")
    child_added(0)
    with CaptureQueriesContext(connection) as few:
        client.get("/home/")
    for number in range(1, 5):
        child_added(number)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/home/").content.decode()
    assert page.count("Nguyễn Em") == 5
    assert len(many) == len(few)


def test_staff_who_is_also_a_parent_sees_school_and_children(client, world, roster):
    with schema_context(world.school_b.schema_name):
        guardian_of(world.school_b, roster.cuong, world.teacher_a, relationship="father", primary=False)
    client.force_login(world.teacher_a)
    response = client.get("/home/")
    assert response.status_code == 200  # no redirect to the only school: there are children to show
    page = response.content.decode()
    assert "Trường của tôi" in page and 'href="/s/test-a/"' in page
    assert "Lê Văn Cường" in page and "Lớp 7B1" in page


def test_staff_of_one_school_still_lands_on_it(client, world, roster):
    client.force_login(world.teacher_a)
    assert client.get("/home/")["Location"] == "/s/test-a/"


def test_bulk_guardian_writes_can_forget_the_cached_lookup(client, world, roster):
    from students.selectors import guardian_cache_forget

    stranger = User.objects.create_user("0911000011", full_name="Người Nhập Sau")
    client.force_login(stranger)
    _page(client, "/s/test-a/", 404)
    with schema_context(world.school_a.schema_name):
        Guardian.objects.bulk_create(
            [Guardian(full_name="Người Nhập Sau", phone=stranger.phone, user=stranger)]
        )
        guardian_cache_forget([stranger.pk])
    _page(client, "/s/test-a/")


def test_the_school_home_shows_a_changed_class_at_once(client, world, roster):
    """The guardian's list of children here is kept under a version of its rows (children_version): a
    class renamed after a view shows on the next one."""
    client.force_login(roster.parent)
    assert "Lớp 6A1" in client.get("/s/test-a/").content.decode()
    with schema_context(world.school_a.schema_name):
        SchoolClass.objects.filter(pk=roster.class_a1.pk).update(name="6A9")
    page = client.get("/s/test-a/").content.decode()
    assert "Lớp 6A9" in page and "Lớp 6A1" not in page
