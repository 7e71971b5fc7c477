"""A school sets itself up in the browser: school years with their terms and days off, classes, the subject
catalogue per grade and the teaching assignments. Every write is keyword-only, atomic and audited; a
change that would break data in use is refused with the reason (SetupError). Call inside the school's
schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from accounts.roles import Role
from schoolbook.audit.services import audit_record
from schoolbook.text import fold, nfc
from students import marks
from students.class_names import clean_name, leading_grade
from students.holidays import Holiday, fixed_holidays
from students.models import (
    Assessment,
    DayOff,
    Enrolment,
    GradeLevel,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Subject,
    SubjectLoad,
    TeachingAssignment,
    Term,
)
from students.services import school_year_bounds


class SetupError(ValueError):
    pass


def _d(value: date) -> str:
    return value.strftime("%d/%m/%Y")


# --- school years and terms ---------------------------------------------------------------------------


@dataclass(frozen=True)
class YearDates:
    """A year's four dates: term I runs from the year's first day to `term1_ends_on`, term II from
    `term2_starts_on` to the year's last day (a break between them is allowed)."""

    starts_on: date
    term1_ends_on: date
    term2_starts_on: date
    ends_on: date

    @classmethod
    def of(cls, year: SchoolYear) -> YearDates:
        terms = {term.number: term for term in year.terms.all()}
        return cls(year.starts_on, terms[1].ends_on, terms[2].starts_on, year.ends_on)

    def problems(self) -> dict[str, str]:
        """Field → the reason, empty when the dates make a year: inside the year, I before II, no overlap."""
        problems = {}
        if self.ends_on <= self.starts_on:
            problems["ends_on"] = gettext("Ngày kết thúc năm học phải sau ngày bắt đầu.")
        elif self.ends_on - self.starts_on > timedelta(days=366):
            problems["ends_on"] = gettext("Một năm học không dài quá một năm.")
        if not self.starts_on < self.term1_ends_on:
            problems["term1_ends_on"] = gettext("Học kỳ I phải kết thúc sau ngày bắt đầu năm học.")
        if not self.term1_ends_on < self.term2_starts_on:
            problems["term2_starts_on"] = gettext("Học kỳ II phải bắt đầu sau khi học kỳ I kết thúc.")
        elif not self.term2_starts_on < self.ends_on:
            problems["term2_starts_on"] = gettext("Học kỳ II phải bắt đầu trước ngày kết thúc năm học.")
        return problems

    def as_dict(self) -> dict[str, str]:
        return {name: value.isoformat() for name, value in vars(self).items()}


def default_year_dates(name: str) -> YearDates:
    """The usual dates of the year named "2026-2027" (students.services.school_year_bounds)."""
    _name, starts_on, term2_starts_on, ends_on = school_year_bounds(date(int(name[:4]), 9, 1))
    return YearDates(starts_on, term2_starts_on - timedelta(days=1), term2_starts_on, ends_on)


def _check_dates(dates: YearDates) -> None:
    problems = dates.problems()
    if problems:
        raise SetupError(" ".join(problems.values()))


@transaction.atomic
def year_create(*, actor, name: str, dates: YearDates) -> SchoolYear:
    """A school year with its two terms. The first year a school has becomes the current one."""
    name = name.strip()
    first, _dash, second = name.partition("-")
    if not (first.isdigit() and second.isdigit() and len(first) == 4 and int(second) == int(first) + 1):
        raise SetupError(gettext("Năm học có dạng 2026-2027 (hai năm liền nhau)."))
    if SchoolYear.objects.filter(name=name).exists():
        raise SetupError(gettext("Năm học %(name)s đã có.") % {"name": name})
    _check_dates(dates)
    year = SchoolYear.objects.create(
        name=name,
        starts_on=dates.starts_on,
        ends_on=dates.ends_on,
        is_current=not SchoolYear.objects.filter(is_current=True).exists(),
    )
    Term.objects.bulk_create([
        Term(year=year, number=1, starts_on=dates.starts_on, ends_on=dates.term1_ends_on),
        Term(year=year, number=2, starts_on=dates.term2_starts_on, ends_on=dates.ends_on),
    ])  # fmt: skip
    audit_record(
        actor=actor,
        action="year.create",
        obj=year,
        after={"name": name, "is_current": year.is_current, **dates.as_dict()},
    )
    return year


