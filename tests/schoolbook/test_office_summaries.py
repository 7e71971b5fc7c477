"""The education offices' summary of each school (schoolbook.office_summaries): each figure computed right in
the school's schema from what the real services wrote, the refresh writing its own school's row alone, the
change watch (any committed write to the figures' tables, one refresh per school however many), the nightly
fan-out skipping suspended schools, the command, and a refresh run by the real Celery worker."""

import datetime
import functools
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from attendance.leave.services import leave_request
from attendance.models import LeaveRequest, Mark, RollCall
from attendance.roll_call.services import roll_call_save
from grades.entry.services import scores_save
from grades.models import AssessmentPlan
from grades.primary.services import CHECKPOINT_TERM
from grades.rules.circular27 import Checkpoint
from notices.models import Audience, Category, Notice, NoticeRecipient
from notices.services import NoticeData, notice_mark_read, notice_save
from offices.models import SchoolSummary
from payments.models import Invoice
from schoolbook.office_summaries import (
    CHANGED_KEY,
    WATCHED_TABLES,
    changed_take,
    current_term,
    summary_compute,
    summary_refresh,
)
from schoolbook.ratelimit import redis_client
from schoolbook.tasks import (
    office_summaries_refresh_all,
    office_summaries_refresh_changed,
    office_summary_refresh,
)
from students.models import DayOff, Enrolment, Guardian, SchoolClass, SchoolYear, SubjectLoad, Term
from students.setup.services import day_off_add
from tenants.models import School
from tests.conftest import wait_for
from tests.factories import (
    account_make,
    fee_item_make,
    guardian_link,
    money_receive,
    round_invoice,
    round_make,
    student_enrol,
)
from tests.gradebook_world import cells_from, gradebook_world
from tests.grades.primary import test_primary_entry
from tests.grades.primary.test_primary_entry import _rate

pr = test_primary_entry.pr  # the primary entry tests' fixture, shared rather than copied

ADDITIVE = [
    "students", "classes", "roll_calls_due", "roll_calls_taken", "marked", "present", "grades_expected",
    "grades_entered", "notices_sent", "notice_recipients", "notice_reached", "leave_pending", "leave_recent",
]  # fmt: skip


def grown(before: dict, after: dict) -> dict:
    """What each additive figure grew by (committed data of other tests may be in the school already)."""
    return {name: after[name] - before[name] for name in ADDITIVE}


@pytest.fixture
def sw(world):
    """School A's figures before, then 6A1 (homeroom Vũ Giáo Viên, who teaches it Toán and Giáo dục thể
    chất) with three students and 6A2 with one, enrolled since a week ago."""
    before = summary_compute(school=world.school_a)
    with schema_context(world.school_a.schema_name):
        g = gradebook_world(
            world,
            students=["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"],
            outsider="Phạm Dũng",
            homeroom="teacher",
        )
        g.before = before
        g.today = timezone.localdate()
        g.term = current_term(list(g.year.terms.all()), g.today)
        yield g


