"""Secondary score entry pages: the gradebook home, the entry grid of a teaching assignment and term with
its JSON save endpoint (the contract of static/js/gradebook.js), the history of a cell, the entry
deadlines page and the principal's unlock page. Writes go through grades.entry.services; anyone who may
not see a page gets 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.roles import Role
from grades.cells import INVALID, GradeError
from grades.entry.forms import HOMEROOM_LABEL, DeadlineForm, UnlockForm
from grades.entry.selectors import (
    entry_grid,
    entry_progress,
    gradebook_assignments,
    open_unlocks,
    plan_of,
    row_average,
    scores_by_row,
    secondary_assignment,
    year_deadlines,
)
from grades.entry.services import entry_deadline_set, entry_unlock, score_history, scores_save
from grades.grid import cells_of, grid_messages, score_request_invalid
from grades.models import Score
from grades.permissions import DEADLINE_SETTERS, EDIT, can_publish, grid_access
from grades.publication.selectors import column_states
from grades.rules.circular27 import Checkpoint
from schoolbook.json_errors import json_error
from schoolbook.permissions import school_role_required
from students.models import Assessment, SchoolClass, TeachingAssignment, Term
from students.permissions import MANAGERS, is_manager
from students.selectors import current_year
from tenants.models import Level

PAGE_SIZE = 50


@school_role_required(Role.TEACHER, *MANAGERS)
def gradebook_home(request):
    """A teacher's own assignments (and those of the class they lead, read-only); managers also every
    class's assignments, paginated. Each with its fill progress per term."""
    year = current_year()
    today = timezone.localdate()
    terms = list(Term.objects.filter(year=year).order_by("number")) if year else []
    mine = list(gradebook_assignments(year=year, staff=request.staff, today=today)) if year else []
    page = None
    if year and is_manager(request.staff):
        page = Paginator(gradebook_assignments(year=year, staff=None, today=today), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    shown = mine + (list(page.object_list) if page else [])
    progress = entry_progress({a.pk: a for a in shown}.values(), terms, today)
    for assignment in shown:
        assignment.progress = progress[assignment.pk]
        assignment.editable = assignment.teacher_id == request.staff.pk
    context = {
        "year": year,
        "terms": terms,
        "mine": mine,
        "page": page,
        "is_principal": request.staff.has_role(Role.PRINCIPAL),
        # Primary (Circular 27) is assessed per checkpoint, not per term: its own links.
        "primary_assignments": list(
            TeachingAssignment.objects.filter(
                teacher=request.staff, school_class__year=year, subject__assessment=Assessment.PRIMARY_RATING
            )
            .select_related("school_class", "subject")
            .order_by("school_class__name", "subject__order")
        )
        if year
        else [],
        "primary_homeroom": list(
            SchoolClass.objects.filter(
                homeroom_teacher=request.staff, year=year, grade__level=Level.PRIMARY
            ).order_by("name")
        )
        if year
        else [],
        "checkpoints": list(Checkpoint),
    }
    return render(request, "grades/gradebook_home.html", context)


def _grid_or_404(request, pk, term_pk):
    """The assignment, the term and the access (EDIT / VIEW) of the user, or 404."""
    assignment = secondary_assignment(pk)
    if assignment is None:
        raise Http404
    access = grid_access(getattr(request, "staff", None), assignment)
    if access is None:
        raise Http404
    term = get_object_or_404(Term, pk=term_pk, year_id=assignment.school_class.year_id)
    return assignment, term, access


def score_entry(request, pk, term_pk):
    assignment, term, access = _grid_or_404(request, pk, term_pk)
    grid = entry_grid(assignment, term, today=timezone.localdate(), now=timezone.now())
    can_edit = access == EDIT and grid.plan is not None and not grid.lock.locked
    states = column_states(assignment, term, grid.columns)
    context = {
        "grid": grid,
        "can_edit": can_edit,
        "is_teacher": access == EDIT,
        "can_publish": can_publish(request.staff, assignment),
        "columns": [(column, states[column]) for column in grid.columns],
        "grid_messages": grid_messages(),
    }
    return render(request, "grades/entry_grid.html", context)


@require_POST
def score_save(request, pk, term_pk):
    """Save cells typed or pasted in the grid; JSON in and out (see static/js/gradebook.js)."""
    assignment, term, access = _grid_or_404(request, pk, term_pk)
    if access != EDIT:
        raise Http404
    cells = cells_of(request.body)
    if cells is None:
        return json_error(score_request_invalid())
    try:
        result = scores_save(actor_staff=request.staff, assignment=assignment, term=term, cells=cells)
    except GradeError as error:
        return json_error(str(error))
    # The averages of the rows touched (one query for their cells), and each saved cell's history link.
    plan = plan_of(assignment, term)
    touched = {cell.student_id for cell in result.cells if cell.status != INVALID}  # enrolled students only
    rows = scores_by_row(assignment.subject_id, term, touched)
    response = {
        "cells": [
            {
                "student_id": cell.student_id,
                "column": cell.column,
                "status": cell.status,
                "version": cell.version,
                "text": cell.text,
                "reason": cell.reason,
                "updated_by": cell.updated_by,
                "history_url": _history_url(rows.get(cell.student_id, {}).get(cell.column)),
            }
            for cell in result.cells
        ],
        "rows": {str(student_id): {"average": row_average(row, plan)} for student_id, row in rows.items()},
    }
    return JsonResponse(response)


def _history_url(score: Score | None) -> str:
    return reverse("cell_history", args=[score.pk]) if score is not None else ""


def cell_history(request, pk):
    """Old → new, who, when, why of one cell: a fragment for the grid (HTMX or fetch with HX-Request), a page
    otherwise. Visible to whoever may see the grid the cell belongs to."""
    score = get_object_or_404(Score.objects.select_related("student", "subject", "term"), pk=pk)
    # The grid of the cell: the subject's assignment in the class the student is (or was) in that year.
    assignment = (
        TeachingAssignment.objects.select_related("teacher", "subject", "school_class")
        .filter(
            subject_id=score.subject_id,
            school_class__year_id=score.term.year_id,
            school_class__enrolments__student_id=score.student_id,
        )
        .order_by("-school_class__enrolments__starts_on")
        .first()
    )
    if assignment is None or grid_access(getattr(request, "staff", None), assignment) is None:
        raise Http404
    context = {"score": score, "assignment": assignment, "changes": score_history(score)}
    if request.headers.get("HX-Request"):
        return render(request, "grades/entry_history_table.html", context)
    return render(request, "grades/cell_history.html", context)


@school_role_required(*MANAGERS)
def entry_deadlines_view(request):
    """Managers see the year's deadlines; the school admin and the principal set or remove them."""
    year = current_year()
    if year is None:
        raise Http404
    can_edit = request.staff.has_role(*DEADLINE_SETTERS)
    form = DeadlineForm(request.POST or None, year=year)
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry_deadline_set(
                    actor_staff=request.staff,
                    term=data["term"],
                    subject=data["subject"],
                    deadline=None if "remove" in request.POST else data["deadline"],
                )
            except GradeError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, gettext("Đã lưu hạn nhập điểm."))
                return redirect("entry_deadlines")
        status = 400
    context = {"year": year, "form": form, "can_edit": can_edit, "deadlines": year_deadlines(year)}
    return render(request, "grades/entry_deadlines.html", context, status=status)


@school_role_required(Role.PRINCIPAL)
def entry_unlock_view(request):
    year = current_year()
    if year is None:
        raise Http404
    form = UnlockForm(request.POST or None, year=year)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry_unlock(actor_staff=request.staff, **data)
            except GradeError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, gettext("Đã mở khóa nhập điểm."))
                return redirect("entry_unlock")
        status = 400
    context = {
        "year": year,
        "form": form,
        "unlocks": open_unlocks(year, timezone.now()),
        "homeroom_label": HOMEROOM_LABEL,  # what an unlock without a subject reopens
    }
    return render(request, "grades/entry_unlock.html", context, status=status)