@transaction.atomic
def year_dates_set(*, actor, year: SchoolYear, dates: YearDates) -> SchoolYear:
    """Change a year's and its terms' dates. Refused when a class enrolment of the year would start
    before the year does (the roster import enrols from the year's first day). Saving the dates unchanged
    is recorded too: the admin has checked them (the getting-started checklist ticks on it)."""
    year = SchoolYear.objects.select_for_update().get(pk=year.pk)
    _check_dates(dates)
    before = YearDates.of(year)
    if before != dates:
        earliest = Enrolment.objects.filter(school_class__year=year).order_by("starts_on").first()
        if earliest is not None and earliest.starts_on < dates.starts_on:
            raise SetupError(
                gettext("Đã có học sinh vào lớp từ ngày %(date)s: năm học không thể bắt đầu sau ngày đó.")
                % {"date": _d(earliest.starts_on)}
            )
        outside = (
            year.days_off.filter(Q(first_day__lt=dates.starts_on) | Q(last_day__gt=dates.ends_on))
            .order_by("first_day")
            .first()
        )
        if outside is not None:
            raise SetupError(
                gettext(
                    "Ngày nghỉ “%(name)s” (%(dates)s) sẽ nằm ngoài năm học: sửa hoặc xoá ngày nghỉ đó trước."
                )
                % {"name": outside.name, "dates": outside.dates}
            )
        SchoolYear.objects.filter(pk=year.pk).update(starts_on=dates.starts_on, ends_on=dates.ends_on)
        Term.objects.filter(year=year, number=1).update(
            starts_on=dates.starts_on, ends_on=dates.term1_ends_on
        )
        Term.objects.filter(year=year, number=2).update(
            starts_on=dates.term2_starts_on, ends_on=dates.ends_on
        )
    audit_record(
        actor=actor,
        action="year.dates",
        obj=year,
        before=before.as_dict(),
        after=dates.as_dict(),
    )
    year.refresh_from_db()
    return year


@transaction.atomic
def year_make_current(*, actor, year: SchoolYear) -> SchoolYear:
    """Make `year` the school's current year (exactly one is): classes, imports, grade entry and
    attendance work in it from now on. Promoting students is the rollover's job, not this one's."""
    years = list(SchoolYear.objects.select_for_update().order_by("pk"))
    year = next(y for y in years if y.pk == year.pk)
    previous = next((y for y in years if y.is_current), None)
    if previous == year:
        raise SetupError(gettext("%(name)s đã là năm học hiện tại.") % {"name": year.name})
    SchoolYear.objects.filter(is_current=True).update(is_current=False)
    SchoolYear.objects.filter(pk=year.pk).update(is_current=True)
    audit_record(
        actor=actor,
        action="year.make_current",
        obj=year,
        before={"current": previous.name if previous else None},
        after={"current": year.name},
    )
    year.refresh_from_db()
    return year


# --- days off -------------------------------------------------------------------------------------------


def _day_off_state(day_off: DayOff) -> dict:
    return {"name": day_off.name, "first_day": day_off.first_day.isoformat(),
            "last_day": day_off.last_day.isoformat()}  # fmt: skip


def _validated(day_off: DayOff) -> None:
    """The model's rules (DayOff.clean), as a SetupError; the caller holds the year's lock, so no other
    day off of the year appears between the check and the write."""
    try:
        day_off.full_clean(exclude=["year"])
    except ValidationError as error:
        raise SetupError(" ".join(error.messages)) from error