def test_the_figures_of_a_school_from_what_its_services_wrote(sw, world):
    g = sw
    an, binh, cuong = g.students
    # Today's morning roll call of 6A1: An absent without leave, Bình late (present); 6A2 has none yet.
    roll_call_save(
        actor_staff=g.teacher,
        school_class=g.a1,
        day=g.today,
        session="morning",
        marks={an.pk: (Mark.ABSENT_UNEXCUSED, ""), binh.pk: (Mark.LATE, "")},
    )
    # Two Toán cells of the term, and one cleared cell (kept as a row, not entered).
    scores_save(
        actor_staff=g.teacher,
        assignment=g.math,
        term=g.term,
        cells=cells_from([(an, "TX1", "8", None), (binh, "TX1", "7,5", None), (cuong, "GK", "", None)]),
    )
    # A notice to the staff, published at once by the principal and opened by one of them; one of 40 days
    # ago, outside the window.
    notice = notice_save(
        actor_staff=g.principal,
        submit=True,
        data=NoticeData(
            title="Họp hội đồng", body="Chiều thứ Sáu.", category=Category.GENERAL, audience=Audience.STAFF
        ),
    )
    assert notice.status == "published"
    notice_mark_read(notice, staff=g.teacher)
    old = notice_save(
        actor_staff=g.principal,
        submit=True,
        data=NoticeData(title="Cũ", body="Cũ.", category=Category.GENERAL, audience=Audience.STAFF),
    )
    Notice.objects.filter(pk=old.pk).update(published_at=timezone.now() - datetime.timedelta(days=40))
    # A leave request for Cường today (waiting), and one decided long ago.
    mother = guardian_link(cuong, "0912300001", full_name="Lê Thị Mẹ")
    mother_user = User.objects.create_user(mother.phone, full_name=mother.full_name)
    leave_request(
        actor=mother_user,
        guardian=mother,
        student=cuong,
        start_date=g.today,
        end_date=g.today,
        sessions="all_day",
        reason="Ốm",
    )
    LeaveRequest.objects.create(
        student=an,
        requested_by=mother_user,
        start_date=g.today - datetime.timedelta(days=50),
        end_date=g.today - datetime.timedelta(days=50),
        reason="Việc gia đình",
        status=LeaveRequest.Status.APPROVED,
    )
    LeaveRequest.objects.filter(reason="Việc gia đình").update(
        created_at=timezone.now() - datetime.timedelta(days=50)
    )

    with CaptureQueriesContext(connection) as queries:
        after = summary_compute(school=world.school_a)
    assert len(queries) <= 9  # whatever the size of the school

    # Toán has 3 students × (TX count + 2) cells, Giáo dục thể chất too; 6A2 is taught nothing yet.
    plans = {p.subject_id: p.regular_count for p in AssessmentPlan.objects.filter(year=g.year, grade=g.grade)}
    expected = 3 * (plans[g.toan.pk] + 2) + 3 * (plans[g.gdtc.pk] + 2)
    recipients = NoticeRecipient.objects.filter(notice=notice).count()
    assert recipients >= 3  # the admin, the principal and the teacher at least
    assert grown(g.before, after) == {
        "students": 4, "classes": 2, "roll_calls_due": 2, "roll_calls_taken": 1, "marked": 3, "present": 2,
        "grades_expected": expected, "grades_entered": 2, "notices_sent": 1, "notice_recipients": recipients,
        "notice_reached": 1, "leave_pending": 1, "leave_recent": 1,
    }  # fmt: skip
    assert after["day"] == g.today

    # Fees: none billed yet, then a round billed and one invoice paid through the bank feed.
    assert (after["fees_due"], after["fees_paid"]) == (g.before["fees_due"], g.before["fees_paid"])
    account_make()
    round_invoice(g.admin.user, round_make(g.admin, [fee_item_make("Tiền ăn", 300_000)]))
    invoice = Invoice.objects.filter(student=an).get()
    money_receive(invoice.total, f"Nop tien {invoice.code}")
    fees = summary_compute(school=world.school_a)
    billed = Invoice.objects.exclude(state="cancelled").filter(round__year=g.year)
    assert fees["fees_due"] == sum(i.total for i in billed) >= 4 * 300_000
    assert fees["fees_paid"] == sum(i.paid for i in billed) >= 300_000


def test_primary_grade_entry_counts_the_ratings_of_the_terms_checkpoints(pr, world):
    """School A with the primary catalogue (the primary entry tests' `pr`: 4A with three pupils, 3A with
    one), read as a school teaching primary too: the primary part is the difference with the school read
    as lower secondary only."""
    both = School.objects.get(pk=world.school_a.pk)
    both.levels = [*both.levels, "primary"]  # in memory: what the figures go by

    def primary_part():
        with_primary, secondary = summary_compute(school=both), summary_compute(school=world.school_a)
        return [with_primary[name] - secondary[name] for name in ("grades_expected", "grades_entered")]

    def rated(grade):
        return SubjectLoad.objects.filter(
            grade=grade, subject__is_active=True, subject__assessment="primary_rating"
        ).count()

    pupils = 3 * rated(pr.c4.grade) + rated(pr.c3.grade)  # pupil × subject, at each of the term's two
    assert primary_part() == [2 * pupils, 0]
    term = current_term(list(pr.year.terms.all()), timezone.localdate())
    mid, end = [c for c in Checkpoint if CHECKPOINT_TERM[c] == term.number]
    other = next(c for c in Checkpoint if CHECKPOINT_TERM[c] != term.number)
    first, second, _third = pr.students
    _rate(pr, [(first, "rating", "T", None), (second, "rating", "H", None)], checkpoint=mid)
    _rate(pr, [(first, "rating", "T", None)], assignment=pr.viet, checkpoint=end)
    _rate(pr, [(first, "rating", "T", None)], assignment=pr.ethics, checkpoint=other)  # another term's
    assert primary_part() == [2 * pupils, 3]


