"""Each school's figures for the education offices (offices.SchoolSummary): computed inside the school's
schema by a task, written to its one row in public, which is all the offices' pages read.

The figures, as computed here (today is the school's date, Asia/Ho_Chi_Minh; the school year is the current
one; a class is one of its classes not archived):

- `students`: students enrolled today in the year's classes; `classes`: those classes with a student today.
- Today's roll call (attendance.stats' counting rule: session roll calls, period 0, only):
  `roll_calls_due`: the classes with students today, on a school day. A school day is Monday to Friday
  inside the school year that none of the school's days off covers (students.models.DayOff: holidays, Tết,
  breaks, which the school sets on its year's pages), or any day on which the school took a roll call
  (Saturday classes, a make-up day on a day off): then every class with students is due again.
  `roll_calls_taken`: those classes with at least one session roll call today (morning or afternoon).
  `marked`: the student-sessions of today's session roll calls (the students enrolled in the class on the
  day, per roll call); `present`: of those, not marked P or K (late counts as present). The day's
  attendance rate is present / marked, as on the school's statistics pages.
- Grade entry in the current term (the current year's term containing today, else the latest begun, else
  the first): secondary classes (Circular 22) as the principal's dashboard counts its progress:
  `grades_expected` = Σ over every subject taught in a class that has an assessment plan of the students
  enrolled today × (TX count + 2), `grades_entered` = their cells filled (a mark or a rating) in the term;
  plus primary classes (Circular 27): students × their grade's active rated subjects × the term's two
  checkpoints (mid and end of term), against the subject ratings given.
- Notices of the last 30 days: `notices_sent` (published), `notice_recipients` (their recipient rows: the
  guardians and staff addressed), `notice_reached` (recipients who opened the notice: its read receipt).
  A message delivered by SMS but never opened in the app is not counted as reached: the read receipt is
  the one per-person fact the notice keeps (delivery reports are per message, in messaging).
- `leave_pending`: leave requests still to decide (teacher's or principal's); `leave_recent`: requests
  made in the last 30 days, whatever became of them.
- `fees_due` / `fees_paid`: the sums of the current year's invoices not cancelled (total, paid), as the
  accountant's dashboard adds them; None when the school has no invoice this year (it collects no fees
  here).

A refresh is a handful of aggregate queries in the school's schema (none per student or per class) and one
upsert in public. It runs nightly for every active school, and after a change: `changes_watch` sees every
committed INSERT, UPDATE or DELETE on the tables the figures come from (whatever wrote it: a page, a bulk
write, a webhook, a task) and adds the school's schema to a Redis set; every minute `changed_take` empties
the set and a refresh is sent per school, so a burst of 500 marks gives one refresh."""

import datetime
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, tenant_context

from attendance.models import LEAVE_WAITING, AttendanceMark, LeaveRequest, RollCall
from attendance.stats.selectors import Slot, day_overview
from grades.dashboard import primary as primary_dashboard
from grades.dashboard.selectors import Period, entry_totals
from grades.models import AssessmentPlan, PrimaryRating, Score
from grades.primary.services import CHECKPOINT_TERM
from grades.rules.circular27 import Checkpoint
from notices.models import Notice, NoticeRecipient, Status
from offices.models import SchoolSummary
from payments.dashboard.selectors import LIVE
from payments.models import Invoice
from schoolbook.ratelimit import redis_client
from students.models import (
    DayOff,
    Enrolment,
    SchoolClass,
    SchoolYear,
    SubjectLoad,
    TeachingAssignment,
    Term,
)
from tenants.models import Level, School

logger = logging.getLogger(__name__)

RECENT_DAYS = 30  # notices and leave requests counted over the last 30 days
SECONDARY = {Level.LOWER_SECONDARY, Level.UPPER_SECONDARY}


# --- the figures -------------------------------------------------------------------------------------------


def current_term(terms: list[Term], today: datetime.date) -> Term | None:
    """The term containing `today`, else the latest begun by then (the summer after term II), else the
    first (before the year starts); None for a year without terms."""
    ordered = sorted(terms, key=lambda term: term.number)
    begun = [term for term in ordered if term.starts_on <= today]
    if begun:
        return begun[-1]  # the one containing today, or the last one over
    return ordered[0] if ordered else None


def _is_school_day(year: SchoolYear | None, today: datetime.date, day_off: bool, any_taken: bool) -> bool:
    if year is None or not year.starts_on <= today <= year.ends_on:
        return False
    return any_taken or (today.weekday() < 5 and not day_off)


def _roll_call_figures(year: SchoolYear | None, today: datetime.date) -> dict:
    classes = SchoolClass.objects.filter(year__is_current=True, archived_at__isnull=True)
    overview = day_overview(classes, today)
    rows = [row for row in overview.rows if row.enrolled]
    taken = [row for row in rows if any(row.slots.values())]
    school_day = _is_school_day(year, today, overview.day_off is not None, bool(taken))
    total = sum((row.total for row in rows), Slot())
    return {
        "students": sum(row.enrolled for row in rows),
        "classes": len(rows),
        "roll_calls_due": len(rows) if school_day else 0,
        "roll_calls_taken": len(taken),
        "marked": total.student_sessions,
        "present": total.present,
    }


def _grade_figures(school: School, year: SchoolYear | None, terms: list[Term], today) -> dict:
    term = current_term(terms, today)
    expected = entered = 0
    if year is not None and term is not None:
        if SECONDARY & set(school.levels):
            expected, entered = entry_totals(Period(year, term, tuple(terms)))
        if Level.PRIMARY in school.levels:
            checkpoints = [c for c in Checkpoint if CHECKPOINT_TERM[c] == term.number]
            rated, given = primary_dashboard.entry_totals(year, checkpoints)
            expected, entered = expected + rated, entered + given
    return {"grades_expected": expected, "grades_entered": entered}