def _lock_year(year: SchoolYear) -> SchoolYear:
    return SchoolYear.objects.select_for_update().get(pk=year.pk)  # one change to its days off at a time


@transaction.atomic
def day_off_add(*, actor, year: SchoolYear, name: str, first_day: date, last_day: date) -> DayOff:
    """A day or a range of days without classes in `year`."""
    day_off = DayOff(year=_lock_year(year), name=nfc(name), first_day=first_day, last_day=last_day)
    _validated(day_off)
    day_off.save()
    audit_record(actor=actor, action="day_off.create", obj=day_off, after=_day_off_state(day_off))
    return day_off


@transaction.atomic
def day_off_update(*, actor, day_off: DayOff, name: str, first_day: date, last_day: date) -> DayOff:
    _lock_year(day_off.year)
    day_off = DayOff.objects.select_related("year").get(pk=day_off.pk)
    before = _day_off_state(day_off)
    day_off.name, day_off.first_day, day_off.last_day = nfc(name), first_day, last_day
    _validated(day_off)
    after = _day_off_state(day_off)
    if after != before:
        day_off.save(update_fields=["name", "first_day", "last_day"])
        audit_record(actor=actor, action="day_off.update", obj=day_off, before=before, after=after)
    return day_off


@transaction.atomic
def day_off_remove(*, actor, day_off: DayOff) -> None:
    """The days become school days again (roll calls are due on them)."""
    audit_record(actor=actor, action="day_off.remove", obj=day_off, before=_day_off_state(day_off))
    day_off.delete()


def holidays_plan(year: SchoolYear) -> list[Holiday]:
    """The fixed-date national holidays (students.holidays) inside `year` that none of its days off covers
    yet: what the prefill would add."""
    covered = list(year.days_off.values_list("first_day", "last_day"))
    return [
        holiday
        for holiday in fixed_holidays(year.starts_on, year.ends_on)
        if not any(first <= holiday.day <= last for first, last in covered)
    ]


@transaction.atomic
def holidays_add(*, actor, year: SchoolYear) -> list[DayOff]:
    """Add the year's fixed-date national holidays (holidays_plan, as the preview showed it), one day off
    each. Refused when there is none to add."""
    year = _lock_year(year)
    plan = holidays_plan(year)
    if not plan:
        raise SetupError(
            gettext("Các ngày lễ cố định trong năm học %(year)s đều đã có.") % {"year": year.name}
        )
    days_off = DayOff.objects.bulk_create(
        DayOff(year=year, name=holiday.name, first_day=holiday.day, last_day=holiday.day) for holiday in plan
    )
    audit_record(
        actor=actor,
        action="day_off.prefill",
        obj=year,
        after={"created": [f"{holiday.day.isoformat()} {holiday.name}" for holiday in plan]},
    )
    return days_off


# --- classes --------------------------------------------------------------------------------------------


def homeroom_candidates():
    """Who may be a homeroom teacher: active staff with the teacher role."""
    return StaffMember.objects.filter(is_active=True, roles__contains=[Role.TEACHER]).order_by("full_name")


def _check_homeroom(teacher: StaffMember | None) -> None:
    if teacher is not None and not homeroom_candidates().filter(pk=teacher.pk).exists():
        raise SetupError(
            gettext("%(name)s không phải giáo viên đang làm việc ở trường.") % {"name": teacher.full_name}
        )


def _check_name_free(year: SchoolYear, name: str, exclude_pk: int | None = None) -> None:
    taken = SchoolClass.objects.filter(year=year, name__iexact=name).exclude(pk=exclude_pk).first()
    if taken is not None:
        raise SetupError(
            gettext("Năm học %(year)s đã có lớp %(name)s.") % {"year": year.name, "name": taken.name}
        )


