"""The principal's dashboard (Circular 22), its primary counterpart (Circular 27) and their drill-down
lists. Managers (school admin, principal, vice principal) only; anyone else, including teachers and
guardians of the school, gets 404."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grades.dashboard import primary
from grades.dashboard.selectors import KINDS, LEVEL_KEYS, NONE, Period, dashboard, drill_down, progress_cells
from grades.primary.services import checkpoint_of
from grades.rules.circular27 import Checkpoint
from schoolbook.forms import int_or_none
from schoolbook.permissions import school_role_required
from students.models import Assessment, SchoolClass, SchoolYear, Subject, Term
from students.permissions import MANAGERS
from tenants.models import Level

PAGE_SIZE = 50


def _period(request) -> tuple[Period | None, list[tuple[SchoolYear, list[Term]]]]:
    """The period asked for (?term=<id> or ?year=<id>), by default the current year's term that contains
    today (else its first term); 404 for an unknown id. Also every year with its terms, for the selector."""
    years: dict[int, tuple[SchoolYear, list[Term]]] = {}
    for term in Term.objects.select_related("year").order_by("-year__starts_on", "number"):
        years.setdefault(term.year_id, (term.year, []))[1].append(term)
    term_id, year_id = int_or_none(request.GET.get("term")), int_or_none(request.GET.get("year"))
    if term_id is not None:
        term = next((t for _, terms in years.values() for t in terms if t.pk == term_id), None)
        if term is None:
            raise Http404
        return Period(term.year, term, tuple(years[term.year_id][1])), list(years.values())
    if year_id is not None:
        if year_id not in years:
            raise Http404
        year, terms = years[year_id]
        return Period(year, None, tuple(terms)), list(years.values())
    current = next(((y, terms) for y, terms in years.values() if y.is_current), None)
    if current is None:
        return None, list(years.values())
    year, terms = current
    today = timezone.localdate()
    term = next((t for t in terms if t.starts_on <= today <= t.ends_on), terms[0])
    return Period(year, term, tuple(terms)), list(years.values())


def _period_query(period: Period) -> str:
    return f"term={period.term.pk}" if period.term else f"year={period.year.pk}"


@school_role_required(*MANAGERS)
def dashboard_view(request):
    period, years = _period(request)
    board = dashboard(period) if period else None
    context = {
        "period": period,
        "years": years,
        "board": board,
        "learning_rows": [(row, row.learning) for row in board.classes] if board else [],
        "conduct_rows": [(row, row.conduct) for row in board.classes] if board else [],
        "period_query": _period_query(period) if period else "",
        "level_keys": LEVEL_KEYS,
    }
    return render(request, "grades/dashboard.html", context)


@school_role_required(*MANAGERS)
def dashboard_list_view(request):
    period, _ = _period(request)
    kind, value = request.GET.get("kind", ""), request.GET.get("value", "")
    class_id = int_or_none(request.GET.get("class"))
    if period is None or kind not in KINDS or (kind == "resit" and period.term is not None):
        raise Http404
    school_class = None
    if class_id is not None or kind in ("progress", "average"):
        school_class = get_object_or_404(SchoolClass, pk=class_id, year=period.year)
    subject = None
    if kind in ("progress", "average"):
        subject = get_object_or_404(Subject, pk=int_or_none(value))
    if kind in ("learning", "conduct") and value not in (*LEVEL_KEYS, NONE):
        raise Http404
    cells = None
    if kind == "progress":
        if period.term is None:
            raise Http404
        cells = progress_cells(period, school_class, subject)
        items = cells.rows
    else:
        items = drill_down(period, kind, value, school_class.pk if school_class else None)
    context = {
        "period": period,
        "period_query": _period_query(period),
        "kind": kind,
        "value": value,
        "school_class": school_class,
        "subject": subject,
        "title": _title(kind, value, subject),
        "cells": cells,
        "page": Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")),
        "count": len(items),
    }
    return render(request, "grades/dashboard_list.html", context)


def _title(kind: str, value: str, subject) -> str:
    level = LEVEL_KEYS.get(value)
    if kind == "progress":
        return gettext("Tiến độ nhập điểm môn %(subject)s") % {"subject": subject.name}
    if kind == "average":
        return gettext("Điểm trung bình môn %(subject)s") % {"subject": subject.name}
    if kind == "learning":
        label = level.label if level else gettext("Chưa đủ điểm")
        return gettext("Kết quả học tập: %(level)s") % {"level": label}
    if kind == "conduct":
        label = level.label if level else gettext("Chưa đánh giá")
        return gettext("Kết quả rèn luyện: %(level)s") % {"level": label}
    if kind == "risk":
        return gettext("Học sinh cần quan tâm (học tập hoặc rèn luyện Chưa đạt)")
    return gettext("Học sinh kiểm tra lại trong hè")


# --- primary classes (Circular 27) -------------------------------------------------------------------------

PRIMARY_HEADS = {
    "rating": [
        (key, label)
        for key, label in zip(
            primary.RATING_KEYS,
            [_("Hoàn thành tốt"), _("Hoàn thành"), _("Chưa hoàn thành"), _("Chưa đánh giá")],
            strict=True,
        )
    ],
    "test": list(zip(primary.TEST_KEYS, ["9–10", "7–8", "5–6", _("Dưới 5"), _("Chưa có điểm")], strict=True)),
    "quality": list(
        zip(
            primary.QUALITY_KEYS,
            [_("Tốt mọi mục"), _("Đạt trở lên"), _("Có mục Cần cố gắng"), _("Chưa đánh giá đủ")],
            strict=True,
        )
    ),
    "result": list(
        zip(
            primary.RESULT_KEYS,
            [
                _("Hoàn thành xuất sắc"),
                _("Hoàn thành tốt"),
                _("Hoàn thành"),
                _("Chưa hoàn thành"),
                _("Chưa đủ đánh giá"),
                _("Hoàn thành chương trình lớp học"),
            ],
            strict=True,
        )
    ),
}


def _primary_period(request) -> tuple[SchoolYear | None, Checkpoint | None]:
    """The year (?year=<id>, else the current one; 404 for an unknown id) and the checkpoint (?checkpoint=,
    else the latest one with a rating; 404 for an unknown value)."""
    year_id = int_or_none(request.GET.get("year"))
    if year_id is not None:
        year = get_object_or_404(SchoolYear, pk=year_id)
    else:
        year = SchoolYear.objects.filter(is_current=True).first()
    if year is None:
        return None, None
    value = request.GET.get("checkpoint")
    if value is None:
        return year, primary.latest_checkpoint(year)
    checkpoint = checkpoint_of(value)
    if checkpoint is None:
        raise Http404
    return year, checkpoint


@school_role_required(*MANAGERS)
def primary_dashboard_view(request):
    year, checkpoint = _primary_period(request)
    context = {
        "year": year,
        "checkpoint": checkpoint,
        "checkpoints": list(Checkpoint),
        "board": primary.primary_dashboard(year, checkpoint) if year else None,
        "heads": PRIMARY_HEADS,
        "query": f"year={year.pk}&checkpoint={checkpoint.value}" if year else "",
    }
    return render(request, "grades/dashboard_primary.html", context)


@school_role_required(*MANAGERS)
def primary_dashboard_list_view(request):
    year, checkpoint = _primary_period(request)
    kind, value = request.GET.get("kind", ""), request.GET.get("value", "")
    if year is None or kind not in primary.KINDS or value not in dict(PRIMARY_HEADS[kind]):
        raise Http404
    if kind == "result" and checkpoint != Checkpoint.END_OF_YEAR:
        raise Http404
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("grade", "year"),
        pk=int_or_none(request.GET.get("class")),
        year=year,
        grade__level=Level.PRIMARY,
    )
    subject = None
    if kind in ("rating", "test"):
        subject = get_object_or_404(
            Subject, pk=int_or_none(request.GET.get("subject")), assessment=Assessment.PRIMARY_RATING
        )
    students = primary.checkpoint_students(school_class, checkpoint, kind, value, subject)
    context = {
        "year": year,
        "checkpoint": checkpoint,
        "school_class": school_class,
        "subject": subject,
        "kind": kind,
        "label": dict(PRIMARY_HEADS[kind])[value],
        "back": f"year={year.pk}&checkpoint={checkpoint.value}",
        "page": Paginator(students, PAGE_SIZE).get_page(request.GET.get("page")),
        "count": len(students),
    }
    return render(request, "grades/dashboard_primary_list.html", context)