def _a_monday(g) -> datetime.date:
    """A Monday inside the year, its classes' students enrolled since the year began."""
    monday = max(g.year.starts_on, g.today - datetime.timedelta(days=30))
    Enrolment.objects.filter(school_class__in=[g.a1, g.a2]).update(starts_on=g.year.starts_on)
    return monday + datetime.timedelta(days=7 - monday.weekday())


def _due(school, day) -> tuple[int, int]:
    """(roll calls due, roll calls taken) of `school`'s row computed at 9:00 on `day`."""
    figures = summary_compute(
        school=school, now=timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    )
    return figures["roll_calls_due"], figures["roll_calls_taken"]


def test_a_school_day_is_a_weekday_of_the_year_or_a_day_with_a_roll_call(sw, world):
    g = sw
    monday = _a_monday(g)
    sunday = monday + datetime.timedelta(days=6)
    due = functools.partial(_due, world.school_a)
    on_monday = due(monday)[0]
    assert on_monday >= 2  # 6A1 and 6A2 at least
    assert due(sunday) == (0, 0)
    RollCall.objects.create(school_class=g.a1, date=sunday, session="morning")  # a Sunday with classes
    assert due(sunday) == (on_monday, 1)
    assert due(g.year.ends_on + datetime.timedelta(days=1)) == (0, 0)


def test_on_a_day_off_no_roll_call_is_due_unless_one_was_taken(sw, world):
    g = sw
    monday = _a_monday(g)
    tuesday = monday + datetime.timedelta(days=1)
    RollCall.objects.filter(date__in=[monday, tuesday]).delete()
    due = functools.partial(_due, world.school_a)
    classes = due(monday)[0]
    assert classes >= 2
    day_off_add(actor=world.admin_a, year=g.year, name="Nghỉ lễ", first_day=monday, last_day=tuesday)
    assert due(monday) == (0, 0)  # not 0 % taken: nothing was due
    assert due(monday + datetime.timedelta(days=2)) == (classes, 0)  # the day after it is a school day
    # a class that takes a roll call anyway (a make-up day) makes every class due again
    RollCall.objects.create(school_class=g.a1, date=tuesday, session="morning")
    assert due(tuesday) == (classes, 1)
    assert DayOff._meta.db_table in WATCHED_TABLES  # adding or removing a day off refreshes the row


def test_the_current_term_is_the_one_containing_today_else_the_latest_begun():
    year = SchoolYear(starts_on=datetime.date(2026, 9, 5), ends_on=datetime.date(2027, 5, 31))
    one = Term(year=year, number=1, starts_on=datetime.date(2026, 9, 5), ends_on=datetime.date(2027, 1, 15))
    two = Term(year=year, number=2, starts_on=datetime.date(2027, 1, 20), ends_on=datetime.date(2027, 5, 31))
    assert current_term([two, one], datetime.date(2026, 10, 1)) is one
    assert current_term([two, one], datetime.date(2027, 1, 17)) is one  # between the terms
    assert current_term([two, one], datetime.date(2027, 7, 1)) is two  # the summer
    assert current_term([two, one], datetime.date(2026, 8, 1)) is one  # before the year
    assert current_term([], datetime.date(2026, 8, 1)) is None


def test_the_refresh_writes_its_own_school_row_alone(sw, world):
    a, b = world.school_a, world.school_b
    b_before = SchoolSummary.objects.filter(school=b).values_list("refreshed_at", flat=True).first()
    b_figures = summary_compute(school=b)
    summary = summary_refresh(school=a)
    row = SchoolSummary.objects.get(school=a)
    assert row.refreshed_at == summary.refreshed_at and row.students == sw.before["students"] + 4
    assert SchoolSummary.objects.filter(school=b).values_list("refreshed_at", flat=True).first() == b_before
    assert summary_compute(school=b) == b_figures  # school A's new classes and students are not B's
    # A second refresh updates the row in place.
    student_enrol("OS-NEW", sw.a2, "Đỗ Mới")
    summary_refresh(school=a)
    assert SchoolSummary.objects.filter(school=a).count() == 1
    assert SchoolSummary.objects.get(school=a).students == sw.before["students"] + 5


