"""Timetable writes: a version of one class (the grid) or of many (an import) from a start date, checked as
a whole (the school's periods, subjects the class's grade takes, no teacher in two classes at once), written
all or nothing with the people concerned told once; and the school's periods per session.

`timetables_plan` is what the confirmation shows (which classes change, who is told, what it costs) and
`timetables_apply` does it, planning again under a lock on the classes: the two share one code path, and the
confirmation's token (schoolbook.confirm) is the plan's."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from messaging.outbox.selectors import Recipient, guardian_recipient, items_estimate
from messaging.outbox.services import messages_send
from schoolbook.audit.services import audit_record
from schoolbook.confirm import confirmation_token
from students.models import SchoolClass, StaffMember, Subject, SubjectLoad, TeachingAssignment
from students.selectors import current_enrolments, notified_guardian_links
from tenants.routing import school_reverse
from timetable.models import Lesson, Timetable, TimetableChange, TimetableSettings
from timetable.rules import Booking, Slot, clashes, version_ends
from timetable.selectors import school_slots, slot_text, version_cells, version_holding

PURPOSE = "timetable"


@dataclass(frozen=True)
class Cell:
    subject: Subject
    teacher: StaffMember | None = None
    room: str = ""

    def key(self) -> tuple:
        return (self.subject.pk, self.teacher.pk if self.teacher else None, self.room)


@dataclass
class Grid:
    """What a class's version is to hold; `lines`: the file's line of each slot (an import's problems)."""

    school_class: SchoolClass
    cells: dict[Slot, Cell]
    lines: dict[Slot, int] = field(default_factory=dict)

    def key(self) -> frozenset:
        return frozenset((slot, cell.key()) for slot, cell in self.cells.items())


@dataclass
class Problem:
    school_class: SchoolClass
    slot: Slot | None
    message: str
    line: int = 0


class TimetableError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


def assigned_teachers(classes) -> dict[tuple[int, int], StaffMember]:
    """(class id, subject id) → the teacher of the class's teaching assignment: a cell's default teacher."""
    assignments = TeachingAssignment.objects.filter(school_class__in=list(classes)).select_related("teacher")
    return {(a.school_class_id, a.subject_id): a.teacher for a in assignments}


def grade_subjects(grade_ids) -> dict[int, set[int]]:
    """Grade id → the ids of the subjects it takes (the catalogue's loads)."""
    taken: dict[int, set[int]] = defaultdict(set)
    for grade_id, subject_id in SubjectLoad.objects.filter(grade_id__in=list(grade_ids)).values_list(
        "grade_id", "subject_id"
    ):
        taken[grade_id].add(subject_id)
    return taken


# --- checking -----------------------------------------------------------------------------------------------


def timetables_check(grids: list[Grid], starts_on: datetime.date) -> list[Problem]:
    """Everything wrong with these versions from `starts_on`, each problem on its class and slot."""
    problems: list[Problem] = []
    slots = set(school_slots())
    taken = grade_subjects({grid.school_class.grade_id for grid in grids})

    def bad(grid, slot, message):
        problems.append(Problem(grid.school_class, slot, message, grid.lines.get(slot, 0)))

    for grid in grids:
        year = grid.school_class.year
        if not year.starts_on <= starts_on <= year.ends_on:
            bad(grid, None, gettext("Ngày áp dụng phải trong năm học %(year)s (%(start)s – %(end)s).") % {
                "year": year.name, "start": f"{year.starts_on:%d/%m/%Y}", "end": f"{year.ends_on:%d/%m/%Y}",
            })  # fmt: skip
        for slot, cell in grid.cells.items():
            if slot not in slots:
                bad(grid, slot, gettext("Trường không học %(slot)s (xem số tiết mỗi buổi).")
                    % {"slot": slot_text(slot)})  # fmt: skip
            if cell.subject.pk not in taken[grid.school_class.grade_id]:
                bad(grid, slot, gettext("Khối %(grade)s không học môn %(subject)s.") % {
                    "grade": grid.school_class.grade.number, "subject": cell.subject.name,
                })  # fmt: skip
            if cell.teacher is not None and not cell.teacher.is_active:
                bad(grid, slot, gettext("%(teacher)s không còn làm việc ở trường.")
                    % {"teacher": cell.teacher.full_name})  # fmt: skip
    problems.extend(_clash_problems(grids, starts_on))
    return problems


def _clash_problems(grids: list[Grid], starts_on: datetime.date) -> list[Problem]:
    """A teacher in two classes at the same period of the same day while both versions hold: every other
    version of the classes of the same years is read (with its days), the changed classes' version from
    `starts_on` replaced by the grids."""
    changing = {grid.school_class.pk: grid for grid in grids}
    years = {grid.school_class.year_id for grid in grids}
    names, last_day = {}, {}
    taught: dict[int, dict[datetime.date, list[tuple[int, Slot]]]] = defaultdict(dict)
    versions = Timetable.objects.filter(school_class__year_id__in=years).values_list(
        "school_class_id", "starts_on", "school_class__name", "school_class__year__ends_on"
    )
    for class_id, start, name, ends_on in versions:
        taught[class_id][start] = []
        names[class_id], last_day[class_id] = name, ends_on
    lessons = Lesson.objects.filter(
        teacher__isnull=False, timetable__school_class__year_id__in=years
    ).values_list(
        "timetable__school_class_id", "timetable__starts_on", "teacher_id", "weekday", "session", "period"
    )
    for class_id, start, teacher_id, weekday, session, period in lessons:
        taught[class_id][start].append((teacher_id, (weekday, session, period)))
    for class_id, grid in changing.items():
        taught[class_id][starts_on] = [
            (cell.teacher.pk, slot) for slot, cell in grid.cells.items() if cell.teacher
        ]
        names[class_id], last_day[class_id] = grid.school_class.name, grid.school_class.year.ends_on
    bookings = []
    for class_id, by_start in taught.items():
        for start, booked in by_start.items():
            last = version_ends(list(by_start), start, last_day[class_id])
            new = class_id in changing and start == starts_on
            bookings.extend(
                Booking(teacher, names[class_id], slot, start, last, new) for teacher, slot in booked
            )
    found = clashes(bookings)
    if not found:
        return []
    teachers = dict(
        StaffMember.objects.filter(pk__in={c.teacher for c in found}).values_list("pk", "full_name")
    )
    by_name = {grid.school_class.name: grid for grid in grids}
    problems = []
    for clash in found:
        for mine, other in (clash.groups, clash.groups[::-1]):
            grid = by_name.get(mine)
            if grid is None or (mine != clash.groups[0] and other not in by_name):
                continue  # an old booking of a class not being changed is not reported on itself
            message = gettext(
                "Giáo viên %(teacher)s trùng tiết: đã dạy lớp %(other)s vào %(slot)s (từ %(date)s)."
            ) % {
                "teacher": teachers[clash.teacher], "other": other, "slot": slot_text(clash.slot),
                "date": f"{clash.since:%d/%m/%Y}",
            }  # fmt: skip
            problems.append(Problem(grid.school_class, clash.slot, message, grid.lines.get(clash.slot, 0)))
    return problems


# --- the plan: what changes, who is told --------------------------------------------------------------------


@dataclass
class Plan:
    starts_on: datetime.date
    changed: list[Grid]
    unchanged: list[Grid]
    replaced: dict[int, Timetable | None]  # class id → the version holding on starts_on (None: the first)
    items: list[tuple[Recipient, str]]
    links: dict[Recipient, str]
    estimate: dict
    token: str

    @property
    def people(self) -> int:
        return len(self.items)


def timetables_plan(*, school, grids: list[Grid], starts_on: datetime.date) -> Plan:
    """Which grids change their class's timetable (against the version holding on `starts_on`), the one
    message per person concerned (the changed classes' guardians who receive notifications, and the teachers
    of the old and new lessons), its estimate, and the confirmation's token."""
    replaced = {grid.school_class.pk: version_holding(grid.school_class, starts_on) for grid in grids}
    changed, unchanged = [], []
    for grid in grids:
        before = version_cells(replaced[grid.school_class.pk])
        same = {(slot, (c.subject_id, c.teacher_id, c.room)) for slot, c in before.items()} == grid.key()
        (unchanged if same else changed).append(grid)
    items, links = _messages(school, changed, replaced, starts_on)
    estimate = items_estimate(items, None)
    fingerprint = sorted((grid.school_class.pk, sorted(map(str, grid.key()))) for grid in changed)
    token = confirmation_token(estimate["token"], starts_on, fingerprint)
    return Plan(starts_on, changed, unchanged, replaced, items, links, estimate, token)


def _messages(school, changed: list[Grid], replaced, starts_on):
    """One (recipient, text) per person, teachers first (a teacher who is also a guardian gets one message,
    naming all their classes), and each one's link."""
    if not changed:
        return [], {}
    classes = {grid.school_class.pk: grid.school_class.name for grid in changed}
    people: dict[object, dict] = {}

    def concern(key, recipient, class_name, link):
        person = people.setdefault(key, {"recipient": recipient, "classes": set(), "link": link})
        person["classes"].add(class_name)

    teachers: dict[int, set[str]] = defaultdict(set)
    for grid in changed:
        for cell in grid.cells.values():
            if cell.teacher is not None:
                teachers[cell.teacher.pk].add(grid.school_class.name)
    old = [replaced[class_id].pk for class_id in classes if replaced[class_id] is not None]
    for class_name, teacher_id in Lesson.objects.filter(
        timetable_id__in=old, teacher__isnull=False
    ).values_list("timetable__school_class__name", "teacher_id"):
        teachers[teacher_id].add(class_name)
    staff = StaffMember.objects.filter(pk__in=list(teachers), is_active=True).select_related("user")
    # Two links in all (one messages_send each): a teacher's own week; a guardian's home, whose card for
    # each child has its timetable one tap away.
    mine = settings.SITE_URL + school_reverse(school, "timetable_mine")
    hub = settings.SITE_URL + "/home/"
    for member in sorted(staff, key=lambda s: s.sort_key):
        recipient = Recipient(phone=member.user.phone, user_id=member.user_id, name=member.full_name)
        for name in teachers[member.pk]:
            concern(("user", member.user_id), recipient, name, mine)
    class_of = dict(
        current_enrolments()
        .filter(school_class_id__in=list(classes))
        .values_list("student_id", "school_class_id")
    )
    for link in notified_guardian_links(class_of):
        guardian = link.guardian
        key = ("user", guardian.user_id) if guardian.user_id else ("guardian", guardian.pk)
        concern(key, guardian_recipient(guardian), classes[class_of[link.student_id]], hub)
    values = {"school": school.name, "date": f"{starts_on:%d/%m/%Y}"}
    items, links = [], {}
    for person in people.values():
        text = gettext("%(school)s: Thời khoá biểu mới của lớp %(classes)s áp dụng từ ngày %(date)s.") % {
            **values, "classes": ", ".join(sorted(person["classes"])),
        }  # fmt: skip
        items.append((person["recipient"], text))
        links[person["recipient"]] = person["link"]
    return items, links


# --- writing ------------------------------------------------------------------------------------------------


def timetables_apply(
    *, actor, school, grids: list[Grid], starts_on: datetime.date, source: str, token: str | None = None
) -> tuple[TimetableChange | None, Plan]:
    """Write the changed grids as versions from `starts_on` (a version with that start date is corrected),
    and tell the people concerned, all in one transaction under a lock on the classes. Raises TimetableError
    with every problem, writing nothing. With `token`, a plan that is no longer the confirmed one writes
    nothing either (the change is None and the new plan is returned to be shown). Nothing changed: None."""
    with transaction.atomic():
        list(
            SchoolClass.objects.select_for_update()
            .filter(pk__in=[g.school_class.pk for g in grids])
            .order_by("pk")
        )
        problems = timetables_check(grids, starts_on)
        if problems:
            raise TimetableError(problems)
        plan = timetables_plan(school=school, grids=grids, starts_on=starts_on)
        if not plan.changed or (token is not None and token != plan.token):
            return None, plan
        change = TimetableChange.objects.create(
            source=source, starts_on=starts_on, made_by=StaffMember.objects.filter(user=actor).first()
        )
        for grid in plan.changed:
            version, _ = Timetable.objects.update_or_create(
                school_class=grid.school_class, starts_on=starts_on, defaults={"change": change}
            )
            version.lessons.all().delete()
            Lesson.objects.bulk_create(
                Lesson(timetable=version, weekday=slot[0], session=slot[1], period=slot[2],
                       subject=cell.subject, teacher=cell.teacher, room=cell.room)
                for slot, cell in grid.cells.items()
            )  # fmt: skip
        change_notify(change=change, plan=plan)
        if source == TimetableChange.Source.GRID:  # an import's event is the flow's: the file and its counts
            audit_record(
                actor=actor,
                action="timetable.save",
                obj=change,
                object_repr=", ".join(grid.school_class.name for grid in plan.changed),
                after={
                    "starts_on": starts_on.isoformat(),
                    "classes": len(plan.changed),
                    "people": plan.people,
                },
            )
    return change, plan


def change_notify(*, change: TimetableChange, plan: Plan) -> int:
    """The plan's messages, once per change: under the change's lock, a change already told sends nothing
    (the messages' reference is "timetable:<id>")."""
    told = (
        TimetableChange.objects.select_for_update().filter(pk=change.pk).values_list("notified_at", flat=True)
    )
    if told.get() is not None:
        return 0
    by_link: dict[str, list] = defaultdict(list)
    for recipient, text in plan.items:
        by_link[plan.links[recipient]].append((recipient, text))
    sent = 0
    for link, items in by_link.items():
        sent += len(messages_send(
            purpose=PURPOSE, reference=f"timetable:{change.pk}", title=gettext("Thời khoá biểu mới"),
            link=link, items=items, bulk=len(plan.items) > 1,
        ))  # fmt: skip
    change.notified_at, change.notified = timezone.now(), sent
    change.save(update_fields=["notified_at", "notified"])
    return sent


def timetable_settings_update(*, actor, morning_periods: int, afternoon_periods: int) -> TimetableSettings:
    with transaction.atomic():
        prefs = TimetableSettings.objects.select_for_update().order_by("pk").first() or TimetableSettings()
        before = {"morning_periods": prefs.morning_periods, "afternoon_periods": prefs.afternoon_periods}
        prefs.morning_periods, prefs.afternoon_periods = morning_periods, afternoon_periods
        prefs.full_clean()
        prefs.save()
        audit_record(
            actor=actor, action="timetable.settings", obj=prefs, before=before,
            after={"morning_periods": morning_periods, "afternoon_periods": afternoon_periods},
        )  # fmt: skip
    return prefs
