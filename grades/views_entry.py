"""Secondary score entry pages (issue 4, items 3 and 5): the gradebook home, the entry grid of a teaching
assignment and term with its JSON save endpoint (the contract of static/js/gradebook.js), the history of a
cell, the entry deadlines page and the principal's unlock page. Writes go through grades.services; anyone who
may not see a page gets 404."""

import json

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.forms.models import ModelChoiceIterator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Role
from grades.models import Score
from grades.publication import can_publish, column_states
from grades.rules.circular27 import Checkpoint
from grades.selectors_entry import (
    EDIT,
    entry_grid,
    entry_progress,
    gradebook_assignments,
    grid_access,
    open_unlocks,
    plan_of,
    row_average,
    scores_by_row,
    secondary_assignment,
    year_deadlines,
)
from grades.services import (
    DEADLINE_SETTERS,
    INVALID,
    GradeError,
    entry_deadline_set,
    entry_unlock,
    score_history,
    scores_save,
)
from schoolbook.permissions import school_role_required
from students.models import Assessment, SchoolClass, Subject, TeachingAssignment, Term
from students.permissions import MANAGERS, is_manager
from students.selectors import current_year
from tenants.models import Level

PAGE_SIZE = 50


# --- the gradebook home -------------------------------------------------------------------------------------


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


# --- the entry grid -----------------------------------------------------------------------------------------


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


def grid_messages() -> dict:
    """The texts static/js/gradebook.js shows, in the user's language (rendered with json_script as
    "gradebook-messages"; the primary grid renders the same)."""
    return {
        "saving": gettext("Đang lưu…"),
        "saved": gettext("Đã lưu."),
        "invalid": gettext("Có ô chưa hợp lệ, chưa được lưu: xem lý do bên cạnh ô."),
        "conflict": gettext("Có ô vừa được người khác sửa: hãy chọn giữ giá trị nào."),
        "offline": gettext("Mất kết nối: các ô chưa lưu sẽ được gửi lại ở lần sửa tiếp theo."),
        "failed": gettext("Không lưu được (lỗi máy chủ); các ô vẫn giữ giá trị bạn đã nhập."),
        "useMine": gettext("Dùng giá trị của tôi"),
        "takeTheirs": gettext("Lấy giá trị mới"),
        "noHistory": gettext("Ô này chưa được lưu lần nào nên chưa có lịch sử."),
        "chooseCell": gettext("Hãy chọn một ô trong bảng trước."),
        "loading": gettext("Đang tải…"),
    }


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


def _bad_request(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400)


