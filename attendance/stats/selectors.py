"""Reads of attendance statistics: per class and month, per day, per month, the students approaching Circular
22's limit of absences, and the managers' tiles.

The counting rule (docs/attendance-export.md repeats it):
- an absence is a P (excused) or K (unexcused) mark in a *session* roll call (period 0): the sessions (buổi)
  of the regulations. Period roll calls (period 1–10) add detail for subject teachers and count for nothing
  here, or a student missing three lessons of one morning would count three times;
- late ("đi muộn") is shown and totalled, but the student was at school: it is not an absence;
- Circular 22 (attendance.rules): more than 45 sessions in a school year, excused and unexcused together,
  and the student is not promoted. Counting starts `WARN_FROM` sessions before that, so the homeroom teacher
  and the family can act while it still matters;
- a rate is the share of student-sessions present (late counts as present) among the students enrolled in
  the class on the day of each session roll call taken; a session without a roll call is not guessed.

Every figure is aggregated in PostgreSQL (COUNT … FILTER, GROUP BY) and every page takes a fixed number of
queries, whatever the number of students or classes."""

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from attendance.models import (
    ABSENCES,
    LEAVE_WAITING,
    AttendanceMark,
    AttendanceSettings,
    LeaveRequest,
    Mark,
    RollCall,
    Session,
)
from attendance.rules import LIMIT, NEAR, OK, OVER, WARN_FROM, absence_level
from schoolbook.text import decimal_percent
from students.models import DayOff, Enrolment, SchoolClass, SchoolYear, StaffMember, Student
from students.permissions import is_manager
from students.selectors import days_off_between, is_day_off

# What the pages say of each level of attendance.rules.absence_level.
LEVEL_LABELS = {OK: "", NEAR: _("Sắp đến giới hạn"), OVER: _("Vượt giới hạn")}

# The one-letter codes of the month grid and of the export ("M" for muộn: "late" would not fit a cell).
MARK_CODES = {Mark.ABSENT_EXCUSED: "P", Mark.ABSENT_UNEXCUSED: "K", Mark.LATE: "M"}
SESSIONS = [Session.MORNING.value, Session.AFTERNOON.value]


def percent(part: int, whole: int) -> str:
    """97.46… → "97,5%" (Vietnamese decimal comma); "" when there is nothing to divide."""
    return decimal_percent(100 * part / whole) if whole else ""


@dataclass(frozen=True)
class Absences:
    """One student's (or one group's) marks of session roll calls over some period."""

    excused: int = 0
    unexcused: int = 0
    late: int = 0

    @property
    def total(self) -> int:
        return self.excused + self.unexcused

    @property
    def level(self) -> str:
        return absence_level(self.total)

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    def __add__(self, other: "Absences") -> "Absences":
        return Absences(
            self.excused + other.excused, self.unexcused + other.unexcused, self.late + other.late
        )


NONE = Absences()


def _mark_counts(prefix: str = "") -> dict:
    """COUNT … FILTER of each kind of mark, over the marks reached through `prefix` ("" or "marks__")."""
    return {
        name: Count(prefix + "pk", filter=Q(**{prefix + "mark": mark}))
        for name, mark in (
            ("excused", Mark.ABSENT_EXCUSED),
            ("unexcused", Mark.ABSENT_UNEXCUSED),
            ("late", Mark.LATE),
        )
    }


def session_marks() -> QuerySet:
    """The marks that count: those of session roll calls (see the module's docstring)."""
    return AttendanceMark.objects.filter(roll_call__period=0)


def student_absences(
    student_ids: Iterable[int], start: datetime.date, end: datetime.date
) -> dict[int, Absences]:
    """{student id: Absences} from `start` to `end` included, for the students who have any mark (one
    query); a student without a mark is absent from the dict (use `NONE`)."""
    rows = (
        session_marks()
        .filter(student_id__in=list(student_ids), roll_call__date__range=(start, end))
        .values("student_id")
        .annotate(**_mark_counts())
        .values_list("student_id", "excused", "unexcused", "late")
    )
    return {sid: Absences(excused, unexcused, late) for sid, excused, unexcused, late in rows}


