"""School setup pages: years with their terms and days off, classes, the subject catalogue, teaching
assignments.
Managers of the school only; anyone else gets 404 (schoolbook.permissions). Each POST validates a form,
calls one service of students.setup.services, shows a SetupError next to the form (status 400) or
redirects with a flash message. Costly or irreversible steps (make a year current, archive a class, bulk
creation, removing an assignment or a day off, prefilling the holidays) show what will happen and ask to
confirm first."""

import copy

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from schoolbook.confirm import confirm_page, confirmation_token, confirmed
from schoolbook.forms import int_or_none
from schoolbook.permissions import school_role_required
from students import marks
from students.models import DayOff, GradeLevel, SchoolClass, SchoolYear, Subject, TeachingAssignment
from students.permissions import MANAGERS
from students.selectors import current_year
from students.services import school_year_bounds
from students.setup import services
from students.setup.forms import (
    AssignmentAddForm,
    ClassBulkForm,
    ClassForm,
    DayOffForm,
    SubjectAddForm,
    SubjectRenameForm,
    YearCreateForm,
    YearDatesForm,
)
from students.setup.selectors import grade_catalogue, years_with_terms
from students.setup.services import SetupError, YearDates

managers_only = school_role_required(*MANAGERS)


def _status(request, form) -> int:
    return 400 if request.method == "POST" and (form.errors or form.non_field_errors()) else 200


# --- school years and terms ---------------------------------------------------------------------------


def _next_year_name() -> str:
    latest = SchoolYear.objects.order_by("-starts_on").first()
    if latest is None:
        return school_year_bounds(timezone.localdate())[0]
    first = int(latest.name[:4]) + 1
    return f"{first}-{first + 1}"


@managers_only
def year_list_view(request):
    """The school's years with their terms; a form to add a year (its usual dates filled in)."""
    if request.method == "POST":
        form = YearCreateForm(request.POST)
        if form.is_valid():
            try:
                year = services.year_create(
                    actor=request.user, name=form.cleaned_data["name"], dates=form.dates
                )
            except SetupError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, gettext("Đã tạo năm học %(name)s.") % {"name": year.name})
                return redirect("year_list")
    else:
        name = _next_year_name()
        dates = services.default_year_dates(name)
        form = YearCreateForm(initial={"name": name, **vars(dates)})
    context = {"years": list(years_with_terms()), "form": form}
    return render(request, "students/setup/year_list.html", context, status=_status(request, form))


@managers_only
def year_edit_view(request, pk):
    year = get_object_or_404(SchoolYear.objects.prefetch_related("terms"), pk=pk)
    form = YearDatesForm(request.POST or None, initial=vars(YearDates.of(year)))
    if request.method == "POST" and form.is_valid():
        try:
            services.year_dates_set(actor=request.user, year=year, dates=form.dates)
        except SetupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, gettext("Đã lưu ngày của năm học %(name)s.") % {"name": year.name})
            return redirect("year_list")
    return render(
        request, "students/setup/year_edit.html", {"year": year, "form": form}, status=_status(request, form)
    )


@managers_only
def year_make_current_view(request, pk):
    """GET: what changes if this year becomes the current one; POST: do it."""
    year = get_object_or_404(years_with_terms(), pk=pk)
    current = SchoolYear.objects.filter(is_current=True).first()
    error = None
    if request.method == "POST":
        try:
            services.year_make_current(actor=request.user, year=year)
        except SetupError as refused:
            error = str(refused)
        else:
            messages.success(request, gettext("%(name)s là năm học hiện tại.") % {"name": year.name})
            return redirect("year_list")
    context = {"year": year, "current": current, "error": error}
    return render(request, "students/setup/year_make_current.html", context, status=400 if error else 200)


# --- days off -------------------------------------------------------------------------------------------


@managers_only
def day_off_list_view(request, pk):
    """The year's days off with the weekdays each takes, a form to add one; with none yet, the offer to
    prefill the national holidays of fixed date."""
    year = get_object_or_404(SchoolYear, pk=pk)
    form = DayOffForm(request.POST or None, instance=DayOff(year=year))
    if request.method == "POST" and form.is_valid():
        try:
            day_off = services.day_off_add(actor=request.user, year=year, **form.cleaned_data)
        except SetupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _named(gettext("Đã thêm ngày nghỉ “%(name)s” (%(dates)s)."), day_off))
            return redirect("day_off_list", pk=year.pk)
    days_off = list(year.days_off.all())
    context = {
        "year": year,
        "days_off": days_off,
        "weekdays": sum(day_off.weekdays for day_off in days_off),
        "holidays": services.holidays_plan(year) if not days_off else [],
        "form": form,
    }
    return render(request, "students/setup/day_off_list.html", context, status=_status(request, form))