def _saved(school_class: SchoolClass, **kwargs) -> None:
    """Save, turning a concurrent duplicate name (the database's unique constraint) into a SetupError."""
    try:
        with transaction.atomic():
            school_class.save(**kwargs)
    except IntegrityError as error:
        raise SetupError(
            gettext("Năm học %(year)s đã có lớp %(name)s.")
            % {"year": school_class.year.name, "name": school_class.name}
        ) from error


def _check_class_name(name: str) -> str:
    name = clean_name(name)
    if not name:
        raise SetupError(gettext("Nhập tên lớp."))
    if len(name) > 20:
        raise SetupError(gettext("Tên lớp dài tối đa 20 ký tự."))
    return name


@transaction.atomic
def class_create(
    *, actor, year: SchoolYear, name: str, grade: GradeLevel, homeroom_teacher=None
) -> SchoolClass:
    name = _check_class_name(name)
    _check_name_free(year, name)
    _check_homeroom(homeroom_teacher)
    school_class = SchoolClass(name=name, grade=grade, year=year, homeroom_teacher=homeroom_teacher)
    _saved(school_class)
    audit_record(
        actor=actor,
        action="class.create",
        obj=school_class,
        after={"name": name, "grade": grade.number, "year": year.name,
               "homeroom_teacher": homeroom_teacher.full_name if homeroom_teacher else None},
    )  # fmt: skip
    return school_class


def _class_state(school_class: SchoolClass) -> dict:
    teacher = school_class.homeroom_teacher
    return {
        "name": school_class.name,
        "grade": school_class.grade.number,
        "homeroom_teacher": teacher.full_name if teacher else None,
    }


@transaction.atomic
def class_update(
    *, actor, school_class: SchoolClass, name: str, grade: GradeLevel, homeroom_teacher=None
) -> SchoolClass:
    """Rename, change the grade, set or clear the homeroom teacher. The grade stays within the class's
    school level once it has students (their scores follow the level's subjects)."""
    school_class = (
        SchoolClass.objects.select_for_update().select_related("grade", "year").get(pk=school_class.pk)
    )
    before = _class_state(school_class)
    name = _check_class_name(name)
    _check_name_free(school_class.year, name, exclude_pk=school_class.pk)
    _check_homeroom(homeroom_teacher)
    if grade.level != school_class.grade.level and school_class.enrolments.exists():
        raise SetupError(
            gettext("Lớp %(name)s đã có học sinh: chỉ đổi được sang một khối cùng cấp học.")
            % {"name": school_class.name}
        )
    if school_class.archived_at is not None:
        raise SetupError(gettext("Lớp %(name)s đã lưu trữ.") % {"name": school_class.name})
    school_class.name, school_class.grade, school_class.homeroom_teacher = name, grade, homeroom_teacher
    _saved(school_class, update_fields=["name", "grade", "homeroom_teacher"])
    after = _class_state(school_class)
    if after != before:
        audit_record(actor=actor, action="class.update", obj=school_class, before=before, after=after)
    return school_class


def current_enrolment_count(school_class: SchoolClass, today: date | None = None) -> int:
    today = today or timezone.localdate()
    return (
        Enrolment.objects.filter(school_class=school_class)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .count()
    )


@transaction.atomic
def class_archive(*, actor, school_class: SchoolClass) -> SchoolClass:
    """Take a class out of the year's lists and forms; its enrolments, scores and roll calls stay as
    history. Refused while students are enrolled in it (move them first), and its teaching assignments
    end with it."""
    school_class = SchoolClass.objects.select_for_update().get(pk=school_class.pk)
    if school_class.archived_at is not None:
        raise SetupError(gettext("Lớp %(name)s đã lưu trữ.") % {"name": school_class.name})
    count = current_enrolment_count(school_class)
    if count:
        raise SetupError(
            gettext(
                "Lớp %(name)s còn %(count)d học sinh đang học: hãy chuyển các em sang lớp khác trước khi "
                "lưu trữ."
            )
            % {"name": school_class.name, "count": count}
        )
    assignments = list(school_class.assignments.values_list("subject__name", "teacher__full_name"))
    school_class.assignments.all().delete()
    school_class.archived_at = timezone.now()
    school_class.save(update_fields=["archived_at"])
    audit_record(
        actor=actor,
        action="class.archive",
        obj=school_class,
        before={"assignments": [f"{subject}: {teacher}" for subject, teacher in assignments]},
        after={"archived_at": school_class.archived_at.isoformat()},
    )
    return school_class