def year_absences(student_ids: Iterable[int], year: SchoolYear) -> dict[int, Absences]:
    """The students' absences in the school year (what promotion is decided on)."""
    return student_absences(student_ids, year.starts_on, year.ends_on)


# --- who sees what ----------------------------------------------------------------------------------------


def current_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(is_current=True).first()


def visible_classes(staff: StaffMember | None) -> QuerySet:
    """The current year's classes whose statistics `staff` may see: every class for managers, their own
    classes for homeroom teachers, none for anyone else (the views answer 404 then)."""
    classes = SchoolClass.objects.filter(year__is_current=True)
    if is_manager(staff):
        return classes
    if staff is None:
        return classes.none()
    return classes.filter(homeroom_teacher=staff)


def class_order(classes: QuerySet) -> QuerySet:
    # 6A2 before 6A10: by grade, then by the length of the name, then by the name.
    return classes.order_by("grade__number", Length("name"), "name")


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def _enrolled_overlapping(start, end) -> Q:
    return Q(starts_on__lte=end) & (Q(ends_on__isnull=True) | Q(ends_on__gte=start))


# --- per class and month ----------------------------------------------------------------------------------


@dataclass
class GridCell:
    marks: list[tuple[str, str]]  # (session label, mark code) of each session roll call taken that day

    @property
    def text(self) -> str:
        codes = [code for _label, code in self.marks]
        return "/".join(code or "·" for code in codes) if any(codes) else ""

    @property
    def title(self) -> str:
        return "; ".join(f"{label}: {code}" for label, code in self.marks if code)


@dataclass
class GridRow:
    student: Student
    cells: list[GridCell]
    month: Absences
    year: Absences


@dataclass
class GridDay:
    date: datetime.date
    sessions: list[str]  # the sessions with a roll call that day, in order
    day_off: DayOff | None = None  # the school's day off covering it

    @property
    def weekend(self) -> bool:
        return self.date.weekday() >= 5


@dataclass
class ClassMonth:
    school_class: SchoolClass
    first: datetime.date
    last: datetime.date
    days: list[GridDay]
    rows: list[GridRow]
    roll_calls: int  # session roll calls taken in the month

    @property
    def totals(self) -> Absences:
        return sum((row.month for row in self.rows), NONE)


def class_month(school_class: SchoolClass, month: datetime.date) -> ClassMonth:
    """Students (enrolled at some time in the month) × days, with their marks and their month and year
    totals, and the school's days off. Five queries: the students, the roll calls, the marks, the year's
    absences, the days off."""
    first, last = month_bounds(month)
    enrolled = Enrolment.objects.filter(
        _enrolled_overlapping(first, last), student=OuterRef("pk"), school_class=school_class
    )
    students = list(Student.objects.filter(Exists(enrolled)).order_by("sort_key", "student_code"))
    taken: dict[datetime.date, list[str]] = {}
    for day, session in RollCall.objects.filter(
        school_class=school_class, period=0, date__range=(first, last)
    ).values_list("date", "session"):
        taken.setdefault(day, []).append(session)
    marks = {
        (sid, day, session): mark
        for sid, day, session, mark in session_marks()
        .filter(roll_call__school_class=school_class, roll_call__date__range=(first, last))
        .values_list("student_id", "roll_call__date", "roll_call__session", "mark")
    }
    year = school_class.year
    in_year = year_absences([s.pk for s in students], year) if students else {}
    labels = dict(Session.choices)
    off = days_off_between(first, last)
    days = [
        GridDay(day, [s for s in SESSIONS if s in taken.get(day, ())], off.get(day))
        for day in (first + datetime.timedelta(days=n) for n in range((last - first).days + 1))
    ]
    rows = []
    for student in students:
        cells, counts = [], {mark: 0 for mark in MARK_CODES}
        for day in days:
            cell = []
            for session in day.sessions:
                mark = marks.get((student.pk, day.date, session))
                if mark:
                    counts[mark] += 1
                cell.append((str(labels[session]), MARK_CODES[mark] if mark else ""))
            cells.append(GridCell(cell))
        month_absences = Absences(
            counts[Mark.ABSENT_EXCUSED], counts[Mark.ABSENT_UNEXCUSED], counts[Mark.LATE]
        )
        rows.append(GridRow(student, cells, month_absences, in_year.get(student.pk, NONE)))
    return ClassMonth(school_class, first, last, days, rows, sum(len(d.sessions) for d in days))


