"""The assessment plan page (issue 4, item 2): per grade, each subject's kind of assessment, periods per year
and number of regular assessments per semester. Managers see it; school admins and principals change the
numbers while grade entry has not started; anyone else gets 404 (schoolbook.permissions)."""

from django.contrib import messages
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from grades.models import MAX_REGULAR, MIN_REGULAR, AssessmentPlan
from grades.services import GradeError, assessment_plan_generate, assessment_plan_update
from schoolbook.permissions import school_role_required
from students.models import Role, SchoolYear, SubjectLoad
from students.permissions import MANAGERS

EDITORS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _plans(year):
    periods = SubjectLoad.objects.filter(subject=OuterRef("subject"), grade=OuterRef("grade")).values(
        "periods_per_year"
    )[:1]
    return list(
        AssessmentPlan.objects.filter(year=year)
        .select_related("grade", "subject")
        .annotate(periods_per_year=Subquery(periods))
        .order_by("grade__number", "subject__order", "subject__name")
    )


def _save(request, plans) -> dict[int, str]:
    """Apply every changed row, or none: returns the errors by plan id (empty when all were saved)."""
    errors: dict[int, str] = {}
    changes: list[tuple[AssessmentPlan, int]] = []
    for plan in plans:
        raw = request.POST.get(f"count-{plan.pk}")
        if raw is None or not plan.is_adjustable:
            continue
        raw = raw.strip()
        if not raw.isdigit():
            errors[plan.pk] = gettext("Nhập một số nguyên từ %(low)s đến %(high)s.") % {
                "low": MIN_REGULAR,
                "high": MAX_REGULAR,
            }
        elif int(raw) != plan.regular_count:
            changes.append((plan, int(raw)))
    if errors:
        return errors
    with transaction.atomic():
        for plan, count in changes:
            try:
                assessment_plan_update(actor=request.user, plan=plan, regular_count=count, request=request)
            except GradeError as error:
                errors[plan.pk] = str(error)
        if errors:
            transaction.set_rollback(True)
    if not errors and changes:
        messages.success(
            request, gettext("Đã lưu kế hoạch đánh giá (%(count)s môn thay đổi).") % {"count": len(changes)}
        )
    return errors


@school_role_required(*MANAGERS)
def assessment_plan_view(request):
    years = list(SchoolYear.objects.order_by("-starts_on"))
    year_id = _int_or_none(request.GET.get("year"))
    year = next((y for y in years if y.pk == year_id), None) or next((y for y in years if y.is_current), None)
    can_edit = request.staff.has_role(*EDITORS)
    if request.method == "POST" and (not can_edit or year is None):
        raise Http404
    if year is not None:
        assessment_plan_generate(actor=request.user, year=year)
    plans = _plans(year) if year else []
    errors: dict[int, str] = {}
    if request.method == "POST":
        errors = _save(request, plans)
        if not errors:
            return redirect(f"{reverse('assessment_plan')}?year={year.pk}")
    for plan in plans:
        plan.error = errors.get(plan.pk, "")
        plan.entered = (
            request.POST.get(f"count-{plan.pk}", plan.regular_count) if errors else plan.regular_count
        )
        plan.editable = can_edit and plan.is_adjustable
    context = {
        "years": years,
        "year": year,
        "plans": plans,
        "can_edit": can_edit and any(plan.editable for plan in plans),
        "errors": errors,
        "min_regular": MIN_REGULAR,
        "max_regular": MAX_REGULAR,
    }
    return render(request, "grades/assessment_plan.html", context, status=400 if errors else 200)
