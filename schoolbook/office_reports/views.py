"""A school's side of its offices' report requests (/s/<code>/reports/): what was asked, and filling one
(figures computed from the school's data, checked and corrected, or a file), then submitting it after a
preview. The school's managers only."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from offices.figures import label, ordered
from offices.models import ReportKind, ReportSubmission
from offices.requests.services import ReportError, submission_save, submission_submit
from schoolbook.confirm import confirm_page, confirmation_token, confirmed
from schoolbook.office_reports.forms import FiguresForm, FileForm
from schoolbook.office_reports.prefill import figures_for
from schoolbook.permissions import school_role_required
from students.permissions import MANAGERS

PAGE_SIZE = 25


@school_role_required(*MANAGERS)
def report_list(request):
    submissions = (
        ReportSubmission.objects.filter(school=request.tenant)
        .select_related("request", "request__office")
        .order_by("-request__created_at")
    )
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "offices/school_reports.html", {"page": page})


@school_role_required(*MANAGERS)
def report_fill(request, pk):
    submission = get_object_or_404(
        ReportSubmission.objects.select_related("request", "request__office"), pk=pk, school=request.tenant
    )
    report = submission.request
    if request.method == "POST" and request.POST.get("action") == "submit":
        return _submit(request, submission)
    form = None
    if submission.editable:
        if report.kind == ReportKind.FILE:
            form = FileForm(request.POST or None, request.FILES or None)
            data = (
                {"upload": form.cleaned_data["file"]}
                if request.method == "POST" and form.is_valid()
                else None
            )
        else:
            computed = figures_for(report)
            keys = ordered({*computed, *submission.figures}, report.kind)
            initial = {key: submission.figures.get(key, computed.get(key, 0)) for key in keys}
            form = FiguresForm(request.POST or None, keys=keys, initial=initial)
            data = {"figures": form.cleaned_data} if request.method == "POST" and form.is_valid() else None
        if data is not None:
            try:
                submission_save(actor=request.user, submission=submission, **data)
            except ReportError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, gettext("Đã lưu. Kiểm tra lại rồi bấm “Nộp báo cáo”."))
            return redirect("office_report_fill", pk=submission.pk)
    rows = [(label(key), submission.figures[key]) for key in ordered(submission.figures, report.kind)]
    context = {"submission": submission, "report": report, "form": form, "rows": rows}
    return render(request, "offices/school_report_fill.html", context)


def _submit(request, submission):
    token = confirmation_token(
        submission.pk, submission.figures, submission.file.name if submission.file else ""
    )
    if confirmed(request, token):
        try:
            submission_submit(actor=request.user, submission=submission)
        except ReportError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                gettext("Đã nộp báo cáo cho %(office)s.") % {"office": submission.request.office.name},
            )
        return redirect("office_report_fill", pk=submission.pk)
    report = submission.request
    text = gettext(
        "Nộp “%(title)s” cho %(office)s. Sau khi nộp, trường không sửa được nữa trừ khi đơn vị trả lại."
    )
    summary = [text % {"title": report.title, "office": report.office.name}]
    summary += [
        f"{label(key)}: {submission.figures[key]:,}".replace(",", ".")
        for key in ordered(submission.figures, report.kind)
    ]
    if submission.file:
        summary.append(gettext("Tệp: %(name)s") % {"name": submission.file_name})
    back = reverse("office_report_fill", args=[submission.pk])
    return confirm_page(
        request, title=gettext("Nộp báo cáo?"), action=request.path, token=token, fields={"action": "submit"},
        summary=summary, button=gettext("Nộp báo cáo"), back=back,
    )  # fmt: skip