@dataclass
class BulkPlan:
    """What a bulk creation would do: the names to create (with their grade) and those that exist."""

    new: list[tuple[str, GradeLevel]]
    existing: list[str]


def classes_bulk_plan(*, year: SchoolYear, names: list[str]) -> BulkPlan:
    """Each name's grade is its leading number; a name whose grade the school does not have is refused."""
    grades = {grade.number: grade for grade in GradeLevel.objects.all()}
    existing = {c.name.upper(): c.name for c in SchoolClass.objects.filter(year=year)}
    plan = BulkPlan(new=[], existing=[])
    for name in names:
        if name.upper() in existing:
            plan.existing.append(existing[name.upper()])
            continue
        grade = grades.get(leading_grade(name))
        if grade is None:
            raise SetupError(
                gettext("Lớp %(name)s: trường không có khối %(grade)s (các khối của trường: %(grades)s).")
                % {"name": name, "grade": leading_grade(name), "grades": ", ".join(map(str, sorted(grades)))}
            )
        plan.new.append((name, grade))
    return plan


@transaction.atomic
def classes_bulk_create(*, actor, year: SchoolYear, names: list[str]) -> list[SchoolClass]:
    """Create the classes named that the year does not have yet, all or nothing. Those that exist are
    left as they are (the preview lists them)."""
    SchoolYear.objects.select_for_update().get(pk=year.pk)  # one bulk creation at a time per year
    plan = classes_bulk_plan(year=year, names=names)
    if not plan.new:
        raise SetupError(gettext("Các lớp này đều đã có: không có lớp nào để tạo."))
    classes = SchoolClass.objects.bulk_create(
        SchoolClass(name=name, grade=grade, year=year) for name, grade in plan.new
    )
    audit_record(
        actor=actor,
        action="class.bulk_create",
        obj=year,
        after={"created": [name for name, _grade in plan.new], "existing": plan.existing},
    )
    return classes


# --- the subject catalogue ------------------------------------------------------------------------------


def subject_use_in_grade(subject: Subject, grade: GradeLevel) -> str | None:
    """Why a subject cannot stop being taught in a grade (or None): teaching assignments or scores there."""
    assigned = TeachingAssignment.objects.filter(
        subject=subject, school_class__grade=grade, school_class__year__is_current=True
    ).count()
    if assigned:
        return gettext("đã có %(count)d phân công giảng dạy ở khối %(grade)d") % {
            "count": assigned,
            "grade": grade.number,
        }
    if marks.subject_has_marks_in_grade(subject, grade):
        return gettext("đã có điểm hoặc đánh giá ở khối %(grade)d") % {"grade": grade.number}
    return None