def _named(text: str, day_off: DayOff) -> str:
    return text % {"name": day_off.name, "dates": day_off.dates}


def _day_off(pk) -> DayOff:
    return get_object_or_404(DayOff.objects.select_related("year"), pk=pk)


@managers_only
def day_off_edit_view(request, pk):
    day_off = _day_off(pk)
    form = DayOffForm(request.POST or None, instance=copy.copy(day_off))  # the heading keeps the saved name
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.day_off_update(actor=request.user, day_off=day_off, **form.cleaned_data)
        except SetupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _named(gettext("Đã lưu ngày nghỉ “%(name)s” (%(dates)s)."), saved))
            return redirect("day_off_list", pk=day_off.year_id)
    context = {"day_off": day_off, "year": day_off.year, "form": form}
    return render(request, "students/setup/day_off_edit.html", context, status=_status(request, form))


@managers_only
def day_off_remove_view(request, pk):
    """GET: what removing does (its weekdays become school days again); POST with the preview's token:
    remove."""
    day_off = _day_off(pk)
    token = confirmation_token(day_off.pk, day_off.name, day_off.first_day, day_off.last_day)
    back = reverse("day_off_list", args=[day_off.year_id])
    if confirmed(request, token):
        services.day_off_remove(actor=request.user, day_off=day_off)
        messages.success(request, _named(gettext("Đã xoá ngày nghỉ “%(name)s” (%(dates)s)."), day_off))
        return redirect(back)
    summary = [
        gettext("Các ngày này trở lại là ngày học: các lớp sẽ phải điểm danh (%(count)d ngày trong tuần).")
        % {"count": day_off.weekdays},
        gettext("Các buổi điểm danh đã làm trong những ngày này vẫn được giữ."),
    ]
    return confirm_page(
        request,
        title=_named(gettext("Xoá ngày nghỉ “%(name)s” (%(dates)s)?"), day_off),
        action=request.path,
        token=token,
        summary=summary,
        button=gettext("Xác nhận xoá ngày nghỉ"),
        back=back,
    )


@managers_only
def day_off_holidays_view(request, pk):
    """GET: the fixed-date national holidays inside the year that would be added, and what the school adds
    itself (Tết, Giỗ Tổ, the second day of National Day); POST with the preview's token: add them."""
    year = get_object_or_404(SchoolYear, pk=pk)
    back = reverse("day_off_list", args=[year.pk])
    plan = services.holidays_plan(year)
    if not plan:
        messages.info(
            request, gettext("Các ngày lễ cố định trong năm học %(year)s đều đã có.") % {"year": year.name}
        )
        return redirect(back)
    token = confirmation_token(year.pk, plan)
    if confirmed(request, token):
        try:
            created = services.holidays_add(actor=request.user, year=year)
        except SetupError as error:  # added meanwhile from another tab
            messages.error(request, str(error))
        else:
            messages.success(request, gettext("Đã thêm %(count)d ngày lễ.") % {"count": len(created)})
        return redirect(back)
    summary = [
        *(f"{date_format(holiday.day, 'l d/m/Y')}: {holiday.name}" for holiday in plan),
        gettext(
            "Tết Nguyên đán, Giỗ Tổ Hùng Vương (10/3 âm lịch), ngày nghỉ thứ hai của Quốc khánh (1/9 hoặc "
            "3/9, Chính phủ công bố hằng năm), ngày nghỉ bù và các đợt nghỉ giữa kỳ thay đổi theo năm: "
            "trường tự thêm theo lịch của tỉnh, thành phố."
        ),
    ]
    return confirm_page(
        request,
        title=gettext("Thêm các ngày lễ của năm học %(year)s?") % {"year": year.name},
        action=request.path,
        token=token,
        summary=summary,
        button=gettext("Thêm %(count)d ngày lễ") % {"count": len(plan)},
        back=back,
    )


# --- classes --------------------------------------------------------------------------------------------


def _year_from(request) -> SchoolYear:
    year = SchoolYear.objects.filter(pk=int_or_none(request.GET.get("year"))).first() or current_year()
    if year is None:
        raise Http404
    return year


@managers_only
def class_create_view(request):
    year = _year_from(request)
    form = ClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            school_class = services.class_create(actor=request.user, year=year, **form.cleaned_data)
        except SetupError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, gettext("Đã tạo lớp %(name)s.") % {"name": school_class.name})
            return redirect(_class_list_url(year))
    context = {"form": form, "year": year, "school_class": None}
    return render(request, "students/setup/class_form.html", context, status=_status(request, form))


def _class_list_url(year: SchoolYear) -> str:
    return f"{reverse('class_list')}?year={year.pk}"


