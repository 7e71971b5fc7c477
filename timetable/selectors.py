"""Timetable reads: the school's slots, a class's versions, the week of a class, of a teacher (across their
classes) and of a child, each day from the version that holds on it, and who may see which."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext

from students.models import SchoolClass, StaffMember, Student
from students.permissions import is_homeroom_teacher_of, is_manager
from students.selectors import current_class, days_off_between
from timetable.models import Lesson, Timetable, TimetableSettings
from timetable.rules import AFTERNOON, WEEKDAYS, Slot, version_on, week_slots, week_start


def weekday_name(weekday: int) -> str:
    return [
        gettext("Thứ Hai"), gettext("Thứ Ba"), gettext("Thứ Tư"),
        gettext("Thứ Năm"), gettext("Thứ Sáu"), gettext("Thứ Bảy"),
    ][weekday]  # fmt: skip


def slot_text(slot: Slot) -> str:
    """ "tiết 2 buổi chiều Thứ Ba" """
    weekday, session, period = slot
    values = {"period": period, "day": weekday_name(weekday)}
    if session == AFTERNOON:
        return gettext("tiết %(period)s buổi chiều %(day)s") % values
    return gettext("tiết %(period)s buổi sáng %(day)s") % values


def school_slots() -> list[Slot]:
    prefs = TimetableSettings.current()
    return week_slots(prefs.morning_periods, prefs.afternoon_periods)


# --- who may see what ---------------------------------------------------------------------------------------


def teaches_in_class(staff: StaffMember, school_class: SchoolClass) -> bool:
    """A teaching assignment in the class, or a lesson in one of its timetables."""
    return (
        school_class.assignments.filter(teacher=staff).exists()
        or Lesson.objects.filter(timetable__school_class=school_class, teacher=staff).exists()
    )


def can_view_class(staff: StaffMember | None, school_class: SchoolClass) -> bool:
    """Managers see every class; a teacher the classes they teach or are the homeroom teacher of."""
    return staff is not None and (
        is_manager(staff)
        or is_homeroom_teacher_of(staff, school_class)
        or teaches_in_class(staff, school_class)
    )


def visible_classes(staff: StaffMember):
    """The current year's classes `staff` may see, in grade and name order."""
    classes = SchoolClass.objects.filter(year__is_current=True, archived_at__isnull=True)
    if not is_manager(staff):
        lessons = Lesson.objects.filter(timetable__school_class=OuterRef("pk"), teacher=staff)
        classes = classes.filter(
            Q(homeroom_teacher=staff) | Q(assignments__teacher=staff) | Exists(lessons)
        ).distinct()
    return classes.select_related("grade").order_by("grade__number", "name")


# --- versions -----------------------------------------------------------------------------------------------


def class_versions(school_class: SchoolClass) -> list[Timetable]:
    """A class's versions, newest first, with who made each and when."""
    return list(
        Timetable.objects.filter(school_class=school_class)
        .select_related("change__made_by")
        .order_by("-starts_on")
    )


def version_holding(school_class: SchoolClass, day: datetime.date) -> Timetable | None:
    return (
        Timetable.objects.filter(school_class=school_class, starts_on__lte=day).order_by("-starts_on").first()
    )


def version_cells(timetable: Timetable | None) -> dict[Slot, Lesson]:
    if timetable is None:
        return {}
    lessons = timetable.lessons.select_related("subject", "teacher")
    return {lesson.slot: lesson for lesson in lessons}


# --- weeks --------------------------------------------------------------------------------------------------


@dataclass
class Day:
    date: datetime.date
    lessons: list[Lesson] = field(default_factory=list)
    day_off: object = None  # students.DayOff

    @property
    def name(self) -> str:
        return weekday_name(self.date.weekday())


@dataclass
class Week:
    monday: datetime.date
    days: list[Day]
    slots: list[Slot]

    @property
    def previous(self) -> datetime.date:
        return self.monday - datetime.timedelta(days=7)

    @property
    def following(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=7)

    @property
    def saturday(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=5)

    @property
    def empty(self) -> bool:
        return not any(day.lessons for day in self.days)

    def day(self, date: datetime.date) -> Day | None:
        return next((day for day in self.days if day.date == date), None)


def _week(day: datetime.date, versions, *, teacher: StaffMember | None = None) -> Week:
    """The week of `day` (Monday to Saturday): each day, the lessons of the version of each class that holds
    on it (within the class's school year), only `teacher`'s when given. Three queries: the lessons, the
    days off, the settings."""
    monday = week_start(day)
    dates = [monday + datetime.timedelta(days=offset) for offset in WEEKDAYS]
    starts: dict[int, dict[datetime.date, Timetable]] = defaultdict(dict)
    for version in versions:
        starts[version.school_class_id][version.starts_on] = version
    holding: dict[int, list[datetime.date]] = defaultdict(list)  # version id → the days it holds this week
    for by_start in starts.values():
        year = next(iter(by_start.values())).school_class.year
        for date in dates:
            start = version_on(list(by_start), date)
            if start is not None and year.starts_on <= date <= year.ends_on:
                holding[by_start[start].pk].append(date)
    lessons = Lesson.objects.filter(timetable_id__in=list(holding)).select_related(
        "subject", "teacher", "timetable__school_class"
    )
    if teacher is not None:
        lessons = lessons.filter(teacher=teacher)
    days = {date: Day(date) for date in dates}
    for lesson in lessons:
        for date in holding[lesson.timetable_id]:
            if date.weekday() == lesson.weekday:
                days[date].lessons.append(lesson)
    order = {slot: index for index, slot in enumerate(week_slots(10, 10))}
    for date, day_off in days_off_between(dates[0], dates[-1]).items():
        days[date].day_off = day_off
    for item in days.values():
        item.lessons.sort(key=lambda lesson: (order[lesson.slot], lesson.timetable.school_class.name))
    return Week(monday, list(days.values()), school_slots())


def _versions(**filters):
    return Timetable.objects.filter(**filters).select_related("school_class__year")


def class_week(school_class: SchoolClass, day: datetime.date) -> Week:
    return _week(day, _versions(school_class=school_class))


def teacher_week(staff: StaffMember, day: datetime.date) -> Week:
    """The teacher's own lessons across the current year's classes."""
    taught = Lesson.objects.filter(timetable__school_class=OuterRef("school_class"), teacher=staff)
    versions = _versions(school_class__year__is_current=True).filter(Exists(taught))
    return _week(day, versions, teacher=staff)


def student_week(student: Student, day: datetime.date) -> tuple[SchoolClass | None, Week | None]:
    """The child's current class and its week (None without a class)."""
    school_class = current_class(student)
    if school_class is None:
        return None, None
    return school_class, class_week(school_class, day)
