"""Attendance statistics pages (per day, per month, per class and month, the students near the limit) and
the district export. Managers see every class of the current year, homeroom teachers their own classes;
anyone else gets 404. The export is for the school admin and the principal only."""

import datetime

from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from attendance import rules
from attendance.permissions import is_principal, principals_required
from attendance.stats import selectors as stats
from attendance.stats.export import FORMATS, TABLES, export_csv, export_json, export_period
from attendance.stats.services import export_record
from students.permissions import is_manager

PAGE_SIZE = 50


def _render(request, template, context):
    """Every statistics page has the same links on top; the export link only for those who may export."""
    can_export = is_principal(request.staff)
    return render(request, template, {**context, "can_export": can_export})


def _classes_or_404(request):
    """The classes the person may see; 404 for those who have none to see (a manager always has the pages,
    with their empty states before the year has classes)."""
    staff = getattr(request, "staff", None)
    classes = stats.visible_classes(staff)
    if not is_manager(staff) and not classes.exists():
        raise Http404
    return classes


def _day(request) -> datetime.date:
    """?day=2026-11-25, else today (a malformed date too: the page then says which day it shows)."""
    try:
        return datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


def _month(request) -> datetime.date:
    """?month=2026-11, else this month; the first day of the month."""
    try:
        return datetime.date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        return timezone.localdate().replace(day=1)


def _neighbours(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    return previous, stats.month_bounds(month)[1] + datetime.timedelta(days=1)


def stats_day_view(request):
    classes = _classes_or_404(request)
    day = _day(request)
    context = {
        "overview": stats.day_overview(classes, day),
        "previous": day - datetime.timedelta(days=1),
        "next": day + datetime.timedelta(days=1),
        "is_manager": is_manager(request.staff),
    }
    return _render(request, "attendance/stats_day.html", context)


def stats_month_view(request):
    classes = _classes_or_404(request)
    month = _month(request)
    previous, following = _neighbours(month)
    context = {"overview": stats.month_overview(classes, month), "previous": previous, "next": following}
    return _render(request, "attendance/stats_month.html", context)


def stats_class_view(request, class_pk):
    school_class = get_object_or_404(_classes_or_404(request).select_related("year"), pk=class_pk)
    month = _month(request)
    previous, following = _neighbours(month)
    context = {
        "grid": stats.class_month(school_class, month),
        "previous": previous,
        "next": following,
        "limit": rules.LIMIT,
        "warn_from": rules.WARN_FROM,
    }
    return _render(request, "attendance/stats_class.html", context)


def stats_limit_view(request):
    classes = _classes_or_404(request)
    year = stats.current_year()
    rows = stats.students_near_limit(classes, year, timezone.localdate()) if year else []
    context = {
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "limit": rules.LIMIT,
        "warn_from": rules.WARN_FROM,
    }
    return _render(request, "attendance/stats_limit.html", context)


@principals_required
def export_page_view(request):
    """The links to the files of a day and of a month (today and this month unless others were picked)."""
    day, month = _day(request), _month(request)
    context = {"periods": [(day, day.isoformat()), (month, month.strftime("%Y-%m"))]}
    return _render(request, "attendance/stats_export.html", context)


@principals_required
def export_view(request, period, fmt):
    found = export_period(period)
    table = request.GET.get("table", "marks") if fmt == "csv" else None
    if found is None or fmt not in FORMATS or (table is not None and table not in TABLES):
        raise Http404
    export_record(actor=request.user, period=found, fmt=fmt, table=table)
    if fmt == "csv":
        response = StreamingHttpResponse(export_csv(found, table), content_type="text/csv; charset=utf-8")
        filename = f"diem-danh-{request.tenant.code}-{found.text}-{table}.csv"
    else:
        response = StreamingHttpResponse(export_json(found, request.tenant), content_type="application/json")
        filename = f"diem-danh-{request.tenant.code}-{found.text}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
