"""Roll call pages: the staff member's day (classes to take, taken or not; managers see every class and
pick the day) and the roll call itself, saved with HTMX (the form is swapped for the saved one)."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from attendance.marks.services import AttendanceError
from attendance.models import Session
from attendance.permissions import can_take_roll_call, is_principal, staff_required
from attendance.roll_call.forms import roll_call_marks, roll_call_version
from attendance.roll_call.selectors import class_days, roll_call_sheet, teacher_assignments
from attendance.roll_call.services import PERIODS, day_editable_error, period_taken_error, roll_call_save
from students.models import SchoolClass, Subject
from students.permissions import is_manager
from students.selectors import class_list, current_year, homeroom_classes, is_day_off

CLASSES_PER_PAGE = 30


def _day(value: str | None, default: datetime.date | None = None) -> datetime.date:
    """A date from the URL (YYYY-MM-DD), 404 if it is not one."""
    if not value and default:
        return default
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        raise Http404 from None


@staff_required
def attendance_home_view(request):
    """Teachers: their homeroom classes (morning, afternoon) and the classes they teach (periods). Managers:
    every class of the year on the day they pick. On a school's day off the page says so, and roll calls may
    still be taken (a make-up day)."""
    today = timezone.localdate()
    day = min(_day(request.GET.get("day"), today), today)
    staff = request.staff
    context = {
        "day": day,
        "today": today,
        "is_manager": is_manager(staff),
        "sets_rules": is_principal(staff),
        "periods": PERIODS,
        "day_off": is_day_off(day),
    }
    if context["is_manager"]:
        page = Paginator(class_list(year=current_year()), CLASSES_PER_PAGE).get_page(request.GET.get("page"))
        context["page"], context["classes"] = page, class_days(page.object_list, day)
    else:
        context["classes"] = class_days(homeroom_classes(staff), day)
    assignments = list(teacher_assignments(staff))
    taken = {c.school_class.pk: c.periods for c in class_days({a.school_class for a in assignments}, day)}
    context["assignments"] = [
        (a, [r for r in taken.get(a.school_class_id, []) if r.subject_id == a.subject_id])
        for a in assignments
    ]
    context["sessions"] = Session.choices
    return render(request, "attendance/roll_call_home.html", context)


def _slot(request, class_pk, day):
    """The roll call the URL names (class, day; session, period and subject in the query string), or 404
    for a slot that does not exist or that the staff member may not take."""
    school_class = get_object_or_404(SchoolClass, pk=class_pk)
    day = _day(day)
    session = request.GET.get("session", "")
    period = request.GET.get("period") or "0"
    if session not in Session.values or not period.isdigit() or (int(period) and int(period) not in PERIODS):
        raise Http404
    period = int(period)
    subject = get_object_or_404(Subject, pk=request.GET.get("subject") or 0) if period else None
    if not can_take_roll_call(request.staff, school_class, period, subject):
        raise Http404
    return school_class, day, session, period, subject


@staff_required
def roll_call_view(request, class_pk, day):
    school_class, day, session, period, subject = _slot(request, class_pk, day)
    htmx = request.headers.get("HX-Request") == "true"
    error = None
    if request.method == "POST":
        try:
            roll_call_save(
                actor_staff=request.staff,
                school_class=school_class,
                day=day,
                session=session,
                marks=roll_call_marks(request.POST),
                period=period,
                subject=subject,
                version=roll_call_version(request.POST),
            )
        except AttendanceError as refused:  # a conflict included: the form shows the latest marks
            error = str(refused)
        else:
            if not htmx:
                messages.success(request, gettext("Đã lưu điểm danh."))
                return redirect(request.get_full_path())
    sheet = roll_call_sheet(school_class, day, session, period, subject)
    read_only = day_editable_error(request.staff, day)
    if sheet.roll_call and sheet.roll_call.subject_id != (subject.pk if subject else None):
        read_only = period_taken_error(sheet.roll_call)
    context = {
        "school_class": school_class,
        "day": day,
        "session": session,
        "session_label": Session(session).label,
        "period": period,
        "subject": subject,
        "sheet": sheet,
        "error": error,
        "read_only": read_only,
        "saved": request.method == "POST" and error is None,
        "action": request.get_full_path(),
        "back_day": day.isoformat(),
    }
    template = "attendance/_roll_call_form.html" if htmx else "attendance/roll_call.html"
    return render(request, template, context)