def _live_class(pk) -> SchoolClass:
    return get_object_or_404(
        SchoolClass.objects.select_related("grade", "year", "homeroom_teacher"),
        pk=pk,
        archived_at__isnull=True,
    )


@managers_only
def class_edit_view(request, pk):
    school_class = _live_class(pk)
    initial = {
        "name": school_class.name,
        "grade": school_class.grade,
        "homeroom_teacher": school_class.homeroom_teacher,
    }
    form = ClassForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.class_update(actor=request.user, school_class=school_class, **form.cleaned_data)
        except SetupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, gettext("Đã lưu lớp %(name)s.") % {"name": form.cleaned_data["name"].upper()}
            )
            return redirect(_class_list_url(school_class.year))
    context = {
        "form": form,
        "year": school_class.year,
        "school_class": school_class,
        "enrolled": services.current_enrolment_count(school_class),
    }
    return render(request, "students/setup/class_form.html", context, status=_status(request, form))


@managers_only
def class_archive_view(request, pk):
    """GET: what archiving does (or why it is refused); POST: archive."""
    school_class = _live_class(pk)
    error = None
    if request.method == "POST":
        try:
            services.class_archive(actor=request.user, school_class=school_class)
        except SetupError as refused:
            error = str(refused)
        else:
            messages.success(request, gettext("Đã lưu trữ lớp %(name)s.") % {"name": school_class.name})
            return redirect(_class_list_url(school_class.year))
    context = {
        "school_class": school_class,
        "enrolled": services.current_enrolment_count(school_class),
        "assignments": school_class.assignments.count(),
        "error": error,
    }
    return render(request, "students/setup/class_archive.html", context, status=400 if error else 200)


@managers_only
def class_bulk_create_view(request):
    """Three steps: type the names (6A1–6A8), see which will be created and which exist, confirm."""
    year = _year_from(request)
    form = ClassBulkForm(request.POST or None)
    plan = None
    if request.method == "POST" and form.is_valid():
        names = form.cleaned_data["names"]
        try:
            if request.POST.get("confirm"):
                created = services.classes_bulk_create(actor=request.user, year=year, names=names)
                messages.success(
                    request,
                    gettext("Đã tạo %(count)d lớp: %(names)s.")
                    % {"count": len(created), "names": ", ".join(c.name for c in created)},
                )
                return redirect(_class_list_url(year))
            plan = services.classes_bulk_plan(year=year, names=names)
        except SetupError as error:
            form.add_error("names", str(error))
    context = {"form": form, "year": year, "plan": plan}
    return render(request, "students/setup/class_bulk.html", context, status=_status(request, form))


# --- the subject catalogue ------------------------------------------------------------------------------


def _periods_from(request, rows) -> tuple[dict[int, int | None], dict[int, str]]:
    """The posted periods per subject (blank: not taught) and the fields that are not whole numbers."""
    periods, errors = {}, {}
    for row in rows:
        pk = row["subject"].pk
        raw = request.POST.get(f"periods-{pk}", "").strip()
        if not raw:
            periods[pk] = None
        elif raw.isdigit() and 1 <= int(raw) <= 1000:
            periods[pk] = int(raw)
        else:
            errors[pk] = gettext("Số tiết/năm phải từ 1 đến 1000, hoặc để trống nếu khối không học môn này.")
        row["posted"] = raw
    return periods, errors


@managers_only
def subject_catalogue_view(request):
    """Per grade: which subjects are taught and their periods per year, editable in one form (blank: not
    taught in this grade); links to rename, deactivate or add a subject."""
    grades = list(GradeLevel.objects.order_by("number"))
    if not grades:
        raise Http404
    grade = next((g for g in grades if g.number == int_or_none(request.GET.get("grade"))), grades[0])
    rows = grade_catalogue(grade)
    errors, error, status = {}, None, 200
    if request.method == "POST":
        periods, errors = _periods_from(request, rows)
        if not errors:
            try:
                changed = services.subject_loads_set(actor=request.user, grade=grade, periods=periods)
            except SetupError as refused:
                error = str(refused)
            else:
                messages.success(
                    request,
                    gettext("Đã lưu danh mục môn học khối %(grade)d (%(count)d môn thay đổi).")
                    % {"grade": grade.number, "count": changed},
                )
                return redirect(f"{request.path}?grade={grade.number}")
        status = 400
    for row in rows:
        row["error"] = errors.get(row["subject"].pk)
    context = {
        "grades": grades,
        "grade": grade,
        "rows": rows,
        "error": error,
        "add_form": SubjectAddForm(grade=grade),
    }
    return render(request, "students/setup/subject_catalogue.html", context, status=status)


