"""The results pages: the assessment plan (per grade, each subject's kind of assessment, periods per year
and number of regular assessments per semester: managers see it; school admins and principals change the
numbers while grade entry has not started), and the class results, conduct and its publication (the
homeroom teacher; managers also see the results). Anyone else gets 404."""

from django.contrib import messages
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from grades.cells import GradeError
from grades.models import MAX_REGULAR, MIN_REGULAR, AssessmentPlan, Conduct
from grades.permissions import PLAN_EDITORS
from grades.publication.services import conduct_publish, conduct_publish_preview
from grades.results.selectors import class_results
from grades.results.services import (
    ConductError,
    assessment_plan_generate,
    assessment_plan_update,
    conduct_set,
)
from grades.rules.circular22 import Level
from schoolbook.forms import int_or_none
from schoolbook.permissions import school_role_required
from students.models import SchoolClass, SchoolYear, SubjectLoad, Term
from students.permissions import MANAGERS, is_homeroom_teacher_of, is_manager


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
                assessment_plan_update(actor=request.user, plan=plan, regular_count=count)
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
    year_id = int_or_none(request.GET.get("year"))
    year = next((y for y in years if y.pk == year_id), None) or next((y for y in years if y.is_current), None)
    can_edit = request.staff.has_role(*PLAN_EDITORS)
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


# --- the homeroom teacher's pages: class results and conduct ---------------------------------------


def _class_or_404(request, pk, *, managers_too: bool) -> SchoolClass:
    """The class, for its homeroom teacher (and managers when `managers_too`); 404 for anyone else."""
    school_class = SchoolClass.objects.select_related("year", "grade").filter(pk=pk).first()
    if school_class is None or school_class.grade.level == "primary":
        raise Http404
    staff = getattr(request, "staff", None)
    if not (is_homeroom_teacher_of(staff, school_class) or (managers_too and is_manager(staff))):
        raise Http404
    return school_class


def _term_of(school_class, raw, terms) -> Term | None:
    term_id = int_or_none(raw)
    return next((t for t in terms if t.pk == term_id), None)


def class_results_view(request, pk):
    school_class = _class_or_404(request, pk, managers_too=True)
    terms = list(Term.objects.filter(year_id=school_class.year_id).order_by("number"))
    raw = request.GET.get("term", "")
    if raw == "year":
        term = None
    else:
        term = _term_of(school_class, raw, terms) if raw else (terms[0] if terms else None)
        if term is None and raw:
            raise Http404
    results = class_results(school_class, term)
    context = {
        "school_class": school_class,
        "terms": terms,
        "term": term,
        "results": results,
        "is_homeroom": is_homeroom_teacher_of(request.staff, school_class),
    }
    return render(request, "grades/class_results.html", context)


def conduct_view(request, pk):
    school_class = _class_or_404(request, pk, managers_too=False)
    terms = list(Term.objects.filter(year_id=school_class.year_id).order_by("number"))
    term = _term_of(school_class, request.GET.get("term"), terms) or (terms[0] if terms else None)
    if term is None:
        raise Http404
    students = class_results(school_class, term).rows  # the class's students, by name
    current = dict(
        Conduct.objects.filter(term=term, student__in=[row.student for row in students]).values_list(
            "student_id", "rating"
        )
    )
    errors: dict[int, str] = {}
    error = ""
    if request.method == "POST":
        ratings = {row.student.pk: request.POST.get(f"conduct-{row.student.pk}", "") for row in students}
        try:
            changed = conduct_set(
                actor_staff=request.staff,
                school_class=school_class,
                term=term,
                ratings=ratings,
            )
        except ConductError as refused:
            errors, error = refused.errors, str(refused)
        except GradeError as refused:
            error = str(refused)
        else:
            messages.success(
                request,
                gettext("Đã lưu kết quả rèn luyện (%(count)s học sinh thay đổi).") % {"count": changed},
            )
            return redirect(f"{reverse('class_conduct', args=[school_class.pk])}?term={term.pk}")
        current = ratings
    rows = [
        {
            "student": row.student,
            "rating": current.get(row.student.pk, ""),
            "error": errors.get(row.student.pk, ""),
        }
        for row in students
    ]
    context = {
        "school_class": school_class,
        "terms": terms,
        "term": term,
        "rows": rows,
        "levels": [level.value for level in Level],
        "error": error,
    }
    return render(request, "grades/class_conduct.html", context, status=400 if error else 200)


def conduct_publish_view(request, pk):
    """The homeroom teacher publishes the term's conduct for parents: GET says how many students and
    parents it concerns and asks to confirm, POST publishes."""
    school_class = _class_or_404(request, pk, managers_too=False)
    terms = list(Term.objects.filter(year_id=school_class.year_id).order_by("number"))
    term = _term_of(school_class, request.GET.get("term"), terms)
    if term is None:
        raise Http404
    back = f"{reverse('class_conduct', args=[school_class.pk])}?term={term.pk}"
    if request.method == "POST":
        try:
            count = conduct_publish(actor_staff=request.staff, school_class=school_class, term=term)
        except GradeError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request,
                gettext("Đã công bố kết quả rèn luyện của %(count)s học sinh cho phụ huynh.")
                % {"count": count},
            )
        return redirect(back)
    context = {
        "school_class": school_class,
        "term": term,
        "preview": conduct_publish_preview(school_class, term),
        "back": back,
    }
    return render(request, "grades/conduct_publish.html", context)
