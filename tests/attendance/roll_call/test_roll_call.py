"""Roll call. The save (exceptions only, leave pre-fill, re-save, corrections audited), who may take which
roll call, the same-day rule, the enrolment rule, the optimistic version, constant queries, and the pages
(today, the roll call with its HTMX save, managers' class and day, outsiders 404)."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from attendance.marks.services import AttendanceError, MarkChange, student_mark_set, students_mark_set
from attendance.models import AttendanceMark, GateDevice, GateEvent, LeaveRequest, Mark, RollCall
from attendance.roll_call.services import RollCallConflict, roll_call_save
from schoolbook.audit.models import AuditEvent
from students.models import (
    Enrolment,
    SchoolClass,
    StaffMember,
    Student,
    Subject,
    TeachingAssignment,
)
from tests.conftest import TEST_PASSWORD, without_tokens
from tests.factories import guardian_link, parent_make, staff_make, student_enrol
from tests.gradebook_world import page_queries

P, K, LATE = Mark.ABSENT_EXCUSED, Mark.ABSENT_UNEXCUSED, Mark.LATE
MORNING, AFTERNOON = "morning", "afternoon"


def enrol(code, school_class, name, since_days=60) -> Student:
    """A student enrolled in `school_class` since `since_days` ago (so past days count too)."""
    since = timezone.localdate() - datetime.timedelta(days=since_days)
    return student_enrol(code, school_class, name, starts_on=since)


def build(world, size=4) -> SimpleNamespace:
    """School A (call inside its schema, with the `school` fixture's 6A1 and 6A2): Vũ Giáo Viên is 6A1's
    homeroom teacher, a second teacher 6A2's, a third teaches Toán in 6A1; `size` students in 6A1, each with
    a guardian of their own, and one in 6A2."""
    a1, a2 = SchoolClass.objects.get(name="6A1"), SchoolClass.objects.get(name="6A2")
    g = SimpleNamespace(world=world, a1=a1, a2=a2, today=timezone.localdate())
    g.teacher = StaffMember.objects.select_related("user").get(user=world.teacher_a)
    g.principal = StaffMember.objects.get(user=world.principal_a)
    g.other_teacher = staff_make(world, "0911100001", "Lê Chủ Nhiệm Khác")
    g.math_teacher = staff_make(world, "0911100002", "Trần Dạy Toán")
    for user in User.objects.filter(phone__in=["+84911100001", "+84911100002"]):
        user.set_password(TEST_PASSWORD)
        user.save(update_fields=["password"])
    a1.homeroom_teacher, a2.homeroom_teacher = g.teacher, g.other_teacher
    a1.save(update_fields=["homeroom_teacher"])
    a2.save(update_fields=["homeroom_teacher"])
    g.toan = Subject.objects.get(level="lower_secondary", code="toan")
    TeachingAssignment.objects.create(teacher=g.math_teacher, school_class=a1, subject=g.toan)
    g.students = [enrol(f"RC{n:02d}", a1, f"Nguyễn Văn {n:02d}") for n in range(size)]
    g.guardians = [guardian_link(s, f"0912{n:06d}") for n, s in enumerate(g.students)]
    g.outsider = enrol("RC-OTHER", a2, "Trần Thị Khác")
    return g


@pytest.fixture
def rc(school):
    with schema_context(school.school_a.schema_name):
        yield build(school)


def save(g, marks, *, actor=None, day=None, session=MORNING, version=None, period=0, subject=None):
    """marks: {student: mark or (mark, note)}."""
    return roll_call_save(
        actor_staff=actor or g.teacher,
        school_class=g.a1,
        day=day or g.today,
        session=session,
        marks={s.pk: m if isinstance(m, tuple) else (m, "") for s, m in marks.items()},
        period=period,
        subject=subject,
        version=version,
    )


def marks_of(roll_call):
    return {m.student_id: (m.mark, m.source) for m in roll_call.marks.all()}


# --- the save ---------------------------------------------------------------------------------------------


def test_save_stores_only_the_exceptions(rc):
    s0, s1, s2, _ = rc.students
    result = save(rc, {s0: K, s1: (P, "ốm"), s2: LATE})
    roll_call = result.roll_call
    assert (roll_call.version, roll_call.taken_by, roll_call.period) == (1, rc.teacher, 0)
    assert marks_of(roll_call) == {s0.pk: (K, "teacher"), s1.pk: (P, "teacher"), s2.pk: (LATE, "teacher")}
    assert roll_call.marks.get(student=s1).note == "ốm"
    assert (result.absent, result.late) == (2, 1)
    assert not AuditEvent.objects.filter(action__startswith="roll_call").exists()  # a first save today


def test_resave_replaces_the_marks_and_is_audited(rc):
    s0, s1, s2, _ = rc.students
    first = save(rc, {s0: K, s1: LATE}).roll_call
    result = save(rc, {s0: K, s2: P}, version=first.version)
    assert result.roll_call.pk == first.pk and result.roll_call.version == 2
    assert marks_of(result.roll_call) == {s0.pk: (K, "teacher"), s2.pk: (P, "teacher")}
    event = AuditEvent.objects.get(action="roll_call.correct")
    assert event.before == {"marks": {str(s0.pk): K, str(s1.pk): LATE}}
    assert event.after == {"marks": {str(s0.pk): K, str(s2.pk): P}}
    save(rc, {s0: K, s2: P}, version=2)  # nothing changed: nothing to audit
    assert AuditEvent.objects.filter(action="roll_call.correct").count() == 1


def test_stale_version_is_a_conflict_naming_who_saved(rc):
    s0, s1, *_ = rc.students
    save(rc, {s0: K})
    save(rc, {s0: K, s1: K}, actor=rc.principal, version=1)
    with pytest.raises(RollCallConflict) as caught:
        save(rc, {}, version=1)  # the teacher's page still shows version 1
    assert "Hoàng Hiệu Trưởng" in str(caught.value)
    with pytest.raises(RollCallConflict):
        save(rc, {})  # "there was no roll call yet" when there is one
    assert set(marks_of(RollCall.objects.get())) == {s0.pk, s1.pk}  # nothing overwritten


def test_approved_leave_prefills_p_unless_the_teacher_marked_otherwise(rc):
    s0, s1, s2, _ = rc.students
    for student, sessions in ((s0, "all_day"), (s1, "morning"), (s2, "afternoon")):
        LeaveRequest.objects.create(
            student=student, requested_by=rc.world.teacher_a, start_date=rc.today, end_date=rc.today,
            sessions=sessions, reason="Ốm", status=LeaveRequest.Status.APPROVED,
        )  # fmt: skip
    roll_call = save(rc, {}).roll_call
    assert marks_of(roll_call) == {s0.pk: (P, "leave"), s1.pk: (P, "leave")}  # s2's leave is the afternoon
    # The teacher leaves s0 as it was (the page posts P back) and says s1 came after all.
    roll_call = save(rc, {s0: P, s1: None}, version=1).roll_call
    assert marks_of(roll_call) == {s0.pk: (P, "leave")}


def test_period_roll_call_by_the_subject_teacher(rc):
    s0 = rc.students[0]
    result = save(rc, {s0: K}, actor=rc.math_teacher, period=3, subject=rc.toan)
    assert (result.roll_call.period, result.roll_call.subject) == (3, rc.toan)
    assert result.alerts == 0  # only session roll calls alert guardians


# --- who, when, whom --------------------------------------------------------------------------------------


def test_who_may_take_which_roll_call(rc):
    s0 = rc.students[0]
    with pytest.raises(AttendanceError, match="Chỉ giáo viên chủ nhiệm"):
        save(rc, {s0: K}, actor=rc.other_teacher)  # another class's homeroom teacher
    with pytest.raises(AttendanceError, match="Chỉ giáo viên chủ nhiệm"):
        save(rc, {s0: K}, actor=rc.math_teacher)  # a subject teacher: not the session roll call
    with pytest.raises(AttendanceError, match="không dạy môn này"):
        save(rc, {s0: K}, actor=rc.other_teacher, period=2, subject=rc.toan)
    with pytest.raises(AttendanceError, match="cần chọn môn"):
        save(rc, {s0: K}, actor=rc.math_teacher, period=2)
    assert save(rc, {s0: K}, actor=rc.principal).roll_call.taken_by == rc.principal
    assert not RollCall.objects.filter(period__gt=0).exists()


def test_teachers_record_today_only_managers_correct_past_days(rc):
    s0 = rc.students[0]
    yesterday = rc.today - datetime.timedelta(days=1)
    with pytest.raises(AttendanceError, match="chỉ điểm danh và sửa điểm danh trong ngày"):
        save(rc, {s0: K}, day=yesterday)
    with pytest.raises(AttendanceError, match="Chưa đến ngày"):
        save(rc, {s0: K}, actor=rc.principal, day=rc.today + datetime.timedelta(days=1))
    roll_call = save(rc, {s0: K}, actor=rc.principal, day=yesterday).roll_call
    event = AuditEvent.objects.get(action="roll_call.backfill")
    assert event.object_id == str(roll_call.pk) and event.actor == rc.world.principal_a


def test_only_students_enrolled_that_day(rc):
    late_comer = enrol("RC-NEW", rc.a1, "Phạm Mới Đến", since_days=0)
    yesterday = rc.today - datetime.timedelta(days=1)
    with pytest.raises(AttendanceError, match=r"không học lớp 6A1 ngày .*: Trần Thị Khác\."):
        save(rc, {rc.outsider: K})
    with pytest.raises(AttendanceError, match="Phạm Mới Đến"):
        save(rc, {late_comer: K}, actor=rc.principal, day=yesterday)
    assert not RollCall.objects.exists()


def test_save_takes_the_same_queries_for_10_and_40_students(school):
    """Every student changes on each of the three saves (new marks, updated marks, deleted marks)."""
    with schema_context(school.school_a.schema_name):
        g = build(school, size=40)

        def queries(students):
            counts = []
            for plan in ({s: K for s in students}, {s: P for s in students}, {}):
                version = RollCall.objects.filter(session=plan_session).values_list("version", flat=True)
                with CaptureQueriesContext(connection) as captured:
                    save(g, plan, session=plan_session, version=version.first())
                counts.append(len(captured))
            return counts

        plan_session = MORNING
        small = queries(g.students[:10])
        plan_session = AFTERNOON
        large = queries(g.students)
        assert small == large, (small, large)


def test_student_mark_set_changes_one_mark_in_the_taken_roll_call(rc):
    s0, s1, *_ = rc.students
    assert student_mark_set(student=s0, day=rc.today, session=MORNING, mark=LATE, source="gate") is False
    save(rc, {s1: K})
    assert student_mark_set(student=s0, day=rc.today, session=MORNING, mark=LATE, source="gate")
    assert student_mark_set(
        student=s1, day=rc.today, session=MORNING, mark=P, source="leave", actor_staff=rc.principal
    )
    roll_call = RollCall.objects.get()
    assert marks_of(roll_call) == {s0.pk: (LATE, "gate"), s1.pk: (P, "leave")}
    assert (roll_call.version, roll_call.taken_by) == (3, rc.principal)
    assert student_mark_set(student=s0, day=rc.today, session=MORNING, mark=None, source="teacher")
    assert not AttendanceMark.objects.filter(student=s0).exists()
    # The teacher's page opened before these changes is stale: a conflict, not an overwrite.
    with pytest.raises(RollCallConflict):
        save(rc, {s1: K}, version=1)


def test_many_marks_at_once_take_the_same_queries_for_10_and_40_students(school):
    """The gate's batches: late for everyone, then K (alerts), then present again (corrections)."""
    with schema_context(school.school_a.schema_name):
        g = build(school, size=40)

        def queries(students, session):
            save(g, {}, session=session)
            counts = []
            for mark in (LATE, K, None):
                changes = [MarkChange(s.pk, g.today, session, mark, "gate") for s in students]
                with CaptureQueriesContext(connection) as captured:
                    assert students_mark_set(changes) == len(students)
                counts.append(len(captured))
            return counts

        small, large = queries(g.students[:10], MORNING), queries(g.students, AFTERNOON)
        assert small == large, (small, large)
        roll_call = RollCall.objects.get(session=AFTERNOON)
        assert (roll_call.version, roll_call.marks.count()) == (4, 0)  # three changes, all present again
        # A student whose class has no roll call taken yet: nothing set, nothing counted.
        assert students_mark_set([MarkChange(g.outsider.pk, g.today, MORNING, K, "gate")]) == 0


# --- pages ------------------------------------------------------------------------------------------------


def client_for(client, phone):
    client.login(username=phone, password=TEST_PASSWORD)
    return client


def roll_call_url(g, day=None, session=MORNING, **extra):
    query = "&".join(f"{k}={v}" for k, v in {"session": session, **extra}.items())
    return f"/s/test-a/attendance/roll-call/{g.a1.pk}/{(day or g.today).isoformat()}/?{query}"


def test_today_page_lists_the_teachers_classes(rc, client):
    save(rc, {rc.students[0]: K})
    page = client_for(client, "0900000013").get("/s/test-a/attendance/")
    html = without_tokens(page)
    assert page.status_code == 200
    assert "6A1" in html and "Đã điểm danh" in html and "Chưa điểm danh" in html  # morning / afternoon
    assert "6A2" not in html
    math = client_for(client, "0911100002").get("/s/test-a/attendance/").content.decode()
    assert "6A1" in math and "Toán" in math


def test_roll_call_page_and_htmx_save(rc, client):
    s0, s1, s2, _ = rc.students
    device = GateDevice.objects.create(name="Cổng chính", token_hash="x" * 64)
    arrived = timezone.make_aware(datetime.datetime.combine(rc.today, datetime.time(7, 2)))
    GateEvent.objects.create(
        device=device,
        event_id="1",
        kind="arrival",
        person_ref=s2.student_code,
        student=s2,
        occurred_at=arrived,
    )
    LeaveRequest.objects.create(
        student=s1, requested_by=rc.world.teacher_a, start_date=rc.today, end_date=rc.today,
        reason="Ốm", status=LeaveRequest.Status.APPROVED,
    )  # fmt: skip
    client_for(client, "0900000013")
    html = client.get(roll_call_url(rc)).content.decode()
    assert "Nguyễn Văn 00" in html and "có đơn" in html and "07:02" in html
    assert f'name="mark-{s1.pk}" value="P" checked' in html  # pre-marked from the leave
    data = {"version": "", "student": [s.pk for s in rc.students], f"mark-{s0.pk}": "K", f"mark-{s1.pk}": "P"}
    data |= {f"mark-{s.pk}": "" for s in rc.students[2:]}
    response = client.post(roll_call_url(rc), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    saved_at = timezone.localtime(RollCall.objects.get().updated_at).strftime("%H:%M")
    assert f"Đã lưu lúc {saved_at} · 2 vắng" in html and "<html" not in html  # the partial only
    assert marks_of(RollCall.objects.get()) == {s0.pk: (K, "teacher"), s1.pk: (P, "leave")}
    # The same page posted again (its version is now stale) is refused and shows the current marks.
    response = client.post(roll_call_url(rc), data, headers={"HX-Request": "true"})
    assert "sau khi bạn mở trang" in response.content.decode()


def test_roll_call_page_permissions(rc, client):
    client_for(client, "0911100001")  # 6A2's homeroom teacher
    assert client.get(roll_call_url(rc)).status_code == 404
    assert client.post(roll_call_url(rc), {"version": ""}).status_code == 404
    client_for(client, "0911100002")  # teaches Toán in 6A1: periods yes, the session no
    assert client.get(roll_call_url(rc)).status_code == 404
    assert client.get(roll_call_url(rc, period=2, subject=rc.toan.pk)).status_code == 200
    client_for(client, "0900000022")  # school B's staff
    assert client.get(roll_call_url(rc)).status_code == 404
    assert client.get("/s/test-a/attendance/").status_code == 404
    client.force_login(parent_make(rc.world, rc.students[0], "0913300001", "Mẹ Của Học Sinh"))
    assert client.get(roll_call_url(rc)).status_code == 404  # a parent: staff pages do not exist
    assert client.get("/s/test-a/attendance/").status_code == 404
    assert not RollCall.objects.exists()


def test_without_htmx_the_save_redirects_back_with_a_message(rc, client):
    client_for(client, "0900000013")
    s0 = rc.students[0]
    data = {"version": "", "student": [s0.pk], f"mark-{s0.pk}": "late", f"note-{s0.pk}": " xe hỏng "}
    response = client.post(roll_call_url(rc), data, follow=True)
    assert response.redirect_chain == [(roll_call_url(rc), 302)]
    assert "Đã lưu điểm danh." in response.content.decode()
    mark = AttendanceMark.objects.get()
    assert (mark.student, mark.mark, mark.note) == (s0, LATE, "xe hỏng")
    bad = client.post(roll_call_url(rc), {"version": "1", "student": [s0.pk], f"mark-{s0.pk}": "X"})
    assert "Dữ liệu điểm danh không hợp lệ." in bad.content.decode()


def test_teacher_sees_past_days_read_only_managers_pick_class_and_day(rc, client):
    yesterday = rc.today - datetime.timedelta(days=1)
    html = client_for(client, "0900000013").get(roll_call_url(rc, day=yesterday)).content.decode()
    assert "chỉ điểm danh và sửa điểm danh trong ngày" in html and 'type="submit"' not in html
    client.logout()
    client_for(client, "0900000012")
    home = client.get(f"/s/test-a/attendance/?day={yesterday.isoformat()}").content.decode()
    assert "6A1" in home and "6A2" in home
    page = client.get(roll_call_url(rc, day=yesterday))
    assert page.status_code == 200 and 'type="submit"' in page.content.decode()
    assert (
        client.get(f"/s/test-a/attendance/roll-call/{rc.a1.pk}/2026-02-30/?session=morning").status_code
        == 404
    )


def test_pages_take_the_same_queries_for_10_and_40_students(school, client):
    with schema_context(school.school_a.schema_name):
        g = build(school, size=40)
        for student in g.students[10:]:
            Enrolment.objects.filter(student=student).update(school_class=g.a2)
        save(g, {s: K for s in g.students[:3]})
        roll_call_save(
            actor_staff=g.principal, school_class=g.a2, day=g.today, session=MORNING,
            marks={s.pk: (K, "") for s in g.students[10:13]},
        )  # fmt: skip
        g.a2.homeroom_teacher = g.teacher
        g.a2.save(update_fields=["homeroom_teacher"])
        client_for(client, "0900000013")
        page_queries(client, "/s/test-a/attendance/")  # the session and the staff lookups get cached
        small = page_queries(client, roll_call_url(g))
        g.a1 = g.a2  # 31 students, plus the outsider
        large = page_queries(client, roll_call_url(g))
        assert small == large
        client_for(client, "0900000012")  # a manager: every class of the year, paginated
        page_queries(client, "/s/test-a/attendance/")
        two_classes = page_queries(client, "/s/test-a/attendance/")
        for n in range(5):
            SchoolClass.objects.create(name=f"7B{n}", grade=g.a1.grade, year=g.a1.year)
        assert page_queries(client, "/s/test-a/attendance/") == two_classes
