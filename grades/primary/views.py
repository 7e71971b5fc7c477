"""Primary entry pages (Circular 27): a subject teacher's grid per teaching assignment and
checkpoint, the homeroom teacher's quality/competency grid per class and checkpoint, and the class's
end-of-year results. The grids are server-rendered tables that static/js/gradebook.js turns into a
spreadsheet; each change is POSTed as JSON to the grid's save URL (the grid contract).

Who sees what: the assignment's teacher edits the subject grid; the homeroom teacher edits the quality grid;
managers (and, for subject grids, the homeroom teacher) see read-only; everyone else gets 404, as does any
class that is not a primary class. The printable report card (phiếu liên lạc) of a checkpoint is for managers
and the homeroom teacher, like the secondary term report (grades/exports/views.py)."""

from dataclasses import asdict

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from grades.cells import GradeError, SaveResult
from grades.grid import (
    cells_of,
    grid_messages,
    primary_request_invalid,
    qualities_refused,
    ratings_refused,
)
from grades.locks import lock_state
from grades.primary.selectors import (
    item_columns,
    primary_entry_grid,
    primary_qualities_grid,
    primary_report_cards,
    primary_results,
)
from grades.primary.services import (
    MAX_COMMENT,
    checkpoint_of,
    checkpoint_term,
    is_primary_class,
    primary_qualities_save,
    primary_ratings_save,
)
from grades.rules.circular27 import Checkpoint, QualityRating, SubjectRating
from schoolbook.json_errors import json_error
from students.models import Assessment, SchoolClass, TeachingAssignment
from students.permissions import is_homeroom_teacher_of, is_manager


def _checkpoint_or_404(value: str) -> Checkpoint:
    checkpoint = checkpoint_of(value)
    if checkpoint is None:
        raise Http404
    return checkpoint


def _assignment_or_404(request, pk) -> tuple[TeachingAssignment, bool]:
    """A primary subject's teaching assignment and whether the user may edit it (its teacher); managers and
    the class's homeroom teacher read it; 404 for anyone else."""
    assignment = (
        TeachingAssignment.objects.select_related("school_class__grade", "school_class__year", "subject")
        .filter(pk=pk, subject__assessment=Assessment.PRIMARY_RATING)
        .first()
    )
    if assignment is None or not is_primary_class(assignment.school_class):
        raise Http404
    staff = request.staff
    can_edit = staff is not None and assignment.teacher_id == staff.pk
    if not (can_edit or is_manager(staff) or is_homeroom_teacher_of(staff, assignment.school_class)):
        raise Http404
    return assignment, can_edit


def _class_or_404(request, pk) -> tuple[SchoolClass, bool]:
    """A primary class and whether the user is its homeroom teacher (who edits); managers read; 404 else."""
    school_class = (
        SchoolClass.objects.select_related("grade", "year", "homeroom_teacher").filter(pk=pk).first()
    )
    if school_class is None or not is_primary_class(school_class):
        raise Http404
    is_homeroom = is_homeroom_teacher_of(request.staff, school_class)
    if not (is_homeroom or is_manager(request.staff)):
        raise Http404
    return school_class, is_homeroom


def _checkpoints(current: Checkpoint) -> list[dict]:
    return [{"value": c.value, "label": c.label, "current": c == current} for c in Checkpoint]


def _save_response(save, cells: list[dict] | None) -> JsonResponse:
    if cells is None:
        return json_error(primary_request_invalid())
    try:
        result: SaveResult = save(cells)
    except GradeError as refused:
        return json_error(str(refused))
    return JsonResponse({"cells": [asdict(cell) for cell in result.cells], "rows": {}})


def _lock(school_class, checkpoint, subject):
    """The deadline state the page shows (the save enforces it); None when the year lacks the term."""
    try:
        term = checkpoint_term(school_class.year_id, checkpoint)
    except GradeError:
        return None
    return lock_state(term=term, subject=subject, school_class=school_class, now=timezone.now())


