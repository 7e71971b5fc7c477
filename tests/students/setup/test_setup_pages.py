"""School setup in the browser: years and terms, classes, the subject catalogue, teaching
assignments. Managers only (404 for teachers, parents and other schools' staff; anonymous to login); every
write audited; bad input shows a clear Vietnamese error and changes nothing."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from grades.models import AssessmentPlan, Score
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
    Subject,
    SubjectLoad,
    TeachingAssignment,
    Term,
)
from students.services import staff_add
from tenants.services import affiliation_add

PARENT_PHONE = "+84981330001"


@dataclass
class Setup:
    year: SchoolYear
    class_6a1: SchoolClass  # one student enrolled
    class_6a2: SchoolClass  # empty
    teacher: StaffMember  # world.teacher_a
    maths: Subject  # lower-secondary Toán
    parent: User  # guardian of the 6A1 student
    student: Student


@pytest.fixture
def setup(school) -> Setup:
    """School A (schema active) with 6A1 (one student, whose parent is a user) and 6A2 (empty)."""
    year = SchoolYear.objects.get(is_current=True)
    class_6a1, class_6a2 = SchoolClass.objects.get(name="6A1"), SchoolClass.objects.get(name="6A2")
    student = Student.objects.create(
        student_code="ST001", full_name="Ngô Thị Lan", date_of_birth="2014-05-05", gender="female"
    )
    Enrolment.objects.create(student=student, school_class=class_6a1, starts_on=year.starts_on)
    parent = User.objects.create_user(PARENT_PHONE, full_name="Ngô Văn Bố")
    guardian = Guardian.objects.create(phone=PARENT_PHONE, full_name="Ngô Văn Bố", user=parent)
    StudentGuardian.objects.create(student=student, guardian=guardian, relationship="father")
    affiliation_add(user=parent, school=school.school_a, is_guardian=True)
    return Setup(
        year=year,
        class_6a1=class_6a1,
        class_6a2=class_6a2,
        teacher=StaffMember.objects.get(user=school.teacher_a),
        maths=Subject.objects.get(level="lower_secondary", code="toan"),
        parent=parent,
        student=student,
    )


def _state():
    """Everything the setup pages could change (inside school A's schema)."""
    return (
        sorted(SchoolYear.objects.values_list("name", "starts_on", "ends_on", "is_current")),
        sorted(Term.objects.values_list("year__name", "number", "starts_on", "ends_on")),
        sorted(SchoolClass.objects.values_list("name", "grade__number", "homeroom_teacher", "archived_at")),
        sorted(Subject.objects.values_list("code", "name", "is_active")),
        sorted(SubjectLoad.objects.values_list("subject__code", "grade__number", "periods_per_year")),
        sorted(TeachingAssignment.objects.values_list("teacher", "school_class__name", "subject__code")),
        AuditEvent.objects.count(),
    )


def _events(action):
    return AuditEvent.objects.filter(action=action).count()


A = "/s/test-a"


# --- who may: managers only -------------------------------------------------------------------------------


def _paths(setup):
    assignment = TeachingAssignment.objects.create(
        teacher=setup.teacher, school_class=setup.class_6a2, subject=setup.maths
    )
    return [
        "/years/",
        f"/years/{setup.year.pk}/",
        f"/years/{setup.year.pk}/current/",
        "/classes/new/",
        "/classes/bulk/",
        f"/classes/{setup.class_6a2.pk}/edit/",
        f"/classes/{setup.class_6a2.pk}/archive/",
        "/subjects/",
        "/subjects/new/?grade=6",
        f"/subjects/{setup.maths.pk}/",
        f"/subjects/{setup.maths.pk}/active/",
        "/assignments/new/",
        f"/assignments/{assignment.pk}/remove/",
    ]


def test_setup_pages_are_for_managers_only_and_refused_posts_change_nothing(client, school, setup):
    paths = _paths(setup)
    post = {
        "name": "6A9",
        "names": "6A3-6A4",
        "grade": GradeLevel.objects.get(number=6).pk,
        "active": "0",
        "starts_on": "2030-09-05",
        "term1_ends_on": "2031-01-14",
        "term2_starts_on": "2031-01-15",
        "ends_on": "2031-05-31",
        "teacher": setup.teacher.pk,
        "subject": setup.maths.pk,
        "classes": [setup.class_6a1.pk],
        "confirm": "1",
    }
    before = _state()
    for user in (school.teacher_a, setup.parent, school.staff_b):
        client.force_login(user)
        for path in paths:
            assert client.get(A + path).status_code == 404, (user, path)
            assert client.post(A + path, post).status_code == 404, (user, path)
    client.logout()
    for path in paths:
        response = client.post(A + path, post)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path
    assert _state() == before
    for user in (school.admin_a, school.principal_a):
        client.force_login(user)
        for path in paths:
            if not path.endswith("/active/"):  # POST only: GET goes back to the subject page
                assert client.get(A + path).status_code == 200, (user, path)


def test_school_home_links_managers_to_the_setup_pages(client, school, setup):
    client.force_login(school.admin_a)
    page = client.get(f"{A}/").content.decode()
    for path in ("/years/", "/classes/", "/subjects/", "/assignments/"):
        assert f'href="{A}{path}"' in page
    client.force_login(school.teacher_a)
    assert f'href="{A}/subjects/"' not in client.get(f"{A}/").content.decode()


# --- school years and terms ---------------------------------------------------------------------------


def test_year_list_shows_the_years_with_terms_and_a_form_with_the_next_years_dates(client, school, setup):
    client.force_login(school.admin_a)
    page = client.get(f"{A}/years/").content.decode()
    first = int(setup.year.name[:4]) + 1
    assert setup.year.name in page and "hiện tại" in page
    assert f'value="{first}-{first + 1}"' in page
    assert f'value="{first}-09-05"' in page and f'value="{first + 1}-05-31"' in page


def test_create_a_year_with_its_two_terms(client, school, setup):
    client.force_login(school.admin_a)
    data = {
        "name": "2040-2041",
        "starts_on": "2040-09-05",
        "term1_ends_on": "2041-01-10",
        "term2_starts_on": "2041-01-20",
        "ends_on": "2041-05-31",
    }
    response = client.post(f"{A}/years/", data, follow=True)
    assert "Đã tạo năm học 2040-2041." in response.content.decode()
    year = SchoolYear.objects.get(name="2040-2041")
    assert not year.is_current  # the school already has a current year
    assert list(year.terms.values_list("number", "starts_on", "ends_on")) == [
        (1, date(2040, 9, 5), date(2041, 1, 10)),
        (2, date(2041, 1, 20), date(2041, 5, 31)),
    ]
    assert _events("year.create") == 1


@pytest.mark.parametrize(
    "change, field_error",
    [
        ({"name": "2040"}, "Năm học có dạng 2026-2027."),
        ({"name": "2040-2042"}, "Năm học gồm hai năm liền nhau"),
        ({"ends_on": "2040-09-01"}, "Ngày kết thúc năm học phải sau ngày bắt đầu."),
        ({"ends_on": "2042-09-01"}, "Một năm học không dài quá một năm."),
        ({"term1_ends_on": "2040-09-01"}, "Học kỳ I phải kết thúc sau ngày bắt đầu năm học."),
        ({"term2_starts_on": "2041-01-05"}, "Học kỳ II phải bắt đầu sau khi học kỳ I kết thúc."),
        ({"term2_starts_on": "2041-06-05"}, "Học kỳ II phải bắt đầu trước ngày kết thúc năm học."),
        ({"starts_on": "31/02/2040"}, "Nhập ngày hợp lệ (dd/mm/yyyy)."),
        ({"term1_ends_on": ""}, "Trường này là bắt buộc."),
    ],
)
def test_year_form_refuses_bad_dates_and_changes_nothing(client, school, setup, change, field_error):
    data = {
        "name": "2040-2041",
        "starts_on": "2040-09-05",
        "term1_ends_on": "2041-01-10",
        "term2_starts_on": "2041-01-20",
        "ends_on": "2041-05-31",
    } | change
    before = _state()
    client.force_login(school.admin_a)
    response = client.post(f"{A}/years/", data)
    assert response.status_code == 400
    assert field_error in response.content.decode() and 'role="alert"' in response.content.decode()
    assert _state() == before


def test_an_existing_year_name_is_refused(client, school, setup):
    before = _state()
    client.force_login(school.admin_a)
    dates = {"starts_on": "2040-09-05", "term1_ends_on": "2041-01-10", "term2_starts_on": "2041-01-20",
             "ends_on": "2041-05-31"}  # fmt: skip
    response = client.post(f"{A}/years/", {"name": setup.year.name, **dates})
    assert response.status_code == 400
    assert f"Năm học {setup.year.name} đã có." in response.content.decode()
    assert _state() == before


def test_edit_the_dates_of_a_year(client, school, setup):
    client.force_login(school.principal_a)
    start = setup.year.starts_on
    data = {
        "starts_on": start.isoformat(),
        "term1_ends_on": (start + timedelta(days=120)).isoformat(),
        "term2_starts_on": (start + timedelta(days=130)).isoformat(),
        "ends_on": setup.year.ends_on.isoformat(),
    }
    response = client.post(f"{A}/years/{setup.year.pk}/", data)
    assert response.status_code == 302
    terms = dict(Term.objects.filter(year=setup.year).values_list("number", "ends_on"))
    assert terms[1] == start + timedelta(days=120)
    assert Term.objects.get(year=setup.year, number=2).starts_on == start + timedelta(days=130)
    assert _events("year.dates") == 1


def test_saving_the_proposed_dates_unchanged_records_that_they_were_checked(client, school, setup):
    """The checklist's first step ticks when the admin has looked at the year's dates and kept them."""
    client.force_login(school.admin_a)
    before = {term.number: (term.starts_on, term.ends_on) for term in Term.objects.filter(year=setup.year)}
    terms = Term.objects.filter(year=setup.year).order_by("number")
    data = {
        "starts_on": setup.year.starts_on.isoformat(),
        "term1_ends_on": terms[0].ends_on.isoformat(),
        "term2_starts_on": terms[1].starts_on.isoformat(),
        "ends_on": setup.year.ends_on.isoformat(),
    }
    response = client.post(f"{A}/years/{setup.year.pk}/", data)
    assert response.status_code == 302
    assert {
        term.number: (term.starts_on, term.ends_on) for term in Term.objects.filter(year=setup.year)
    } == before
    event = AuditEvent.objects.get(action="year.dates")
    assert event.before == event.after


def test_a_year_cannot_start_after_its_students_joined(client, school, setup):
    before = _state()
    client.force_login(school.admin_a)
    start = setup.year.starts_on + timedelta(days=10)
    data = {
        "starts_on": start.isoformat(),
        "term1_ends_on": (start + timedelta(days=120)).isoformat(),
        "term2_starts_on": (start + timedelta(days=130)).isoformat(),
        "ends_on": setup.year.ends_on.isoformat(),
    }
    response = client.post(f"{A}/years/{setup.year.pk}/", data)
    assert response.status_code == 400
    assert "Đã có học sinh vào lớp từ ngày" in response.content.decode()
    assert _state() == before


def test_make_a_year_current_after_confirming(client, school, setup):
    other = SchoolYear.objects.create(name="2040-2041", starts_on=date(2040, 9, 5), ends_on=date(2041, 5, 31))
    client.force_login(school.admin_a)
    page = client.get(f"{A}/years/{other.pk}/current/").content.decode()
    assert "Đặt 2040-2041 làm năm học hiện tại?" in page
    assert f"Năm học {setup.year.name} thôi là năm học hiện tại" in page
    assert SchoolYear.objects.get(is_current=True) == setup.year  # the GET changed nothing
    response = client.post(f"{A}/years/{other.pk}/current/", follow=True)
    assert "2040-2041 là năm học hiện tại." in response.content.decode()
    assert list(SchoolYear.objects.filter(is_current=True)) == [other]
    assert _events("year.make_current") == 1
    response = client.post(f"{A}/years/{other.pk}/current/")
    assert response.status_code == 400 and "đã là năm học hiện tại" in response.content.decode()


# --- classes --------------------------------------------------------------------------------------------


def test_create_a_class_with_a_homeroom_teacher(client, school, setup):
    client.force_login(school.admin_a)
    data = {
        "name": " 7a1 ",
        "grade": GradeLevel.objects.get(number=7).pk,
        "homeroom_teacher": setup.teacher.pk,
    }
    response = client.post(f"{A}/classes/new/", data, follow=True)
    assert "Đã tạo lớp 7A1." in response.content.decode()
    created = SchoolClass.objects.get(name="7A1")
    assert (created.year, created.grade.number, created.homeroom_teacher) == (setup.year, 7, setup.teacher)
    assert _events("class.create") == 1


@pytest.mark.parametrize(
    "case, message",
    [
        ("taken name", "Năm học {year} đã có lớp 6A1."),
        ("taken in another case", "Năm học {year} đã có lớp 6A1."),
        ("no name", "Trường này là bắt buộc."),
        ("unknown grade", "Chọn một khối của trường."),
        ("not a teacher", "Chọn một giáo viên đang làm việc ở trường."),
    ],
)
def test_class_form_refuses_bad_input_and_changes_nothing(client, school, setup, case, message):
    grade = GradeLevel.objects.get(number=6).pk
    principal = StaffMember.objects.get(user=school.principal_a)
    data = {
        "taken name": {"name": "6A1", "grade": grade},
        "taken in another case": {"name": "6a1", "grade": grade},
        "no name": {"name": "", "grade": grade},
        "unknown grade": {"name": "6A5", "grade": 999999},
        "not a teacher": {"name": "6A5", "grade": grade, "homeroom_teacher": principal.pk},
    }[case]
    before = _state()
    client.force_login(school.admin_a)
    response = client.post(f"{A}/classes/new/", data)
    assert response.status_code == 400
    assert message.format(year=setup.year.name) in response.content.decode()
    assert _state() == before


def test_the_database_refuses_a_class_name_twice_in_a_year_in_any_case(school, setup):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SchoolClass.objects.create(name="6a1", grade=setup.class_6a1.grade, year=setup.year)


def test_rename_regrade_and_set_then_clear_the_homeroom_teacher(client, school, setup):
    client.force_login(school.admin_a)
    url = f"{A}/classes/{setup.class_6a2.pk}/edit/"
    grade_7 = GradeLevel.objects.get(number=7).pk
    response = client.post(url, {"name": "7A2", "grade": grade_7, "homeroom_teacher": setup.teacher.pk})
    assert response.status_code == 302
    changed = SchoolClass.objects.get(pk=setup.class_6a2.pk)
    assert (changed.name, changed.grade.number, changed.homeroom_teacher) == ("7A2", 7, setup.teacher)
    client.post(url, {"name": "7A2", "grade": grade_7, "homeroom_teacher": ""})
    assert SchoolClass.objects.get(pk=setup.class_6a2.pk).homeroom_teacher is None
    event = AuditEvent.objects.filter(action="class.update").order_by("pk").first()
    assert event.before["name"] == "6A2" and event.after == {
        "name": "7A2",
        "grade": 7,
        "homeroom_teacher": setup.teacher.full_name,
    }


def test_renaming_onto_another_class_is_refused(client, school, setup):
    before = _state()
    client.force_login(school.admin_a)
    grade = GradeLevel.objects.get(number=6).pk
    response = client.post(f"{A}/classes/{setup.class_6a2.pk}/edit/", {"name": "6A1", "grade": grade})
    assert response.status_code == 400
    assert f"Năm học {setup.year.name} đã có lớp 6A1." in response.content.decode()
    assert _state() == before


def test_archive_an_empty_class_after_confirming(client, school, setup):
    TeachingAssignment.objects.create(
        teacher=setup.teacher, school_class=setup.class_6a2, subject=setup.maths
    )
    client.force_login(school.admin_a)
    url = f"{A}/classes/{setup.class_6a2.pk}/archive/"
    page = client.get(url).content.decode()
    assert "Lưu trữ lớp 6A2?" in page and "1 phân công giảng dạy của lớp sẽ kết thúc." in page
    assert SchoolClass.objects.get(pk=setup.class_6a2.pk).archived_at is None
    client.post(url)
    assert SchoolClass.objects.get(pk=setup.class_6a2.pk).archived_at is not None
    assert not TeachingAssignment.objects.filter(school_class=setup.class_6a2).exists()
    listing = client.get(f"{A}/classes/").content.decode()
    assert f'href="{A}/classes/{setup.class_6a2.pk}/edit/"' not in listing  # out of the current list
    assert "Lớp đã lưu trữ" in listing and ">6A2<" in listing  # history kept, reachable
    assert _events("class.archive") == 1
    assert client.get(f"{A}/classes/{setup.class_6a2.pk}/edit/").status_code == 404


def test_a_class_with_current_students_is_not_archived(client, school, setup):
    before = _state()
    client.force_login(school.admin_a)
    url = f"{A}/classes/{setup.class_6a1.pk}/archive/"
    assert "còn 1 học sinh đang học" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 400
    assert "Lớp 6A1 còn 1 học sinh đang học" in response.content.decode()
    assert _state() == before


def test_bulk_create_previews_then_creates_all(client, school, setup):
    client.force_login(school.admin_a)
    response = client.post(f"{A}/classes/bulk/", {"names": "6A1–6A4"})
    page = response.content.decode()
    assert 'data-new="6A3"' in page and 'data-new="6A4"' in page
    assert 'data-existing="6A1"' in page and 'data-existing="6A2"' in page
    assert "Xác nhận tạo 2 lớp" in page
    assert not SchoolClass.objects.filter(name="6A3").exists()  # the preview wrote nothing
    response = client.post(f"{A}/classes/bulk/", {"names": "6A1–6A4", "confirm": "1"}, follow=True)
    assert "Đã tạo 2 lớp: 6A3, 6A4." in response.content.decode()
    assert sorted(SchoolClass.objects.filter(year=setup.year).values_list("name", "grade__number")) == [
        ("6A1", 6), ("6A2", 6), ("6A3", 6), ("6A4", 6),
    ]  # fmt: skip
    assert _events("class.bulk_create") == 1


@pytest.mark.parametrize(
    "names, message",
    [
        ("6A1-6A2", "Các lớp này đều đã có"),
        ("6A3-6A4, 3A1", "trường không có khối 3"),
        ("6A4-6A1", "lớp cuối đứng trước lớp đầu"),
        ("", "Trường này là bắt buộc."),
    ],
)
def test_bulk_create_refuses_and_creates_nothing(client, school, setup, names, message):
    before = _state()
    client.force_login(school.admin_a)
    response = client.post(f"{A}/classes/bulk/", {"names": names, "confirm": "1"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _state() == before


def test_empty_year_says_how_to_add_classes(client, school, setup):
    year = SchoolYear.objects.create(name="2040-2041", starts_on=date(2040, 9, 5), ends_on=date(2041, 5, 31))
    client.force_login(school.admin_a)
    page = client.get(f"{A}/classes/?year={year.pk}").content.decode()
    assert "Năm học này chưa có lớp nào" in page
    assert f'href="{A}/classes/new/?year={year.pk}"' in page


# --- the subject catalogue ------------------------------------------------------------------------------


def _catalogue_post(grade):
    """The catalogue form of a grade as it is now."""
    loads = dict(SubjectLoad.objects.filter(grade=grade).values_list("subject_id", "periods_per_year"))
    return {
        f"periods-{subject.pk}": loads.get(subject.pk, "")
        for subject in Subject.objects.filter(level=grade.level)
    }


def test_catalogue_sets_periods_and_which_subjects_a_grade_takes(client, school, setup):
    grade = GradeLevel.objects.get(number=7)
    music = Subject.objects.get(level="lower_secondary", code="nghe-thuat")
    client.force_login(school.admin_a)
    page = client.get(f"{A}/subjects/?grade=7").content.decode()
    assert "Danh mục môn học · khối 7" in page and 'value="140"' in page
    data = _catalogue_post(grade) | {f"periods-{setup.maths.pk}": "175", f"periods-{music.pk}": ""}
    response = client.post(f"{A}/subjects/?grade=7", data, follow=True)
    assert "Đã lưu danh mục môn học khối 7 (2 môn thay đổi)." in response.content.decode()
    assert SubjectLoad.objects.get(subject=setup.maths, grade=grade).periods_per_year == 175
    assert not SubjectLoad.objects.filter(subject=music, grade=grade).exists()
    assert SubjectLoad.objects.filter(subject=music, grade__number=6).exists()  # other grades untouched
    event = AuditEvent.objects.get(action="subject_load.set")
    assert event.after["periods"] == {"Toán": [140, 175], music.name: [70, None]}


def test_catalogue_refuses_to_drop_a_subject_with_scores_or_assignments(client, school, setup):
    grade = GradeLevel.objects.get(number=6)
    client.force_login(school.admin_a)
    TeachingAssignment.objects.create(
        teacher=setup.teacher, school_class=setup.class_6a2, subject=setup.maths
    )
    before = _state()
    data = _catalogue_post(grade) | {f"periods-{setup.maths.pk}": ""}
    response = client.post(f"{A}/subjects/?grade=6", data)
    assert response.status_code == 400
    assert (
        "Không thể bỏ môn Toán khỏi khối 6: đã có 1 phân công giảng dạy ở khối 6."
        in response.content.decode()
    )
    assert _state() == before
    TeachingAssignment.objects.all().delete()
    Score.objects.create(
        student=setup.student, subject=setup.maths, term=setup.year.terms.get(number=1), column="TX1",
        value=Decimal("8.0"), updated_at=timezone.now(),
    )  # fmt: skip
    before = _state()
    response = client.post(f"{A}/subjects/?grade=6", data)
    assert "đã có điểm hoặc đánh giá ở khối 6" in response.content.decode()
    assert _state() == before


@pytest.mark.parametrize("value", ["0", "abc", "1001", "-3"])
def test_catalogue_refuses_bad_periods(client, school, setup, value):
    grade = GradeLevel.objects.get(number=6)
    before = _state()
    client.force_login(school.admin_a)
    data = _catalogue_post(grade) | {f"periods-{setup.maths.pk}": value}
    response = client.post(f"{A}/subjects/?grade=6", data)
    assert response.status_code == 400
    assert "Số tiết/năm phải từ 1 đến 1000" in response.content.decode()
    assert _state() == before


def test_add_a_school_subject_rename_it_and_deactivate_it(client, school, setup):
    client.force_login(school.admin_a)
    data = {"name": "Tin học tự chọn", "assessment": "pass_fail", "periods_per_year": "35"}
    response = client.post(f"{A}/subjects/new/?grade=8", data, follow=True)
    assert "Đã thêm môn Tin học tự chọn vào khối 8." in response.content.decode()
    subject = Subject.objects.get(name="Tin học tự chọn")
    assert (subject.level, subject.assessment, subject.code) == (
        "lower_secondary",
        "pass_fail",
        "tin-hoc-tu-chon",
    )
    assert list(subject.loads.values_list("grade__number", "periods_per_year")) == [(8, 35)]
    client.post(f"{A}/subjects/{subject.pk}/", {"name": "Tin học nâng cao"})
    assert Subject.objects.get(pk=subject.pk).name == "Tin học nâng cao"
    client.post(f"{A}/subjects/{subject.pk}/active/", {"active": "0"})
    assert not Subject.objects.get(pk=subject.pk).is_active
    client.post(f"{A}/subjects/{subject.pk}/active/", {"active": "1"})
    assert Subject.objects.get(pk=subject.pk).is_active
    actions = ("subject.add", "subject.rename", "subject.deactivate", "subject.activate")
    assert [_events(action) for action in actions] == [1, 1, 1, 1]


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"name": "toán", "assessment": "scored", "periods_per_year": "35"},
            "Đã có môn “Toán” ở cấp học này.",
        ),
        ({"name": "", "assessment": "scored", "periods_per_year": "35"}, "Trường này là bắt buộc."),
        ({"name": "Cờ vua", "assessment": "primary_rating", "periods_per_year": "35"}, "Chọn một hình thức"),
        (
            {"name": "Cờ vua", "assessment": "scored", "periods_per_year": "0"},
            "Số tiết/năm phải từ 1 đến 1000.",
        ),
    ],
)
def test_add_subject_refuses_bad_input(client, school, setup, data, message):
    before = _state()
    client.force_login(school.admin_a)
    response = client.post(f"{A}/subjects/new/?grade=6", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert _state() == before


def test_rename_onto_another_subject_and_deactivating_an_assigned_subject_are_refused(client, school, setup):
    TeachingAssignment.objects.create(
        teacher=setup.teacher, school_class=setup.class_6a2, subject=setup.maths
    )
    before = _state()
    client.force_login(school.admin_a)
    response = client.post(f"{A}/subjects/{setup.maths.pk}/", {"name": "Ngữ văn"})
    assert response.status_code == 400 and "Đã có môn “Ngữ văn” ở cấp học này." in response.content.decode()
    response = client.post(f"{A}/subjects/{setup.maths.pk}/active/", {"active": "0"})
    assert response.status_code == 400
    assert "Không thể ngừng dạy môn Toán: năm học này còn 1 phân công giảng dạy." in response.content.decode()
    assert _state() == before


# --- teaching assignments ---------------------------------------------------------------------------------


def test_assign_one_teacher_a_subject_across_several_classes(client, school, setup):
    SchoolClass.objects.create(name="7A1", grade=GradeLevel.objects.get(number=7), year=setup.year)
    seven = SchoolClass.objects.get(name="7A1")
    client.force_login(school.admin_a)
    data = {"teacher": setup.teacher.pk, "subject": setup.maths.pk,
            "classes": [setup.class_6a1.pk, setup.class_6a2.pk, seven.pk]}  # fmt: skip
    response = client.post(f"{A}/assignments/new/", data, follow=True)
    assert "Đã phân công Vũ Giáo Viên dạy Toán ở 6A1, 6A2, 7A1." in response.content.decode()
    assert sorted(TeachingAssignment.objects.values_list("school_class__name", flat=True)) == [
        "6A1",
        "6A2",
        "7A1",
    ]
    assert AuditEvent.objects.get(action="assignment.add").after["classes"] == ["6A1", "6A2", "7A1"]


def test_an_assignment_makes_the_years_assessment_plans_so_the_grid_opens(client, school, setup):
    AssessmentPlan.objects.filter(year=setup.year).delete()  # a new school: no manager opened the plan page
    client.force_login(school.admin_a)
    data = {"teacher": setup.teacher.pk, "subject": setup.maths.pk, "classes": [setup.class_6a1.pk]}
    client.post(f"{A}/assignments/new/", data)
    assignment = TeachingAssignment.objects.get()
    plan = AssessmentPlan.objects.get(year=setup.year, grade=setup.class_6a1.grade, subject=setup.maths)
    assert plan.regular_count > 0
    client.force_login(school.teacher_a)
    term = setup.year.terms.get(number=1)
    response = client.get(f"{A}/grades/assignments/{assignment.pk}/terms/{term.pk}/")
    assert response.status_code == 200
    assert "Chưa có kế hoạch đánh giá" not in response.content.decode()


def test_assignments_are_all_or_nothing_and_never_taken_from_a_colleague(client, school, setup):
    colleague = staff_add(actor=school.admin_a, school=school.school_a, phone="0981330002",
                          full_name="Lý Đồng Nghiệp", roles=[Role.TEACHER])  # fmt: skip
    TeachingAssignment.objects.create(teacher=colleague, school_class=setup.class_6a2, subject=setup.maths)
    before = _state()
    client.force_login(school.admin_a)
    data = {"teacher": setup.teacher.pk, "subject": setup.maths.pk,
            "classes": [setup.class_6a1.pk, setup.class_6a2.pk]}  # fmt: skip
    response = client.post(f"{A}/assignments/new/", data)
    assert response.status_code == 400
    assert "Lớp 6A2 môn Toán đã phân công cho Lý Đồng Nghiệp." in response.content.decode()
    assert _state() == before


@pytest.mark.parametrize(
    "case, message",
    [
        ("subject not taught in the grade", "Môn Tin học tự chọn không dạy ở khối 6 (lớp 6A1)."),
        ("inactive teacher", "Chọn một giáo viên đang làm việc ở trường."),
        ("other year's class", "Chọn các lớp của năm học hiện tại."),
        ("no class", "Chọn ít nhất một lớp."),
    ],
)
def test_assignment_form_refuses_bad_input(client, school, setup, case, message):
    elective = Subject.objects.create(code="tin-tc", name="Tin học tự chọn", level="lower_secondary",
                                      assessment="pass_fail")  # fmt: skip
    SubjectLoad.objects.create(subject=elective, grade=GradeLevel.objects.get(number=8), periods_per_year=35)
    past = SchoolYear.objects.create(name="2000-2001", starts_on=date(2000, 9, 5), ends_on=date(2001, 5, 31))
    old_class = SchoolClass.objects.create(name="6A1", grade=setup.class_6a1.grade, year=past)
    gone = staff_add(actor=school.admin_a, school=school.school_a, phone="0981330003",
                     full_name="Hà Đã Nghỉ", roles=[Role.TEACHER])  # fmt: skip
    StaffMember.objects.filter(pk=gone.pk).update(is_active=False)
    data = {"teacher": setup.teacher.pk, "subject": setup.maths.pk, "classes": [setup.class_6a1.pk]} | {
        "subject not taught in the grade": {"subject": elective.pk},
        "inactive teacher": {"teacher": gone.pk},
        "other year's class": {"classes": [old_class.pk]},
        "no class": {"classes": []},
    }[case]
    before = _state()
    client.force_login(school.admin_a)
    response = client.post(f"{A}/assignments/new/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert _state() == before


def test_remove_an_assignment_warns_about_scores_and_keeps_them(client, school, setup):
    assignment = TeachingAssignment.objects.create(
        teacher=setup.teacher, school_class=setup.class_6a1, subject=setup.maths
    )
    Score.objects.create(
        student=setup.student, subject=setup.maths, term=setup.year.terms.get(number=1), column="TX1",
        value=Decimal("7.5"), updated_at=timezone.now(),
    )  # fmt: skip
    client.force_login(school.admin_a)
    url = f"{A}/assignments/{assignment.pk}/remove/"
    page = client.get(url).content.decode()
    assert "Lớp đã có 1 điểm môn này trong năm học." in page and "Điểm vẫn được giữ" in page
    assert TeachingAssignment.objects.filter(pk=assignment.pk).exists()  # the GET only asks
    response = client.post(url, follow=True)
    assert "Đã bỏ phân công Vũ Giáo Viên dạy Toán lớp 6A1." in response.content.decode()
    assert not TeachingAssignment.objects.filter(pk=assignment.pk).exists()
    assert Score.objects.filter(student=setup.student).count() == 1
    assert AuditEvent.objects.get(action="assignment.remove").before["scores"] == 1


def test_an_archived_class_is_not_promoted_by_the_rollover(client, school, setup):
    from students.roster.selectors import rollover_preview

    client.force_login(school.admin_a)
    client.post(f"{A}/classes/{setup.class_6a2.pk}/archive/")
    preview = rollover_preview(setup.year)
    assert [item["name"] for item in preview["promoted"]] == ["6A1"]


def test_an_archived_class_is_no_longer_offered_nor_accepted_for_a_class_change(client, school, setup):
    from students.roster.services import RosterError, enrolment_move

    client.force_login(school.admin_a)
    client.post(f"{A}/classes/{setup.class_6a2.pk}/archive/")
    profile = client.get(f"{A}/students/{setup.student.pk}/").content.decode()
    assert f'value="{setup.class_6a2.pk}"' not in profile.split('id="move"')[1].split("</form>")[0]
    archived = SchoolClass.objects.get(pk=setup.class_6a2.pk)
    with pytest.raises(RosterError, match=r"Lớp 6A2 đã lưu trữ\."):
        enrolment_move(
            actor=school.admin_a, student=setup.student, to_class=archived,
            on_date=setup.year.starts_on + timedelta(days=30),
        )  # fmt: skip
