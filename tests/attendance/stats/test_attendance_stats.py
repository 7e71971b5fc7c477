"""Attendance statistics: the counting rule (P and K of session roll calls; not late, not period roll calls),
Circular 22's 45 sessions and the warning levels, per class × month, per day, per month, the students near the
limit, the managers' tiles, who sees which page, constant query counts, and the class results' promotion now
seeing real absences."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import set_urlconf
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import Role
from attendance import rules
from attendance.models import AttendanceMark, AttendanceSettings, LeaveRequest, Mark, RollCall
from attendance.roll_call.services import roll_call_save
from attendance.stats import selectors as stats
from grades.entry.services import scores_save
from grades.models import AssessmentPlan
from grades.results.selectors import class_results
from grades.results.services import conduct_set
from grades.rules.circular22 import Outcome
from students.models import Enrolment
from students.setup.services import day_off_add
from tenants.routing import school_urlconf
from tests.factories import assignment_make, guardian_account, guardian_link, staff_make, student_enrol
from tests.gradebook_world import gradebook_world, page_queries

P, K, LATE = Mark.ABSENT_EXCUSED, Mark.ABSENT_UNEXCUSED, Mark.LATE
SLOTS = [(n, session) for n in range(200) for session in ("morning", "afternoon")]


@pytest.fixture
def st(world):
    """School A: 6A1 (homeroom Vũ Giáo Viên) with three students, 6A2 with one; everyone enrolled since the
    first day of the school year, so that roll calls of past days find them."""
    with schema_context(world.school_a.schema_name):
        g = gradebook_world(
            world, students=["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"], outsider="Phạm Văn Dũng",
            homeroom="teacher",
        )  # fmt: skip
        Enrolment.objects.update(starts_on=g.year.starts_on)
        g.today = timezone.localdate()
        g.month = g.today.replace(day=1)
        yield g


def take(school_class, day, session="morning", marks=None, period=0, subject=None) -> RollCall:
    """A roll call as saved, with its exceptions (`marks`: student → mark)."""
    roll_call = RollCall.objects.create(
        school_class=school_class, date=day, session=session, period=period, subject=subject
    )
    AttendanceMark.objects.bulk_create(
        AttendanceMark(roll_call=roll_call, student=student, mark=mark)
        for student, mark in (marks or {}).items()
    )
    return roll_call


def absent_sessions(g, school_class, student, count, mark=K, first=0):
    """`student` absent (`mark`) from `count` session roll calls of `school_class`, one per slot of the school
    year from its first day (morning and afternoon), starting at slot `first`."""
    for n, session in SLOTS[first : first + count]:
        day = g.year.starts_on + datetime.timedelta(days=n)
        roll_call, _ = RollCall.objects.get_or_create(school_class=school_class, date=day, session=session)
        AttendanceMark.objects.create(roll_call=roll_call, student=student, mark=mark)


# --- the counting rule and the levels -----------------------------------------------------------------------


def test_absence_levels_and_thresholds():
    assert (rules.WARN_FROM, rules.LIMIT) == (35, 45)
    assert [rules.absence_level(n) for n in (0, 34, 35, 45, 46)] == ["ok", "ok", "near", "near", "over"]
    assert stats.Absences(20, 26).level == "over" and stats.Absences(20, 26).level_label == "Vượt giới hạn"
    assert (
        stats.Absences(30, 5, late=40).total == 35 and stats.Absences(30, 5).level_label == "Sắp đến giới hạn"
    )
    assert stats.percent(39, 40) == "97,5%" and stats.percent(0, 0) == ""


def test_counting_rule_session_roll_calls_only_late_and_periods_do_not_count(st):
    an, binh, cuong = st.students
    day = st.year.starts_on
    take(st.a1, day, "morning", {an: P, binh: LATE})
    take(st.a1, day, "afternoon", {an: K, binh: K})
    # a period roll call (Toán, period 3) adds detail; its absence is not a session
    take(st.a1, day + datetime.timedelta(days=1), "morning", {an: K, cuong: K}, period=3, subject=st.toan)
    # a roll call before the school year started is not in this year's count
    take(st.a1, st.year.starts_on - datetime.timedelta(days=1), "morning", {an: K})
    counts = stats.year_absences([an.pk, binh.pk, cuong.pk], st.year)
    assert counts[an.pk] == stats.Absences(excused=1, unexcused=1, late=0) and counts[an.pk].total == 2
    assert counts[binh.pk] == stats.Absences(excused=0, unexcused=1, late=1) and counts[binh.pk].total == 1
    assert cuong.pk not in counts  # only a period absence: no session absent


def test_46_absences_are_over_the_limit_and_45_near(st):
    an, binh, _ = st.students
    absent_sessions(st, st.a1, an, 30, mark=P)
    absent_sessions(st, st.a1, an, 16, mark=K, first=30)
    absent_sessions(st, st.a1, binh, 45, mark=K, first=46)
    counts = stats.year_absences([an.pk, binh.pk], st.year)
    assert counts[an.pk] == stats.Absences(30, 16) and counts[an.pk].level == rules.OVER
    assert counts[binh.pk].total == 45 and counts[binh.pk].level == rules.NEAR


# --- per class and month ------------------------------------------------------------------------------------


def test_class_month_grid_marks_totals_and_year(st):
    an, binh, cuong = st.students
    first = st.month
    second = first + datetime.timedelta(days=1)
    take(st.a1, first, "morning", {an: P, binh: LATE})
    take(st.a1, first, "afternoon", {an: K})
    take(st.a1, second, "morning", {})  # taken, everyone present
    take(st.a2, first, "morning", {st.outsider: K})  # another class: not in this grid
    last_month = first - datetime.timedelta(days=1)
    if last_month >= st.year.starts_on:
        take(st.a1, last_month, "morning", {an: K})  # counts for the year, not the month
    grid = stats.class_month(st.a1, st.today)
    assert (grid.first, grid.roll_calls) == (first, 3)
    assert [row.student for row in grid.rows] == [an, binh, cuong]  # by given name: An, Bình, Cường
    rows = {row.student: row for row in grid.rows}
    assert grid.days[0].sessions == ["morning", "afternoon"] and grid.days[1].sessions == ["morning"]
    assert rows[an].cells[0].text == "P/K" and "Buổi sáng: P" in rows[an].cells[0].title
    assert rows[binh].cells[0].text == "M/·" and rows[cuong].cells[0].text == ""
    assert rows[an].month == stats.Absences(1, 1, 0) and rows[binh].month == stats.Absences(0, 0, 1)
    year_total = 3 if last_month >= st.year.starts_on else 2
    assert rows[an].year.total == year_total
    assert grid.totals == stats.Absences(1, 1, 1)


def test_class_page_shows_the_grid_to_its_homeroom_teacher(client, st):
    an = st.students[0]
    take(st.a1, st.month, "morning", {an: K})
    client.force_login(st.world.teacher_a)
    page = client.get(f"/s/test-a/attendance/stats/classes/{st.a1.pk}/?month={st.today:%Y-%m}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Điểm danh lớp 6A1" in html and "Nguyễn Văn An" in html and 'data-total="K">1<' in html
    assert "Phạm Văn Dũng" not in html  # 6A2's student
    # another class: 404 for the homeroom teacher of 6A1
    assert client.get(f"/s/test-a/attendance/stats/classes/{st.a2.pk}/").status_code == 404


# --- per day and per month ----------------------------------------------------------------------------------


def test_day_overview_taken_or_not_counts_and_rate(st):
    an, binh, _ = st.students
    day = st.today
    take(st.a1, day, "morning", {an: P, binh: LATE})
    overview = stats.day_overview(stats.visible_classes(st.principal), day)
    rows = {row.school_class.name: row for row in overview.rows}
    assert set(rows) == {"6A1", "6A2"}
    a1 = rows["6A1"]
    assert a1.enrolled == 3 and a1.slots["afternoon"] is None
    morning = a1.slots["morning"]
    assert (morning.roll_calls, morning.student_sessions, morning.absences) == (1, 3, stats.Absences(1, 0, 1))
    assert morning.present == 2 and morning.rate == "66,7%"  # late is present
    assert rows["6A2"].slots == {"morning": None, "afternoon": None}
    assert [c.name for c in overview.missing("morning")] == ["6A2"]
    assert [c.name for c in overview.missing("afternoon")] == ["6A1", "6A2"]
    assert overview.total.rate == "66,7%"


def test_month_overview_per_class_rates(st):
    an, binh, _ = st.students
    first = st.month
    take(st.a1, first, "morning", {an: K})
    take(st.a1, first, "afternoon", {an: P, binh: K})
    take(st.a1, first + datetime.timedelta(days=1), "morning", {})
    take(st.a2, first, "morning", {st.outsider: LATE})
    take(st.a1, first + datetime.timedelta(days=40), "morning", {an: K})  # next month
    overview = stats.month_overview(stats.visible_classes(st.admin), st.today)
    rows = {row.school_class.name: row for row in overview.rows}
    a1, a2 = rows["6A1"], rows["6A2"]
    assert (a1.days, a1.slot.roll_calls, a1.slot.student_sessions) == (2, 3, 9)
    assert a1.slot.absences == stats.Absences(1, 2, 0) and a1.slot.rate == "66,7%"  # 6 of 9
    assert (a2.slot.student_sessions, a2.slot.rate) == (1, "100,0%")
    assert overview.total.student_sessions == 10 and overview.total.rate == "70,0%"


def test_day_and_month_pages(client, st):
    take(st.a1, st.today, "morning", {st.students[0]: K})
    client.force_login(st.world.principal_a)
    day = client.get(f"/s/test-a/attendance/stats/?day={st.today:%Y-%m-%d}").content.decode()
    assert 'data-class="6A1"' in day and 'data-class="6A2"' in day and "Chưa điểm danh" in day
    assert 'data-figure="rate">66,7%<' in day
    month = client.get(f"/s/test-a/attendance/stats/month/?month={st.today:%Y-%m}").content.decode()
    assert 'data-class="6A1"' in month and "66,7%" in month
    # a malformed date shows today rather than failing
    assert client.get("/s/test-a/attendance/stats/?day=25-11").status_code == 200
    # the homeroom teacher sees their own class only
    client.force_login(st.world.teacher_a)
    day = client.get("/s/test-a/attendance/stats/").content.decode()
    assert 'data-class="6A1"' in day and 'data-class="6A2"' not in day
    assert "Xuất dữ liệu" not in day  # the export is for the admin and the principal


# --- the students approaching the limit ---------------------------------------------------------------------


def test_students_near_limit_list_scoped_and_sorted(client, st):
    an, binh, cuong = st.students
    absent_sessions(st, st.a1, an, 46)
    absent_sessions(st, st.a1, binh, 35, mark=P)
    absent_sessions(st, st.a1, cuong, 34)
    absent_sessions(st, st.a2, st.outsider, 40)
    rows = stats.students_near_limit(stats.visible_classes(st.principal), st.year, st.today)
    assert [(r.student, r.absences.total, r.absences.level) for r in rows] == [
        (an, 46, "over"), (st.outsider, 40, "near"), (binh, 35, "near"),
    ]  # fmt: skip
    assert rows[1].school_class == st.a2
    mine = stats.students_near_limit(stats.visible_classes(st.teacher), st.year, st.today)
    assert [r.student for r in mine] == [an, binh]
    client.force_login(st.world.teacher_a)
    html = client.get("/s/test-a/attendance/stats/limit/").content.decode()
    assert 'data-student="HS0" data-level="over"' in html and "Vượt giới hạn" in html
    assert 'data-student="HS1" data-level="near"' in html and "HS-OTHER" not in html and "HS2" not in html


def test_a_student_who_left_is_not_listed(st):
    an = st.students[0]
    absent_sessions(st, st.a1, an, 36)
    Enrolment.objects.filter(student=an).update(ends_on=st.today - datetime.timedelta(days=1))
    assert stats.students_near_limit(stats.visible_classes(st.admin), st.year, st.today) == []


# --- tiles --------------------------------------------------------------------------------------------------


def test_attendance_tiles(st):
    an, binh, _ = st.students
    settings = AttendanceSettings.current()
    settings.save()
    morning = timezone.make_aware(datetime.datetime.combine(st.today, datetime.time(8, 0)))
    afternoon = timezone.make_aware(datetime.datetime.combine(st.today, datetime.time(14, 0)))
    take(st.a1, st.today, "morning", {an: K})
    absent_sessions(st, st.a2, st.outsider, 46)
    absent_sessions(st, st.a1, binh, 40, mark=P)
    parent = guardian_account(st.world, guardian_link(an, "0911000001"))
    for status in ("pending", "pending_principal", "approved", "rejected"):
        LeaveRequest.objects.create(
            student=an,
            requested_by=parent,
            start_date=st.today,
            end_date=st.today,
            reason="Ốm",
            status=status,
        )
    tiles = stats.attendance_tiles(now=morning)
    assert tiles.session == "morning" and tiles.overview.total.rate == "66,7%"
    assert [c.name for c in tiles.missing] == ["6A2"]
    assert (tiles.pending_leave, tiles.near, tiles.over) == (2, 1, 1)
    later = stats.attendance_tiles(now=afternoon)
    assert later.session == "afternoon" and [c.name for c in later.missing] == ["6A1", "6A2"]
    # the partial renders with the figures and its links (to the school's pages, as on its home page)
    set_urlconf(school_urlconf("test-a"))
    try:
        html = render_to_string("attendance/_tiles.html", {"attendance_tiles": tiles})
    finally:
        set_urlconf(None)
    assert 'href="/s/test-a/attendance/stats/limit/"' in html and 'href="/s/test-a/attendance/leave/"' in html
    assert 'data-figure="attendance-rate">66,7%<' in html and "Lớp chưa điểm danh buổi sáng: 6A2" in html
    assert 'data-figure="leave-pending">2<' in html and 'data-figure="absence-limit">1 · 1<' in html


def test_on_a_day_off_no_class_is_missing_its_roll_call_and_the_pages_say_why(client, st):
    day_off_add(actor=st.world.admin_a, year=st.year, name="Nghỉ Tết Dương lịch", first_day=st.today,
                last_day=st.today)  # fmt: skip
    take(st.a1, st.today, "morning", {st.students[0]: K})  # a make-up roll call still counts
    overview = stats.day_overview(stats.visible_classes(st.principal), st.today)
    assert overview.day_off.name == "Nghỉ Tết Dương lịch"
    assert overview.missing("morning") == [] and overview.missing("afternoon") == []
    assert overview.total.rate == "66,7%"
    morning = timezone.make_aware(datetime.datetime.combine(st.today, datetime.time(8, 0)))
    tiles = stats.attendance_tiles(now=morning)
    assert tiles.missing == []
    set_urlconf(school_urlconf("test-a"))
    try:
        html = render_to_string("attendance/_tiles.html", {"attendance_tiles": tiles})
    finally:
        set_urlconf(None)
    assert (
        'data-figure="attendance-missing">0<' in html and "hôm nay trường nghỉ: Nghỉ Tết Dương lịch" in html
    )

    client.force_login(st.world.principal_a)
    day = client.get(f"/s/test-a/attendance/stats/?day={st.today:%Y-%m-%d}").content.decode()
    assert "Trường nghỉ ngày này: Nghỉ Tết Dương lịch" in day and "Chưa điểm danh" not in day
    grid = client.get(
        f"/s/test-a/attendance/stats/classes/{st.a1.pk}/?month={st.today:%Y-%m}"
    ).content.decode()
    assert grid.count('data-day-off="Nghỉ Tết Dương lịch"') == 1
    # the teacher's roll calls: a one-line notice, and the roll call can still be taken
    client.force_login(st.world.teacher_a)
    home = client.get("/s/test-a/attendance/").content.decode()
    assert "Hôm nay trường nghỉ: Nghỉ Tết Dương lịch." in home
    saved = client.post(
        f"/s/test-a/attendance/roll-call/{st.a1.pk}/{st.today:%Y-%m-%d}/?session=afternoon", {"version": ""}
    )
    assert (
        saved.status_code == 302 and RollCall.objects.filter(school_class=st.a1, session="afternoon").exists()
    )


# --- who sees what ------------------------------------------------------------------------------------------


PAGES = ["stats/", "stats/month/", "stats/limit/"]


def test_permissions(client, st):
    other_teacher = staff_make(st.world, "0911000002", "Đinh Giáo Viên")
    vice = staff_make(st.world, "0911000003", "Ngô Phó Hiệu Trưởng", roles=[Role.VICE_PRINCIPAL])
    parent = guardian_account(st.world, guardian_link(st.students[0], "0911000004"))
    class_page = f"stats/classes/{st.a1.pk}/"
    for user in (st.world.principal_a, st.world.admin_a, vice.user, st.world.teacher_a):
        client.force_login(user)
        for page in [*PAGES, class_page]:
            assert client.get(f"/s/test-a/attendance/{page}").status_code == 200, (user, page)
    for user in (other_teacher.user, parent, st.world.staff_b):
        client.force_login(user)
        for page in [*PAGES, class_page]:
            assert client.get(f"/s/test-a/attendance/{page}").status_code == 404, (user, page)
    # a class of another year is not among the statistics
    client.force_login(st.world.principal_a)
    assert client.get("/s/test-a/attendance/stats/classes/999999/").status_code == 404


# --- query counts -------------------------------------------------------------------------------------------


def _fill_class(g, count):
    """6A1 with `count` students, each with a few marks in this month's first two days."""
    for n in range(len(g.students), count):
        g.students.append(student_enrol(f"HS{n}", g.a1, f"Học Sinh {n:02d}"))
    Enrolment.objects.update(starts_on=g.year.starts_on)
    RollCall.objects.all().delete()
    for day in (g.month, g.month + datetime.timedelta(days=1)):
        take(g.a1, day, "morning", {s: (P, K, LATE)[i % 3] for i, s in enumerate(g.students) if i % 2})
        take(g.a2, day, "morning", {g.outsider: K})