def _notice_figures(since: datetime.datetime) -> dict:
    return Notice.objects.filter(status=Status.PUBLISHED, published_at__gte=since).aggregate(
        notices_sent=Count("pk", distinct=True),
        notice_recipients=Count("recipients"),
        notice_reached=Count("recipients", filter=Q(recipients__read_at__isnull=False)),
    )


def _leave_figures(since: datetime.datetime) -> dict:
    return LeaveRequest.objects.aggregate(
        leave_pending=Count("pk", filter=Q(status__in=LEAVE_WAITING)),
        leave_recent=Count("pk", filter=Q(created_at__gte=since)),
    )


def _fee_figures(year: SchoolYear | None) -> dict:
    if year is None:
        return {"fees_due": None, "fees_paid": None}
    sums = Invoice.objects.filter(LIVE, round__year=year).aggregate(
        invoices=Count("pk"), fees_due=Sum("total"), fees_paid=Sum("paid")
    )
    if not sums.pop("invoices"):
        return {"fees_due": None, "fees_paid": None}
    return sums


def summary_compute(*, school: School, now: datetime.datetime | None = None) -> dict:
    """The school's figures (the module's docstring defines each) as of `now` (default: now), read in its
    own schema: nine queries at most, whatever its size. Returns SchoolSummary's fields but `school` and
    `refreshed_at`."""
    with tenant_context(school):
        now = now or timezone.now()
        today = timezone.localdate(now)
        since = now - datetime.timedelta(days=RECENT_DAYS)
        terms = list(Term.objects.filter(year__is_current=True).select_related("year"))
        year = terms[0].year if terms else SchoolYear.objects.filter(is_current=True).first()
        return {
            "day": today,
            **_roll_call_figures(year, today),
            **_grade_figures(school, year, terms, today),
            **_notice_figures(since),
            **_leave_figures(since),
            **_fee_figures(year),
        }


SUMMARY_FIELDS = [f.name for f in SchoolSummary._meta.concrete_fields if not f.primary_key]


def summary_refresh(*, school: School) -> SchoolSummary:
    """Compute the school's figures in its schema, then write its row in public (one upsert). The time
    recorded is the start of the computation: a change committed after it may be missing, never the
    reverse."""
    started = timezone.now()
    figures = summary_compute(school=school)
    summary = SchoolSummary(school=school, refreshed_at=started, **figures)
    SchoolSummary.objects.bulk_create(
        [summary], update_conflicts=True, unique_fields=["school"], update_fields=SUMMARY_FIELDS
    )
    return summary


def summaries_refresh(schools: list[School], *, jobs: int = 1) -> list[tuple[School, Exception]]:
    """Refresh `schools` in this process, `jobs` at a time (threads, each on its own connection: the
    queries wait on PostgreSQL, which a second connection runs on a second core), for the first fill and
    the command. A school's failure is logged and returned, never stops the others."""
    failed: list[tuple[School, Exception]] = []

    def refresh(share: list[School]) -> None:
        for school in share:
            try:
                summary_refresh(school=school)
            except Exception as error:  # reported with its school; the others go on
                logger.exception("office summary of %s failed", school.code)
                failed.append((school, error))

    jobs = max(1, min(jobs, len(schools)))
    if jobs == 1:
        refresh(schools)
        return failed

    def refresh_and_close(share: list[School]) -> None:
        try:
            refresh(share)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done in [pool.submit(refresh_and_close, schools[n::jobs]) for n in range(jobs)]:
            done.result()
    return failed


# --- refreshed on change -----------------------------------------------------------------------------------

# The tables the figures are read from: a committed write to one of them makes the school's row stale.
WATCHED_TABLES = frozenset(
    model._meta.db_table
    for model in (
        RollCall, AttendanceMark, LeaveRequest, Score, PrimaryRating, AssessmentPlan, Notice, NoticeRecipient,
        Invoice, Enrolment, SchoolClass, SchoolYear, Term, DayOff, TeachingAssignment, SubjectLoad,
    )
)  # fmt: skip
# Django's statements and schoolbook.bulk's alike: INSERT INTO "t" / UPDATE "t" / DELETE FROM "t".
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
CHANGED_KEY = "offices:summaries:changed"  # Redis sorted set: schema → when it first changed since taken


def _changed(schema_name: str) -> None:
    # NX: a burst keeps the time of its first change; the set holds each school once.
    redis_client().zadd(CHANGED_KEY, {schema_name: time.time()}, nx=True)


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if isinstance(sql, str):
        write = _WRITE.match(sql)
        if write and write.group(1) in WATCHED_TABLES:
            db = context["connection"]
            schema_name = getattr(db, "schema_name", None)
            if schema_name and schema_name != get_public_schema_name():
                # Once committed (at once in autocommit); a rolled-back write changes nothing. Robust: a
                # Redis outage costs the refresh (the nightly one catches up), never the commit.
                db.on_commit(partial(_changed, schema_name), robust=True)
    return result


def changes_watch(sender=None, connection=connection, **kwargs) -> None:
    """Receiver of `connection_created`: watch the new connection's writes (first in its wrappers, so that
    a temporary `execute_wrapper` pushed and popped around it stays last)."""
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _watch)


def changed_take() -> list[str]:
    """The schemas changed since the last call, taken out of the set atomically (a change committed after
    this is added again, for the next call)."""
    now = time.time()
    pipe = redis_client().pipeline(transaction=True)
    pipe.zrangebyscore(CHANGED_KEY, "-inf", now)
    pipe.zremrangebyscore(CHANGED_KEY, "-inf", now)
    names, _removed = pipe.execute()
    return [name.decode() if isinstance(name, bytes) else name for name in names]