# --- per roll call, aggregated per day or per month ---------------------------------------------------------


def _enrolled_at_roll_call() -> Coalesce:
    """The number of students enrolled in the roll call's class on its day (a correlated COUNT)."""
    enrolments = (
        Enrolment.objects.filter(school_class=OuterRef("school_class"), starts_on__lte=OuterRef("date"))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=OuterRef("date")))
        .order_by()
        .values("school_class")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(enrolments, output_field=IntegerField()), Value(0))


@dataclass
class Slot:
    """One class's figures over one or more session roll calls."""

    roll_calls: int = 0
    student_sessions: int = 0  # Σ students enrolled on the day of each roll call
    absences: Absences = NONE

    @property
    def present(self) -> int:
        return self.student_sessions - self.absences.total

    @property
    def rate(self) -> str:
        return percent(self.present, self.student_sessions)

    def __add__(self, other: "Slot") -> "Slot":
        return Slot(
            self.roll_calls + other.roll_calls,
            self.student_sessions + other.student_sessions,
            self.absences + other.absences,
        )


def roll_call_slots(
    classes: QuerySet, start: datetime.date, end: datetime.date
) -> Iterator[tuple[int, datetime.date, str, Slot]]:
    """(class id, day, session, Slot) of every session roll call of `classes` from `start` to `end`: one
    query, its marks counted by GROUP BY and its enrolment by a correlated count."""
    rows = (
        RollCall.objects.filter(school_class__in=classes, period=0, date__range=(start, end))
        .annotate(enrolled=_enrolled_at_roll_call(), **_mark_counts("marks__"))
        .values_list("school_class_id", "date", "session", "enrolled", "excused", "unexcused", "late")
        .order_by()
    )
    for class_id, day, session, enrolled, excused, unexcused, late in rows:
        yield class_id, day, session, Slot(1, enrolled, Absences(excused, unexcused, late))


@dataclass
class DayRow:
    school_class: SchoolClass
    enrolled: int  # students enrolled that day
    slots: dict[str, Slot | None]  # session → its roll call's figures, None: not taken

    @property
    def sessions(self) -> list[tuple[str, Slot | None]]:
        return [(session, self.slots[session]) for session in SESSIONS]

    @property
    def total(self) -> Slot:
        return sum((slot for slot in self.slots.values() if slot), Slot())


@dataclass
class DayOverview:
    day: datetime.date
    rows: list[DayRow] = field(default_factory=list)
    day_off: DayOff | None = None  # the school's day off covering `day`, if any

    @property
    def total(self) -> Slot:
        return sum((row.total for row in self.rows), Slot())

    def missing(self, session: str) -> list[SchoolClass]:
        """The classes (with students that day) that have no roll call for `session` yet; none on a day off
        (a roll call taken anyway, a make-up day, still counts in the figures)."""
        if self.day_off is not None:
            return []
        return [row.school_class for row in self.rows if row.enrolled and row.slots[session] is None]