@transaction.atomic
def subject_loads_set(*, actor, grade: GradeLevel, periods: dict[int, int | None]) -> int:
    """Set which subjects of the grade's level are taught in it and their periods per year (subject id →
    periods, None: not taught). All or nothing: a subject that stops being taught while it has
    assignments or scores in the grade refuses the whole change. Returns the number of subjects changed."""
    subjects = {s.pk: s for s in Subject.objects.filter(level=grade.level, pk__in=periods)}
    loads = {load.subject_id: load for load in SubjectLoad.objects.filter(grade=grade, subject__in=subjects)}
    changes = {}
    for pk, value in periods.items():
        subject, load = subjects.get(pk), loads.get(pk)
        if subject is None:
            raise SetupError(gettext("Môn học không thuộc cấp học của khối này."))
        if value is not None and not 1 <= value <= 1000:
            raise SetupError(
                gettext("%(subject)s: số tiết/năm phải từ 1 đến 1000.") % {"subject": subject.name}
            )
        old = load.periods_per_year if load else None
        if old == value:
            continue
        if value is None:
            reason = subject_use_in_grade(subject, grade)
            if reason:
                raise SetupError(
                    gettext("Không thể bỏ môn %(subject)s khỏi khối %(grade)d: %(reason)s.")
                    % {"subject": subject.name, "grade": grade.number, "reason": reason}
                )
            load.delete()
        elif load is None:
            SubjectLoad.objects.create(subject=subject, grade=grade, periods_per_year=value)
        else:
            load.periods_per_year = value
            load.save(update_fields=["periods_per_year"])
        changes[subject.name] = [old, value]
    if changes:
        audit_record(
            actor=actor,
            action="subject_load.set",
            obj=grade,
            after={"grade": grade.number, "periods": changes},
        )
    return len(changes)


def _check_subject_name(level: str, name: str, exclude_pk: int | None = None) -> str:
    name = nfc(name)
    if not name:
        raise SetupError(gettext("Nhập tên môn học."))
    same = [
        s for s in Subject.objects.filter(level=level).exclude(pk=exclude_pk) if fold(s.name) == fold(name)
    ]
    if same:
        raise SetupError(gettext("Đã có môn “%(name)s” ở cấp học này.") % {"name": same[0].name})
    return name


@transaction.atomic
def subject_add(*, actor, grade: GradeLevel, name: str, assessment: str, periods_per_year: int) -> Subject:
    """A school's own subject (an elective), taught in `grade`; the school adds it to other grades of the
    level in the catalogue. Primary subjects are rated (Circular 27), secondary ones scored or Đạt/Chưa đạt
    (Circular 22)."""
    name = _check_subject_name(grade.level, name)
    allowed = (
        [Assessment.PRIMARY_RATING] if grade.level == "primary" else [Assessment.SCORED, Assessment.PASS_FAIL]
    )
    if assessment not in allowed:
        raise SetupError(gettext("Hình thức đánh giá không áp dụng cho cấp học này."))
    base = slugify(fold(name))[:30] or "mon"
    code, number = base, 1
    while Subject.objects.filter(level=grade.level, code=code).exists():
        number += 1
        code = f"{base}-{number}"
    last = Subject.objects.filter(level=grade.level).order_by("-order").first()
    subject = Subject.objects.create(
        code=code, name=name, level=grade.level, assessment=assessment,
        order=(last.order + 1) if last else 0,
    )  # fmt: skip
    SubjectLoad.objects.create(subject=subject, grade=grade, periods_per_year=periods_per_year)
    audit_record(
        actor=actor,
        action="subject.add",
        obj=subject,
        after={"name": name, "assessment": assessment, "grade": grade.number, "periods": periods_per_year},
    )
    return subject


@transaction.atomic
def subject_rename(*, actor, subject: Subject, name: str) -> Subject:
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    name = _check_subject_name(subject.level, name, exclude_pk=subject.pk)
    if name == subject.name:
        return subject
    before = {"name": subject.name}
    subject.name = name
    subject.save(update_fields=["name"])
    audit_record(
        actor=actor,
        action="subject.rename",
        obj=subject,
        before=before,
        after={"name": name},
    )
    return subject