@managers_only
def subject_add_view(request):
    grade = get_object_or_404(GradeLevel, number=int_or_none(request.GET.get("grade")))
    form = SubjectAddForm(request.POST or None, grade=grade)
    if request.method == "POST" and form.is_valid():
        try:
            subject = services.subject_add(actor=request.user, grade=grade, **form.cleaned_data)
        except SetupError as error:
            form.add_error("name", str(error))
        else:
            messages.success(
                request,
                gettext("Đã thêm môn %(name)s vào khối %(grade)d.")
                % {"name": subject.name, "grade": grade.number},
            )
            return redirect(f"{_catalogue_url()}?grade={grade.number}")
    context = {"form": form, "grade": grade}
    return render(request, "students/setup/subject_add.html", context, status=_status(request, form))


def _catalogue_url() -> str:
    return reverse("subject_catalogue")


def _subject_back(request, subject) -> str:
    grade = int_or_none(request.GET.get("grade"))
    if grade is None:
        first = GradeLevel.objects.filter(level=subject.level).order_by("number").first()
        grade = first.number if first else ""
    return f"{_catalogue_url()}?grade={grade}"


@managers_only
def subject_edit_view(request, pk):
    """Rename a subject; the page also offers to stop (or resume) teaching it (subject_active_view)."""
    subject = get_object_or_404(Subject, pk=pk)
    back = _subject_back(request, subject)
    form = SubjectRenameForm(request.POST or None, initial={"name": subject.name})
    if request.method == "POST" and form.is_valid():
        try:
            subject = services.subject_rename(
                actor=request.user, subject=subject, name=form.cleaned_data["name"]
            )
        except SetupError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, gettext("Đã đổi tên môn thành %(name)s.") % {"name": subject.name})
            return redirect(back)
    context = {"subject": subject, "form": form, "back": back}
    return render(request, "students/setup/subject_edit.html", context, status=_status(request, form))


@managers_only
def subject_active_view(request, pk):
    """POST active=0: stop teaching the subject at the school (refused while it has assignments this
    year); active=1: teach it again."""
    subject = get_object_or_404(Subject, pk=pk)
    if request.method != "POST":
        return redirect("subject_edit", pk=pk)
    back = _subject_back(request, subject)
    active = request.POST.get("active") == "1"
    try:
        services.subject_active_set(actor=request.user, subject=subject, active=active)
    except SetupError as error:
        form = SubjectRenameForm(initial={"name": subject.name})
        context = {"subject": subject, "form": form, "back": back, "error": str(error)}
        return render(request, "students/setup/subject_edit.html", context, status=400)
    done = gettext("Môn %(name)s được dạy lại.") if active else gettext("Môn %(name)s đã ngừng dạy.")
    messages.success(request, done % {"name": subject.name})
    return redirect(back)


# --- teaching assignments ---------------------------------------------------------------------------------


@managers_only
def assignment_add_view(request):
    """One teacher, one subject, one or more classes (the quick way to give a teacher a subject across
    several classes); ?teacher=, ?subject=, ?class= preselect."""
    year = current_year()
    if year is None:
        raise Http404
    initial = {
        "teacher": int_or_none(request.GET.get("teacher")),
        "subject": int_or_none(request.GET.get("subject")),
        "classes": [pk for pk in map(int_or_none, request.GET.getlist("class")) if pk],
    }
    form = AssignmentAddForm(request.POST or None, year=year, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.assignments_add(
                actor=request.user,
                teacher=form.cleaned_data["teacher"],
                subject=form.cleaned_data["subject"],
                classes=list(form.cleaned_data["classes"]),
            )
        except SetupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext("Đã phân công %(teacher)s dạy %(subject)s ở %(classes)s.")
                % {
                    "teacher": form.cleaned_data["teacher"].full_name,
                    "subject": form.cleaned_data["subject"].name,
                    "classes": ", ".join(a.school_class.name for a in created),
                },
            )
            return redirect("assignment_list")
    context = {"form": form, "year": year}
    return render(request, "students/setup/assignment_add.html", context, status=_status(request, form))


@managers_only
def assignment_remove_view(request, pk):
    """GET: what removing does (the marks already entered stay); POST: remove."""
    assignment = get_object_or_404(
        TeachingAssignment.objects.select_related("teacher", "school_class__year", "subject"), pk=pk
    )
    if request.method == "POST":
        services.assignment_remove(actor=request.user, assignment=assignment)
        messages.success(
            request,
            gettext("Đã bỏ phân công %(teacher)s dạy %(subject)s lớp %(class)s.")
            % {
                "teacher": assignment.teacher.full_name,
                "subject": assignment.subject.name,
                "class": assignment.school_class.name,
            },
        )
        return redirect("assignment_list")
    context = {"assignment": assignment, "scores": marks.assignment_marks(assignment)}
    return render(request, "students/setup/assignment_remove.html", context)