def primary_entry_view(request, pk, checkpoint):
    checkpoint = _checkpoint_or_404(checkpoint)
    assignment, can_edit = _assignment_or_404(request, pk)
    context = {
        "assignment": assignment,
        "school_class": assignment.school_class,
        "checkpoint": checkpoint,
        "checkpoints": _checkpoints(checkpoint),
        "grid": primary_entry_grid(assignment, checkpoint),
        "lock": _lock(assignment.school_class, checkpoint, assignment.subject),
        "can_edit": can_edit,
        "can_see_results": is_manager(request.staff)
        or is_homeroom_teacher_of(request.staff, assignment.school_class),
        "ratings": list(SubjectRating),
        "max_comment": MAX_COMMENT,
        "grid_messages": grid_messages(),
    }
    return render(request, "grades/primary_entry.html", context)


@require_POST
def primary_entry_save_view(request, pk, checkpoint):
    checkpoint = _checkpoint_or_404(checkpoint)
    assignment, can_edit = _assignment_or_404(request, pk)
    if not can_edit:
        return json_error(ratings_refused(), 403)
    return _save_response(
        lambda cells: primary_ratings_save(
            actor_staff=request.staff,
            assignment=assignment,
            checkpoint=checkpoint,
            cells=cells,
        ),
        cells_of(request.body),
    )


def primary_qualities_view(request, pk, checkpoint):
    checkpoint = _checkpoint_or_404(checkpoint)
    school_class, is_homeroom = _class_or_404(request, pk)
    columns = item_columns()
    groups: list[dict] = []
    for column in columns:
        if not groups or groups[-1]["name"] != column.group:
            groups.append({"name": column.group, "span": 0})
        groups[-1]["span"] += 1
    context = {
        "school_class": school_class,
        "checkpoint": checkpoint,
        "checkpoints": _checkpoints(checkpoint),
        "columns": columns,
        "groups": groups,
        "rows": primary_qualities_grid(school_class, checkpoint),
        "lock": _lock(school_class, checkpoint, None),
        "can_edit": is_homeroom,
        "ratings": list(QualityRating),
        "max_comment": MAX_COMMENT,
        "grid_messages": grid_messages(),
    }
    return render(request, "grades/primary_qualities.html", context)


@require_POST
def primary_qualities_save_view(request, pk, checkpoint):
    checkpoint = _checkpoint_or_404(checkpoint)
    school_class, is_homeroom = _class_or_404(request, pk)
    if not is_homeroom:
        return json_error(qualities_refused(), 403)
    return _save_response(
        lambda cells: primary_qualities_save(
            actor_staff=request.staff,
            school_class=school_class,
            checkpoint=checkpoint,
            cells=cells,
        ),
        cells_of(request.body),
    )


def primary_results_view(request, pk):
    school_class, is_homeroom = _class_or_404(request, pk)
    context = {
        "school_class": school_class,
        "results": primary_results(school_class),
        "is_homeroom": is_homeroom,
        "end_of_year": Checkpoint.END_OF_YEAR.value,
        "ratings": list(SubjectRating),
        "quality_ratings": list(QualityRating),
    }
    return render(request, "grades/primary_results.html", context)


def primary_report_card_view(request, pk, checkpoint):
    """The checkpoint's report card of the class, one page per student, or of one student (?student=)."""
    checkpoint = _checkpoint_or_404(checkpoint)
    school_class, _ = _class_or_404(request, pk)
    student_id = request.GET.get("student")
    if student_id is not None and not student_id.isdigit():
        raise Http404
    report = primary_report_cards(school_class, checkpoint, int(student_id) if student_id else None)
    if student_id and not report.cards:  # not a student of the class
        raise Http404
    context = {
        "school_class": school_class,
        "checkpoint": checkpoint,
        "has_tests": report.has_tests,
        "cards": report.cards,
    }
    return render(request, "grades/primary_report_card.html", context)