def _classes_enrolled_on(classes: QuerySet, day: datetime.date) -> list[SchoolClass]:
    enrolled = (
        Enrolment.objects.filter(school_class=OuterRef("pk"), starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .order_by()
        .values("school_class")
        .annotate(n=Count("pk"))
        .values("n")
    )
    annotated = classes.annotate(enrolled=Coalesce(Subquery(enrolled, output_field=IntegerField()), Value(0)))
    return list(class_order(annotated))


def day_overview(classes: QuerySet, day: datetime.date) -> DayOverview:
    """Every class with its students that day and, per session, its roll call's figures, and whether the
    school is off that day (three queries)."""
    slots = {(cid, session): slot for cid, _day, session, slot in roll_call_slots(classes, day, day)}
    overview = DayOverview(day, day_off=is_day_off(day))
    for school_class in _classes_enrolled_on(classes, day):
        found = {session: slots.get((school_class.pk, session)) for session in SESSIONS}
        overview.rows.append(DayRow(school_class, school_class.enrolled, found))
    return overview


@dataclass
class MonthRow:
    school_class: SchoolClass
    slot: Slot
    days: int  # days with at least one session roll call


@dataclass
class MonthOverview:
    first: datetime.date
    last: datetime.date
    rows: list[MonthRow]

    @property
    def total(self) -> Slot:
        return sum((row.slot for row in self.rows), Slot())


def month_overview(classes: QuerySet, month: datetime.date) -> MonthOverview:
    """Per class: session roll calls in the month, student-sessions, absences, the rate (two queries)."""
    first, last = month_bounds(month)
    per_class: dict[int, Slot] = {}
    days: dict[int, set] = {}
    for class_id, day, _session, slot in roll_call_slots(classes, first, last):
        per_class[class_id] = per_class.get(class_id, Slot()) + slot
        days.setdefault(class_id, set()).add(day)
    rows = [MonthRow(c, per_class.get(c.pk, Slot()), len(days.get(c.pk, ()))) for c in class_order(classes)]
    return MonthOverview(first, last, rows)


# --- students approaching the limit -----------------------------------------------------------------------


@dataclass
class LimitRow:
    student: Student
    school_class: SchoolClass
    absences: Absences


def students_near_limit(classes: QuerySet, year: SchoolYear, day: datetime.date) -> list[LimitRow]:
    """The students enrolled in `classes` on `day` with at least `WARN_FROM` absences in the year, most
    absences first (two queries: the counts, then the students with their class)."""
    enrolled_here = Enrolment.objects.filter(
        student=OuterRef("student"), school_class__in=classes, starts_on__lte=day
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
    counts = {
        sid: Absences(excused, unexcused, late)
        for sid, excused, unexcused, late in session_marks()
        .filter(Exists(enrolled_here), roll_call__date__range=(year.starts_on, year.ends_on))
        .values("student_id")
        .annotate(**_mark_counts(), total=Count("pk", filter=Q(mark__in=ABSENCES)))
        .filter(total__gte=WARN_FROM)
        .values_list("student_id", "excused", "unexcused", "late")
    }
    enrolments = (
        Enrolment.objects.filter(student_id__in=counts, school_class__in=classes, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .select_related("student", "school_class")
    )
    rows = [LimitRow(e.student, e.school_class, counts[e.student_id]) for e in enrolments]
    rows.sort(key=lambda row: (-row.absences.total, row.student.sort_key, row.student.student_code))
    return rows


# --- the managers' tiles ----------------------------------------------------------------------------------


def session_now(now: datetime.datetime | None = None) -> str:
    """The session under way: the afternoon from the school's afternoon start time, else the morning."""
    local = timezone.localtime(now)
    afternoon = AttendanceSettings.current().afternoon_starts
    return Session.AFTERNOON.value if local.time() >= afternoon else Session.MORNING.value


@dataclass
class Tiles:
    day: datetime.date
    session: str
    overview: DayOverview
    missing: list[SchoolClass]  # classes without a roll call for `session` yet
    pending_leave: int
    near: int  # students at WARN_FROM … LIMIT absences
    over: int  # students above LIMIT

    @property
    def session_label(self) -> str:
        return Session(self.session).label

    @property
    def limit(self) -> int:
        return LIMIT


def attendance_tiles(day: datetime.date | None = None, now: datetime.datetime | None = None) -> Tiles:
    """The school home's figures for managers: today's rate so far, the classes without a session roll call
    for the session under way (none on a day off), pending leave requests, students near or over the limit
    (six queries)."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    session = session_now(now)
    classes = SchoolClass.objects.filter(year__is_current=True)
    overview = day_overview(classes, day)
    pending = LeaveRequest.objects.filter(status__in=LEAVE_WAITING).count()
    year = current_year()
    levels = [row.absences.level for row in students_near_limit(classes, year, day)] if year else []
    return Tiles(
        day, session, overview, overview.missing(session), pending, levels.count(NEAR), levels.count(OVER)
    )