def test_committed_changes_mark_their_school_once_and_give_one_refresh(
    sw, world, django_capture_on_commit_callbacks
):
    g = sw
    redis = redis_client()
    with django_capture_on_commit_callbacks(execute=True):
        Guardian.objects.create(full_name="Không liên quan", phone="+84912300009")  # not a figure's table
    assert redis.zcard(CHANGED_KEY) == 0
    # A burst: fifty roll-call saves and score saves, each its own transaction, in school A.
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(25):
            with transaction.atomic():
                roll_call_save(
                    actor_staff=g.teacher,
                    school_class=g.a1,
                    day=g.today,
                    session="morning",
                    marks={g.students[0].pk: (Mark.LATE if n % 2 else Mark.ABSENT_UNEXCUSED, "")},
                    version=None if n == 0 else RollCall.objects.get(school_class=g.a1).version,
                )
            with transaction.atomic():
                scores_save(
                    actor_staff=g.teacher,
                    assignment=g.math,
                    term=g.term,
                    cells=cells_from([(g.students[1], "TX1", str(n % 10), None if n == 0 else n)]),
                )
    # A write rolled back marks nothing.
    with (
        django_capture_on_commit_callbacks(execute=True),
        schema_context(world.school_b.schema_name),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        SchoolClass.objects.create(
            name="9Z", grade_id=_grade_six(), year=SchoolYear.objects.get(is_current=True)
        )
        raise RuntimeError("rolled back")
    # School A once, whatever the number of changes: one refresh. Taken, the set is empty until the next.
    assert changed_take() == [world.school_a.schema_name]
    assert changed_take() == []


def test_a_refresh_task_for_a_suspended_school_does_nothing(world):
    School.objects.filter(pk=world.school_b.pk).update(is_active=False)
    assert office_summary_refresh(world.school_b.pk) is False
    assert not SchoolSummary.objects.filter(school=world.school_b).exists()
    assert office_summary_refresh(world.school_a.pk) is True
    assert SchoolSummary.objects.get(school=world.school_a).day == timezone.localdate()


def test_the_command_refreshes_every_active_school_or_those_named(world):
    out = io.StringIO()
    call_command("refresh_office_summaries", stdout=out)
    active = School.objects.filter(is_active=True).count()
    assert f"{active} summaries refreshed, 0 failed" in out.getvalue()
    assert SchoolSummary.objects.filter(school__is_active=True).count() == active
    call_command("refresh_office_summaries", "test-b", stdout=out)
    assert "1 summaries refreshed" in out.getvalue()
    with pytest.raises(CommandError, match="no-such-school"):
        call_command("refresh_office_summaries", "no-such-school", stdout=out)


def test_the_worker_refreshes_changed_schools_and_nightly_every_active_one(celery_worker, django_db_blocker):
    """End to end on committed data, with the tasks as beat sends them: a new class and student in school
    B (a committed write the watch sees), then the per-minute task: the worker refreshes B's row alone. Then
    B suspended, the nightly fan-out: every active school's row but B's."""
    with django_db_blocker.unblock():
        a, b = School.objects.get(code="test-a"), School.objects.get(code="test-b")
        started = timezone.now()
        with schema_context(b.schema_name):
            year = SchoolYear.objects.get(is_current=True)
            school_class = SchoolClass.objects.create(name="6W9", grade_id=_grade_six(), year=year)
            student = student_enrol("OS-WORKER", school_class, "Ngô Thợ Chạy")
        try:
            assert redis_client().zscore(CHANGED_KEY, b.schema_name) is not None
            office_summaries_refresh_changed.delay()
            row = wait_for(
                lambda: SchoolSummary.objects.filter(school=b, refreshed_at__gte=started).first(), timeout=30
            )
            expected = summary_compute(school=b)
            assert (row.students, row.classes, row.day) == (
                expected["students"],
                expected["classes"],
                expected["day"],
            )
            assert not SchoolSummary.objects.filter(school=a, refreshed_at__gte=started).exists()

            School.objects.filter(pk=b.pk).update(is_active=False)
            nightly = timezone.now()
            office_summaries_refresh_all.delay()
            active = School.objects.filter(is_active=True)
            wait_for(
                lambda: (
                    SchoolSummary.objects.filter(school__in=active, refreshed_at__gte=nightly).count()
                    == active.count()
                ),
                timeout=60,
            )
            assert SchoolSummary.objects.get(school=b).refreshed_at == row.refreshed_at
        finally:
            School.objects.filter(pk=b.pk).update(is_active=True)
            with schema_context(b.schema_name):
                Enrolment.objects.filter(student=student).delete()
                student.delete()
                school_class.delete()
            SchoolSummary.objects.all().delete()
            redis_client().delete(CHANGED_KEY)


def _grade_six() -> int:
    from students.models import GradeLevel

    return GradeLevel.objects.get(number=6).pk