@transaction.atomic
def subject_active_set(*, actor, subject: Subject, active: bool) -> Subject:
    """Deactivate a subject (it leaves grade entry, plans and imports; its past scores stay) or bring it
    back. Refused while it has teaching assignments this year."""
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if subject.is_active == active:
        return subject
    if not active:
        assigned = TeachingAssignment.objects.filter(
            subject=subject, school_class__year__is_current=True
        ).count()
        if assigned:
            raise SetupError(
                gettext(
                    "Không thể ngừng dạy môn %(subject)s: năm học này còn %(count)d phân công giảng dạy. "
                    "Hãy bỏ các phân công đó trước."
                )
                % {"subject": subject.name, "count": assigned}
            )
    subject.is_active = active
    subject.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="subject.activate" if active else "subject.deactivate",
        obj=subject,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return subject


# --- teaching assignments ---------------------------------------------------------------------------------


def assignment_teachers():
    """Who may be assigned to teach: active staff with the teacher role."""
    return homeroom_candidates()


@transaction.atomic
def assignments_add(
    *, actor, teacher: StaffMember, subject: Subject, classes: list[SchoolClass]
) -> list[TeachingAssignment]:
    """Assign one teacher one subject in one or several classes of the current year, all or nothing:
    the teacher is active, the subject is taught in each class's grade, and no class has that subject
    with another teacher already (an assignment is never taken from a colleague here: remove it first).
    The year's missing assessment plans are made too, so the teacher's grid opens at once."""
    if not classes:
        raise SetupError(gettext("Chọn ít nhất một lớp."))
    _check_homeroom(teacher)
    if not subject.is_active:
        raise SetupError(gettext("Môn %(subject)s đã ngừng dạy.") % {"subject": subject.name})
    classes = list(
        SchoolClass.objects.select_for_update()
        .select_related("grade", "year")
        .filter(pk__in=[c.pk for c in classes])
        .order_by("grade__number", "name")
    )
    taught = set(SubjectLoad.objects.filter(subject=subject).values_list("grade_id", flat=True))
    held = {
        a.school_class_id: a
        for a in TeachingAssignment.objects.filter(subject=subject, school_class__in=classes).select_related(
            "teacher"
        )
    }
    created = []
    for school_class in classes:
        if not school_class.year.is_current or school_class.archived_at is not None:
            raise SetupError(
                gettext("Lớp %(name)s không thuộc năm học hiện tại.") % {"name": school_class.name}
            )
        if school_class.grade_id not in taught:
            raise SetupError(
                gettext("Môn %(subject)s không dạy ở khối %(grade)d (lớp %(name)s).")
                % {"subject": subject.name, "grade": school_class.grade.number, "name": school_class.name}
            )
        holder = held.get(school_class.pk)
        if holder is not None and holder.teacher_id == teacher.pk:
            continue
        if holder is not None:
            raise SetupError(
                gettext("Lớp %(name)s môn %(subject)s đã phân công cho %(teacher)s.")
                % {"name": school_class.name, "subject": subject.name, "teacher": holder.teacher.full_name}
            )
        created.append(TeachingAssignment(teacher=teacher, school_class=school_class, subject=subject))
    if not created:
        raise SetupError(gettext("Các phân công này đều đã có."))
    TeachingAssignment.objects.bulk_create(created)
    # The year's assessment plan (columns per subject and grade), so the teacher's grid opens at once.
    marks.assignments_added(actor=actor, year=classes[0].year)
    audit_record(
        actor=actor,
        action="assignment.add",
        obj=teacher,
        after={"subject": subject.name, "classes": [a.school_class.name for a in created]},
    )
    return created


@transaction.atomic
def assignment_remove(*, actor, assignment: TeachingAssignment) -> None:
    """End a teaching assignment. The class's scores in the subject stay (they belong to the students);
    the teacher no longer sees or enters them, until the subject is assigned again."""
    assignment = TeachingAssignment.objects.select_related("teacher", "school_class", "subject").get(
        pk=assignment.pk
    )
    scores = marks.assignment_marks(assignment)
    audit_record(
        actor=actor,
        action="assignment.remove",
        obj=assignment.teacher,
        before={"subject": assignment.subject.name, "class": assignment.school_class.name, "scores": scores},
    )
    assignment.delete()
