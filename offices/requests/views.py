"""The office's report requests: the list, asking (after a preview of who will be asked), the schools'
progress on one request with the late ones apart, one school's submission with the decision on it, and
every school's figures as CSV."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from offices.figures import label, ordered
from offices.models import ReportKind, ReportSubmission
from offices.permissions import office_staff_required
from offices.requests.forms import RequestForm, ReviewForm
from offices.requests.selectors import office_requests, request_submissions
from offices.requests.services import ReportError, report_request_send, submission_review
from schoolbook.confirm import confirm_page, confirmation_token, confirmed
from schoolbook.spreadsheets import csv_lines
from schoolbook.uploads import attachment_response
from tenants.models import School

PAGE_SIZE = 50


@office_staff_required
def request_list(request):
    page = Paginator(office_requests(office=request.office), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "offices/requests.html", {"office": request.office, "page": page})


@office_staff_required
def request_new(request):
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        schools = School.objects.filter(office_memberships__office=request.office, is_active=True)
        count = schools.count()
        if count == 0:
            form.add_error(
                None, gettext("Đơn vị chưa phụ trách trường nào đang hoạt động: chưa thể gửi yêu cầu.")
            )
        else:
            data = form.cleaned_data
            token = confirmation_token(request.office.pk, sorted(schools.values_list("pk", flat=True)),
                                       {key: str(value) for key, value in data.items()})  # fmt: skip
            if confirmed(request, token):
                sent = report_request_send(actor=request.user, office=request.office, cleaned=data)
                messages.success(request, gettext("Đã gửi yêu cầu tới %(count)d trường.") % {"count": count})
                return redirect("office_request", code=request.office.code, pk=sent.pk)
            summary = [
                gettext("Yêu cầu “%(title)s” sẽ gửi tới %(count)d trường của đơn vị.")
                % {"title": data["title"], "count": count},
                gettext("Hạn nộp: %(day)s.") % {"day": data["deadline"].strftime("%d/%m/%Y")},
                gettext("Trường chưa nộp sẽ được nhắc trước hạn và khi quá hạn."),
            ]
            return confirm_page(
                request, title=gettext("Gửi yêu cầu báo cáo?"), action=request.path, token=token,
                fields={name: request.POST.get(name, "") for name in form.fields}, summary=summary,
                button=gettext("Gửi yêu cầu"), back=reverse("office_requests", args=[request.office.code]),
            )  # fmt: skip
    return render(request, "offices/request_new.html", {"office": request.office, "form": form})


def _request_of(request, pk):
    return get_object_or_404(request.office.report_requests, pk=pk)


@office_staff_required
def request_detail(request, pk):
    report = _request_of(request, pk)
    status = request.GET.get("status", "")
    submissions = request_submissions(request=report, status=status)
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict.fromkeys(ReportSubmission.Status.values, 0)
    counts.update(report.submissions.values_list("status").annotate(count=Count("pk")).order_by())
    context = {"office": request.office, "report": report, "page": page, "status": status, "counts": counts,
               "late": request_submissions(request=report, status="late").count()}  # fmt: skip
    return render(request, "offices/request_detail.html", context)


def _submission_of(request, pk, school_code):
    return get_object_or_404(
        ReportSubmission.objects.select_related("school", "request"),
        request__office=request.office,
        request__pk=pk,
        school__code=school_code,
    )


@office_staff_required
def submission_detail(request, pk, school_code):
    submission = _submission_of(request, pk, school_code)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            submission_review(actor=request.user, submission=submission, **form.cleaned_data)
        except ReportError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, gettext("Đã ghi quyết định cho %(school)s.") % {"school": submission.school.name}
            )
            return redirect("office_request", code=request.office.code, pk=pk)
    rows = [
        (label(key), submission.figures[key]) for key in ordered(submission.figures, submission.request.kind)
    ]
    context = {"office": request.office, "submission": submission, "report": submission.request, "rows": rows,
               "form": form}  # fmt: skip
    return render(request, "offices/submission_detail.html", context)


@office_staff_required
def submission_file(request, pk, school_code):
    submission = _submission_of(request, pk, school_code)
    if not submission.file or submission.status == ReportSubmission.Status.PENDING:
        raise Http404
    return attachment_response(submission.file, stem=f"bao-cao-{pk}-{school_code}")


@office_staff_required
def request_export(request, pk):
    """Every school's figures, one line each, the columns the union of what the schools sent."""
    report = _request_of(request, pk)
    if report.kind == ReportKind.FILE:
        raise Http404
    submissions = list(request_submissions(request=report))
    keys = ordered({key for submission in submissions for key in submission.figures}, report.kind)
    fields = ["ma_truong", "ten_truong", "trang_thai", *keys]
    records = (
        {"ma_truong": s.school.code, "ten_truong": s.school.name, "trang_thai": s.get_status_display(),
         **{key: s.figures.get(key) for key in keys}}
        for s in submissions
    )  # fmt: skip
    response = StreamingHttpResponse(csv_lines(fields, records), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bao-cao-{request.office.code}-{report.pk}.csv"'
    return response