def _cells_of(body: bytes) -> list[dict] | None:
    """The cells of a save request, or None when the body is not {"cells": [{...}, ...]}."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        return None
    return cells


@require_POST
def score_save(request, pk, term_pk):
    """Save cells typed or pasted in the grid; JSON in and out (see static/js/gradebook.js)."""
    assignment, term, access = _grid_or_404(request, pk, term_pk)
    if access != EDIT:
        raise Http404
    cells = _cells_of(request.body)
    if cells is None:
        return _bad_request(
            gettext('Yêu cầu không hợp lệ: cần JSON dạng {"cells": [{"student_id", "column", "text", …}]}.')
        )
    try:
        result = scores_save(actor_staff=request.staff, assignment=assignment, term=term, cells=cells)
    except GradeError as error:
        return _bad_request(str(error))
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


# --- the history of a cell ----------------------------------------------------------------------------------


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


# --- entry deadlines ----------------------------------------------------------------------------------------

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SubjectChoiceField(forms.ModelChoiceField):
    """The school's active subjects, secondary and primary: "Toán" exists at several levels, so each is
    named with its level."""

    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.get_level_display()}"


def _subjects():
    return Subject.objects.filter(is_active=True).order_by("level", "order", "name")


class DeadlineForm(forms.Form):
    term = forms.ModelChoiceField(queryset=Term.objects.none(), label=gettext_lazy("Học kỳ"))
    subject = SubjectChoiceField(
        queryset=Subject.objects.none(),
        required=False,
        label=gettext_lazy("Môn học"),
        empty_label=gettext_lazy("Tất cả các môn (hạn chung)"),
    )
    deadline = forms.DateTimeField(
        label=gettext_lazy("Hạn nhập điểm"),
        required=False,
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M"],
    )

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = Term.objects.filter(year=year).order_by("number")
        self.fields["subject"].queryset = _subjects()

    def clean(self):
        data = super().clean()
        if not data.get("deadline") and "remove" not in self.data and "deadline" not in self.errors:
            self.add_error("deadline", gettext("Chọn ngày và giờ hết hạn nhập điểm."))
        return data


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
                    request=request,
                )
            except GradeError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, gettext("Đã lưu hạn nhập điểm."))
                return redirect("entry_deadlines")
        status = 400
    context = {"year": year, "form": form, "can_edit": can_edit, "deadlines": year_deadlines(year)}
    return render(request, "grades/entry_deadlines.html", context, status=status)


# --- the principal's unlock ---------------------------------------------------------------------------------


# The subject choice's value for a class's homeroom assessments (primary qualities, competencies and general
# comment, Circular 27): they belong to no subject, and an unlock without a subject reopens them.
HOMEROOM = "homeroom"
HOMEROOM_LABEL = gettext_lazy("Phẩm chất, năng lực và nhận xét chung (tiểu học)")


class _SubjectOrHomeroomChoices(ModelChoiceIterator):
    def __iter__(self):
        yield from super().__iter__()
        if self.field.homeroom:
            yield HOMEROOM, HOMEROOM_LABEL

    def __len__(self):
        return super().__len__() + self.field.homeroom


class SubjectOrHomeroomField(SubjectChoiceField):
    """A subject, or HOMEROOM for the class's homeroom assessments when `homeroom` (the school has primary
    classes this year; a secondary school is not offered the choice)."""

    iterator = _SubjectOrHomeroomChoices
    homeroom = False

    def to_python(self, value):
        return HOMEROOM if self.homeroom and value == HOMEROOM else super().to_python(value)


class UnlockForm(forms.Form):
    school_class = forms.ModelChoiceField(queryset=SchoolClass.objects.none(), label=gettext_lazy("Lớp"))
    subject = SubjectOrHomeroomField(queryset=Subject.objects.none(), label=gettext_lazy("Môn học"))
    term = forms.ModelChoiceField(queryset=Term.objects.none(), label=gettext_lazy("Học kỳ"))
    reason = forms.CharField(label=gettext_lazy("Lý do"), widget=forms.Textarea(attrs={"rows": 2}))
    until = forms.DateTimeField(
        label=gettext_lazy("Mở đến"), widget=DATETIME_WIDGET, input_formats=["%Y-%m-%dT%H:%M"]
    )

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = (
            SchoolClass.objects.filter(year=year).select_related("grade").order_by("grade__number", "name")
        )
        self.fields["subject"].queryset = _subjects()
        self.fields["term"].queryset = Term.objects.filter(year=year).order_by("number")
        self.fields["subject"].homeroom = SchoolClass.objects.filter(
            year=year, grade__level=Level.PRIMARY
        ).exists()

    def clean(self):
        data = super().clean()
        school_class, subject = data.get("school_class"), data.get("subject")
        if subject == HOMEROOM:
            data["subject"] = None  # what entry_unlock takes for the homeroom assessments
            if school_class and school_class.grade.level != Level.PRIMARY:
                self.add_error(
                    "subject",
                    gettext(
                        "Lớp %(cls)s không phải lớp tiểu học: chỉ lớp tiểu học có đánh giá phẩm chất, năng "
                        "lực và nhận xét chung của giáo viên chủ nhiệm."
                    )
                    % {"cls": school_class.name},
                )
        elif school_class and subject and not school_class.assignments.filter(subject=subject).exists():
            self.add_error(
                "subject",
                gettext("Lớp %(cls)s không có phân công dạy môn %(subject)s.")
                % {"cls": school_class.name, "subject": subject.name},
            )
        return data


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
                entry_unlock(actor_staff=request.staff, request=request, **data)
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