def test_query_counts_do_not_grow_with_students(client, st):
    client.force_login(st.world.principal_a)
    urls = [
        f"/s/test-a/attendance/stats/?day={st.month:%Y-%m-%d}",
        f"/s/test-a/attendance/stats/month/?month={st.month:%Y-%m}",
        f"/s/test-a/attendance/stats/classes/{st.a1.pk}/?month={st.month:%Y-%m}",
        "/s/test-a/attendance/stats/limit/",
    ]
    _fill_class(st, 10)
    page_queries(client, urls[0])  # the first request of a session warms the access middleware's caches
    small = [page_queries(client, url) for url in urls]
    _fill_class(st, 40)
    assert RollCall.objects.count() == 4 and AttendanceMark.objects.count() == 2 * (20 + 1)
    assert [page_queries(client, url) for url in urls] == small


# --- promotion sees the absences ----------------------------------------------------------------------------


SIX_SCORED = ("ngu-van", "ngoai-ngu-1", "lich-su-dia-li", "khoa-hoc-tu-nhien", "tin-hoc")


def _cells(student, texts):
    return [{"student_id": student.pk, "column": c, "text": t, "version": None} for c, t in texts.items()]


def _passing_year(g, students):
    """Toán and five more scored subjects 8 in both terms (Circular 22 counts six), Giáo dục thể chất Đạt,
    conduct Tốt: learning and conduct are enough to be promoted, the absences apart."""
    scored = [g.math] + [assignment_make(g.teacher, g.a1, code) for code in SIX_SCORED]
    for term in (g.term1, g.term2):
        for assignment in scored:
            count = AssessmentPlan.objects.get(
                year=g.year, grade=g.grade, subject=assignment.subject
            ).regular_count
            texts = {f"TX{n}": "8" for n in range(1, count + 1)} | {"GK": "8", "CK": "8"}
            cells = [cell for student in students for cell in _cells(student, texts)]
            assert not scores_save(
                actor_staff=g.teacher, assignment=assignment, term=term, cells=cells
            ).invalid
        texts = {"TX1": "Đ", "TX2": "Đ", "GK": "Đ", "CK": "Đ"}
        cells = [cell for student in students for cell in _cells(student, texts)]
        scores_save(actor_staff=g.teacher, assignment=g.pe, term=term, cells=cells)
        conduct_set(
            actor_staff=g.teacher, school_class=g.a1, term=term, ratings={s.pk: "T" for s in students}
        )


