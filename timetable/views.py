"""Timetable pages: the managers' list of classes, a class's week (its versions for managers), the grid that
makes a new version (confirmed with who is told and the cost), the whole school's import (upload → preview
with every bad row → confirm with the estimate → all or nothing), the teacher's own week, a child's today
and week for the parent, and the periods per session."""

import datetime

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from schoolbook.confirm import FIELD, confirm_page, confirmed
from schoolbook.permissions import school_role_required
from students.imports.flow import preview_confirmed, preview_delete, preview_get, preview_save, problems_csv
from students.models import SchoolClass, StaffMember, Subject
from students.permissions import guardian_of_student_required, is_manager
from timetable.forms import GridForm, SettingsForm, TimetableUploadForm, field_name
from timetable.importer import KIND, timetable_importer
from timetable.models import TimetableChange, TimetableSettings
from timetable.permissions import EDITORS, READERS
from timetable.rules import WEEKDAYS, week_start
from timetable.selectors import (
    can_view_class,
    class_versions,
    class_week,
    school_slots,
    student_week,
    teacher_week,
    version_cells,
    version_holding,
    visible_classes,
    weekday_name,
)
from timetable.services import (
    Grid,
    TimetableError,
    assigned_teachers,
    grade_subjects,
    timetable_settings_update,
    timetables_apply,
    timetables_check,
    timetables_plan,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(request) -> datetime.date:
    """?day=YYYY-MM-DD, else today."""
    try:
        return datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


def _week_context(week, today):
    return {"week": week, "today": today, "today_day": week.day(today) if week else None}


@school_role_required(*READERS)
def timetable_home(request):
    """Managers: every class of the year with its current version; teachers: their own week."""
    if not is_manager(request.staff):
        return redirect("timetable_mine")
    today = timezone.localdate()
    classes = list(visible_classes(request.staff))
    for school_class in classes:
        school_class.current = version_holding(school_class, today)
    context = {"classes": classes, "edits": request.staff.has_role(*EDITORS)}
    return render(request, "timetable/home.html", context)


@school_role_required(*READERS)
def timetable_mine(request):
    today = timezone.localdate()
    week = teacher_week(request.staff, _day(request))
    context = {**_week_context(week, today), "mine": True, "classes": visible_classes(request.staff)}
    return render(request, "timetable/teacher_week.html", context)


@school_role_required(*READERS)
def class_timetable(request, pk):
    school_class = get_object_or_404(SchoolClass.objects.select_related("year", "grade"), pk=pk)
    if not can_view_class(request.staff, school_class):
        raise Http404
    today = timezone.localdate()
    context = {
        **_week_context(class_week(school_class, _day(request)), today),
        "school_class": school_class,
        "versions": class_versions(school_class) if is_manager(request.staff) else [],
        "edits": request.staff.has_role(*EDITORS),
    }
    return render(request, "timetable/class_week.html", context)


@guardian_of_student_required(profile=False)
def student_timetable(request, pk):
    """A child's today and week, phone first."""
    today = timezone.localdate()
    school_class, week = student_week(request.student, _day(request))
    context = {**_week_context(week, today), "student": request.student, "school_class": school_class}
    return render(request, "timetable/student_week.html", context)


# --- the grid -----------------------------------------------------------------------------------------------


@school_role_required(*EDITORS)
def class_timetable_edit(request, pk):
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("year", "grade"), pk=pk, year__is_current=True
    )
    today = timezone.localdate()
    try:
        starts_on = datetime.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        starts_on = max(week_start(today) + datetime.timedelta(days=7), school_class.year.starts_on)
    slots = school_slots()
    subject_ids = grade_subjects([school_class.grade_id])[school_class.grade_id]
    subjects = list(Subject.objects.filter(pk__in=subject_ids, is_active=True).order_by("order", "name"))
    staff = list(StaffMember.objects.filter(is_active=True).order_by("sort_key"))
    assigned = assigned_teachers([school_class])
    initial = {"starts_on": starts_on}
    if request.method != "POST":
        for slot, lesson in version_cells(version_holding(school_class, starts_on)).items():
            initial[field_name(slot, "subject")] = str(lesson.subject_id)
            default = assigned.get((school_class.pk, lesson.subject_id))
            if lesson.teacher_id and (default is None or default.pk != lesson.teacher_id):
                initial[field_name(slot, "teacher")] = str(lesson.teacher_id)
            initial[field_name(slot, "room")] = lesson.room
    form = GridForm(
        request.POST or None, initial=initial, school_class=school_class, slots=slots,
        subjects=subjects, staff=staff, assigned=assigned,
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        done = _grid_save(request, form, school_class)
        if done is not None:
            return done
    context = {
        "form": form,
        "school_class": school_class,
        "weekdays": [weekday_name(day) for day in WEEKDAYS],
    }
    return render(request, "timetable/grid.html", context)


def _grid_save(request, form, school_class):
    """The confirmation, or the save once confirmed; None to show the form again (its errors added)."""
    starts_on = form.cleaned_data["starts_on"]
    grid = Grid(school_class, form.cells())
    try:
        problems = timetables_check([grid], starts_on)
        if problems:
            raise TimetableError(problems)
        plan = timetables_plan(school=request.tenant, grids=[grid], starts_on=starts_on)
        if not plan.changed:
            form.add_error(
                None, gettext("Thời khoá biểu này giống hệt bản đang áp dụng: không có gì để lưu.")
            )
            return None
        if confirmed(request, plan.token):
            change, plan = timetables_apply(
                actor=request.user, school=request.tenant, grids=[grid], starts_on=starts_on,
                source=TimetableChange.Source.GRID, token=plan.token,
            )  # fmt: skip
            if change is not None:
                messages.success(
                    request,
                    gettext(
                        "Đã lưu thời khoá biểu lớp %(name)s áp dụng từ %(date)s; "
                        "%(count)d người được thông báo."
                    )
                    % {"name": school_class.name, "date": f"{starts_on:%d/%m/%Y}", "count": change.notified},
                )
                return redirect(f"{reverse('class_timetable', args=[school_class.pk])}?day={starts_on}")
    except TimetableError as error:
        for problem in error.problems:
            form.add_error(
                field_name(problem.slot, "subject") if problem.slot else "starts_on", problem.message
            )
        return None
    return _confirm(
        request,
        plan,
        fields={k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", FIELD)},
        back=request.get_full_path(),
    )


def _confirm(request, plan, *, fields, back, **extra):
    names = ", ".join(grid.school_class.name for grid in plan.changed)
    summary = [
        gettext("Thời khoá biểu mới của lớp %(names)s áp dụng từ ngày %(date)s.")
        % {"names": names, "date": f"{plan.starts_on:%d/%m/%Y}"},
        gettext(
            "Sẽ gửi %(count)d tin nhắn: phụ huynh của các lớp và giáo viên có tiết thay đổi, "
            "mỗi người một tin."
        )
        % {"count": plan.people},
    ]
    return confirm_page(
        request, title=gettext("Xác nhận lưu thời khoá biểu"), action=request.get_full_path(),
        token=plan.token, fields=fields, summary=summary, estimate=plan.estimate if plan.items else None,
        sample=plan.items[0][1] if plan.items else "", button=gettext("Lưu và gửi thông báo"), back=back,
        **extra,
    )  # fmt: skip


# --- the import ---------------------------------------------------------------------------------------------


@school_role_required(*EDITORS)
def timetable_import(request):
    """Upload (no token), the preview (?token=…), or the confirmation (POST with the token)."""
    if request.method == "POST" and "token" in request.POST:
        return _import_confirm(request)
    if "token" in request.GET:
        pending = preview_get(actor=request.user, token=request.GET["token"], kind=KIND)
        if pending is None:
            return _expired(request)
        return _import_preview(request, pending)
    form = TimetableUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        pending = preview_save(
            actor=request.user, kind=KIND, data=upload.read(), filename=upload.name,
            context={"starts_on": form.cleaned_data["starts_on"].isoformat()},
        )  # fmt: skip
        return redirect(f"{reverse('timetable_import')}?token={pending.token}")
    return render(request, "timetable/import_upload.html", {"form": form})


def _starts_on(pending) -> datetime.date:
    return datetime.date.fromisoformat(pending.context["starts_on"])


def _import_preview(request, pending, *, report=None, status=200):
    if report is None:
        importer = timetable_importer(school=request.tenant, starts_on=_starts_on(pending))
        report = importer.check(pending.data, pending.filename)
    context = {
        "report": report, "summary": report.summary, "pending": pending, "plan": report.plan,
        "starts_on": _starts_on(pending),
        "estimate": report.plan.estimate if report.plan and report.plan.items else None,
        "stale": request.method == "POST" and bool(request.POST.get(FIELD)),
    }  # fmt: skip
    return render(request, "timetable/import_preview.html", context, status=status)


def _import_confirm(request):
    pending = preview_confirmed(
        actor=request.user, token=request.POST["token"], sha256=request.POST.get("sha256"), kind=KIND
    )
    if pending is None:
        return _expired(request)
    starts_on = _starts_on(pending)
    report = timetable_importer(school=request.tenant, starts_on=starts_on).check(
        pending.data, pending.filename
    )
    if not report.ok or not confirmed(request, report.plan.token):
        return _import_preview(request, pending, report=report)
    importer = timetable_importer(school=request.tenant, starts_on=starts_on, token=report.plan.token)
    report = importer.commit(
        actor=request.user, school=request.tenant, data=pending.data, filename=pending.filename
    )
    if not report.committed:
        return _import_preview(request, pending, report=report, status=422)
    preview_delete(actor=request.user, preview=pending)
    summary = report.summary
    messages.success(
        request,
        gettext(
            "Đã nhập thời khoá biểu của %(classes)d lớp áp dụng từ %(date)s; %(people)d người được thông báo."
        )
        % {"classes": summary.classes_changed, "date": f"{starts_on:%d/%m/%Y}", "people": summary.people},
    )
    return redirect("timetable_home")


@school_role_required(*EDITORS)
def timetable_import_problems(request):
    pending = preview_get(actor=request.user, token=request.GET.get("token", ""), kind=KIND)
    if pending is None:
        raise Http404
    report = timetable_importer(school=request.tenant, starts_on=_starts_on(pending)).check(
        pending.data, pending.filename
    )
    response = HttpResponse(problems_csv(report.problems), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="loi-thoi-khoa-bieu.csv"'
    return response


@school_role_required(*EDITORS)
def timetable_import_template(request):
    importer = timetable_importer(school=request.tenant, starts_on=timezone.localdate())
    example = ["6A1", 2, "Sáng", 1, "Toán", "", "P.201"]
    data = importer.template_workbook(example, lambda key: key in ("class", "teacher", "room"))
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-thoi-khoa-bieu.xlsx"'
    return response


def _expired(request):
    messages.error(request, gettext("Tệp đã hết hạn chờ xác nhận (30 phút). Vui lòng tải lên lại."))
    return redirect("timetable_import")


# --- settings -----------------------------------------------------------------------------------------------


@school_role_required(*EDITORS)
def timetable_settings(request):
    form = SettingsForm(request.POST or None, instance=TimetableSettings.current())
    if request.method == "POST" and form.is_valid():
        timetable_settings_update(actor=request.user, **form.cleaned_data)
        messages.success(request, gettext("Đã lưu số tiết mỗi buổi."))
        return redirect("timetable_home")
    return render(request, "timetable/settings.html", {"form": form})
