"""A class's gradebook for a term as Excel and on paper: export, import (upload → preview with every
problem → confirm, as the roster import does) and the printable term report.

Who: the export for managers and the homeroom teacher (every subject) and subject teachers (their own); the
import for the subject teachers of the class and school admins / principals; the term report for managers
and the homeroom teacher. Anyone else gets 404. The uploaded bytes wait in the school's schema
(students.imports.flow, one per person) for 30 minutes under a random token bound to the uploader, the class
and the term; the confirmation checks them again."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext

from grades.exports.forms import GradebookUploadForm
from grades.exports.selectors import exportable_assignments, report_cards
from grades.exports.services import XLSX, gradebook_check, gradebook_import, gradebook_workbook
from grades.models import AssessmentPlan
from grades.permissions import may_import
from students.imports.flow import preview_confirmed, preview_delete, preview_get, preview_save, problems_csv
from students.models import SchoolClass, Term
from students.permissions import is_homeroom_teacher_of, is_manager


def _class_and_term(pk, term_pk) -> tuple[SchoolClass, Term]:
    """A secondary class and a term of its year, or 404 (primary classes have no scores to exchange)."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("year", "grade", "homeroom_teacher").exclude(
            grade__level="primary"
        ),
        pk=pk,
    )
    term = get_object_or_404(Term, pk=term_pk, year_id=school_class.year_id)
    return school_class, term


def gradebook_export_view(request, pk, term_pk):
    school_class, term = _class_and_term(pk, term_pk)
    assignments = exportable_assignments(getattr(request, "staff", None), school_class)
    if not assignments:
        raise Http404
    planned = set(
        AssessmentPlan.objects.filter(year=school_class.year, grade=school_class.grade).values_list(
            "subject_id", flat=True
        )
    )
    if not any(assignment.subject_id in planned for assignment in assignments):
        messages.error(
            request,
            gettext(
                "Chưa có gì để xuất: các môn của lớp chưa có kế hoạch đánh giá (trang “Kế hoạch đánh giá”)."
            ),
        )
        return redirect("gradebook_home")
    data = gradebook_workbook(
        actor=request.user,
        school=request.tenant,
        assignments=assignments,
        school_class=school_class,
        term=term,
    )
    response = HttpResponse(data, content_type=XLSX)
    filename = f"so-diem-{slugify(school_class.name)}-hk{term.number}-{school_class.year.name}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _importer_or_404(request, pk, term_pk):
    school_class, term = _class_and_term(pk, term_pk)
    if not may_import(getattr(request, "staff", None), school_class):
        raise Http404
    return school_class, term


def _context(school_class, term) -> dict:
    return {"class": school_class.pk, "term": term.pk}


def _pending(request, token: str, school_class, term):
    return preview_get(
        actor=request.user, token=token, kind="gradebook", context=_context(school_class, term)
    )


def gradebook_import_view(request, pk, term_pk):
    school_class, term = _importer_or_404(request, pk, term_pk)
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request, school_class, term)
    form = GradebookUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        pending = preview_save(
            actor=request.user,
            kind="gradebook",
            data=upload.read(),
            filename=upload.name,
            context=_context(school_class, term),
        )
        report = gradebook_check(
            staff=request.staff, school_class=school_class, term=term, data=pending.data, filename=upload.name
        )
        return _preview(request, school_class, term, report, pending)
    context = {"form": form, "school_class": school_class, "term": term}
    return render(request, "grades/gradebook_import.html", context)


def _preview(request, school_class, term, report, pending, status=200):
    context = {
        "school_class": school_class,
        "term": term,
        "report": report,
        "token": pending.token,
        "pending": pending,
    }
    return render(request, "grades/gradebook_import_preview.html", context, status=status)


def _confirm(request, school_class, term):
    pending = preview_confirmed(
        actor=request.user,
        token=request.POST.get("token", ""),
        sha256=request.POST.get("sha256"),
        kind="gradebook",
        context=_context(school_class, term),
    )
    if pending is None:
        messages.error(request, gettext("Tệp đã hết hạn chờ xác nhận (30 phút). Vui lòng tải lên lại."))
        return redirect("gradebook_import", pk=school_class.pk, term_pk=term.pk)
    report = gradebook_import(
        staff=request.staff,
        school_class=school_class,
        term=term,
        data=pending.data,
        filename=pending.filename,
    )
    if not report.committed:
        return _preview(request, school_class, term, report, pending, status=422)
    preview_delete(actor=request.user, preview=pending)
    messages.success(
        request, gettext("Đã nhập sổ điểm: %(count)d ô điểm được cập nhật.") % {"count": report.changed}
    )
    return redirect("gradebook_import", pk=school_class.pk, term_pk=term.pk)


def gradebook_problems_view(request, pk, term_pk):
    school_class, term = _importer_or_404(request, pk, term_pk)
    pending = _pending(request, request.GET.get("token", ""), school_class, term)
    if pending is None:
        raise Http404
    report = gradebook_check(
        staff=request.staff,
        school_class=school_class,
        term=term,
        data=pending.data,
        filename=pending.filename,
    )
    response = HttpResponse(
        problems_csv(report.problems, with_sheet=True), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="loi-nhap-so-diem.csv"'
    return response


def report_card_view(request, pk, term_pk):
    """The term report (phiếu liên lạc) of the class, one page per student, or of one student."""
    school_class, term = _class_and_term(pk, term_pk)
    staff = getattr(request, "staff", None)
    if not (is_manager(staff) or is_homeroom_teacher_of(staff, school_class)):
        raise Http404
    student_id = request.GET.get("student")
    if student_id is not None and not student_id.isdigit():
        raise Http404
    cards = report_cards(school_class, term, int(student_id) if student_id else None)
    if student_id and not cards:  # not a student of the class
        raise Http404
    context = {"school_class": school_class, "term": term, "cards": cards}
    return render(request, "grades/report_card.html", context)