def test_promotion_counts_real_absences(st):
    an, binh, _ = st.students
    _passing_year(st, [an, binh])
    absent_sessions(st, st.a1, an, 46, mark=P)  # excused absences count too
    absent_sessions(st, st.a1, binh, 45)
    rows = {row.student: row for row in class_results(st.a1).rows}
    assert (rows[an].absences, rows[an].outcome) == (46, Outcome.NOT_PROMOTED.label)
    assert (rows[binh].absences, rows[binh].outcome) == (45, Outcome.PROMOTED.label)


def test_a_saved_roll_call_counts(st):
    """Through the roll call service (a manager correcting today), the marks are in the statistics."""
    an, binh, _ = st.students
    roll_call_save(
        actor_staff=st.principal, school_class=st.a1, day=st.today, session="morning",
        marks={an.pk: (K, ""), binh.pk: (LATE, "")},
    )  # fmt: skip
    assert stats.year_absences([an.pk, binh.pk], st.year) == {
        an.pk: stats.Absences(0, 1, 0), binh.pk: stats.Absences(0, 0, 1),
    }  # fmt: skip
    assert stats.day_overview(stats.visible_classes(st.principal), st.today).total.rate == "66,7%"


def test_managers_see_empty_states_before_the_year_has_classes(client, world):
    client.force_login(world.principal_a)
    day = client.get("/s/test-a/attendance/stats/")
    assert day.status_code == 200 and "Không có lớp nào có học sinh vào ngày này." in day.content.decode()
    month = client.get("/s/test-a/attendance/stats/month/").content.decode()
    assert "Năm học hiện tại chưa có lớp nào." in month
    limit = client.get("/s/test-a/attendance/stats/limit/").content.decode()
    assert "Chưa có học sinh nào nghỉ từ 35 buổi trở lên trong năm học." in limit
    client.force_login(world.teacher_a)  # not a homeroom teacher of any class: no statistics to see
    assert client.get("/s/test-a/attendance/stats/").status_code == 404
