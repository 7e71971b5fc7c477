"""Roster import in the browser: upload → preview (problems, notices, counts) → confirm → commit.

The uploaded bytes wait in the school's cache (tenant-prefixed keys) for 30 minutes under a random token,
with their SHA-256 and the uploader's id; the confirmation re-reads and re-checks them before writing."""

import hashlib
import secrets

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from schoolbook.permissions import school_role_required
from students.imports import MAX_BYTES, problems_csv, roster_check, roster_import, template_workbook
from students.models import Role

IMPORTERS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)
PENDING_SECONDS = 30 * 60
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp danh sách học sinh (.xlsx hoặc .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(gettext("Tệp lớn hơn 10 MB."))
        return upload


def _pending_key(token: str) -> str:
    return f"roster-import:{token}"


def _pending(request, token: str) -> dict | None:
    pending = cache.get(_pending_key(token)) if token else None
    if pending is None or pending["user_id"] != request.user.pk:
        return None
    return pending


@school_role_required(*IMPORTERS)
def roster_import_view(request):
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        pending = {
            "data": data,
            "filename": upload.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "user_id": request.user.pk,
        }
        token = secrets.token_urlsafe(16)
        cache.set(_pending_key(token), pending, PENDING_SECONDS)
        report = roster_check(data, upload.name)
        return _preview(request, report, token, pending)
    return render(request, "students/import_upload.html", {"form": form})


def _preview(request, report, token, pending, status=200):
    return render(
        request,
        "students/import_preview.html",
        {"report": report, "summary": report.summary, "token": token, "pending": pending},
        status=status,
    )


def _confirm(request):
    token = request.POST.get("token", "")
    pending = _pending(request, token)
    if pending is None or pending["sha256"] != request.POST.get("sha256"):
        messages.error(request, gettext("Tệp đã hết hạn chờ xác nhận (30 phút). Vui lòng tải lên lại."))
        return redirect("roster_import")
    report = roster_import(
        actor=request.user,
        school=request.tenant,
        data=pending["data"],
        filename=pending["filename"],
        request=request,
    )
    if not report.committed:
        return _preview(request, report, token, pending, status=422)
    cache.delete(_pending_key(token))
    summary = report.summary
    messages.success(
        request,
        gettext(
            "Đã nhập %(rows)d dòng: %(created)d học sinh mới, %(updated)d học sinh được cập nhật, "
            "%(guardians)d phụ huynh mới."
        )
        % {
            "rows": summary.rows,
            "created": summary.students_created,
            "updated": summary.students_updated,
            "guardians": summary.guardians_created,
        },
    )
    return redirect("roster_import")


@school_role_required(*IMPORTERS)
def roster_import_problems_view(request):
    pending = _pending(request, request.GET.get("token", ""))
    if pending is None:
        raise Http404
    report = roster_check(pending["data"], pending["filename"])
    response = HttpResponse(problems_csv(report.problems), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="loi-nhap-danh-sach.csv"'
    return response


@school_role_required(*IMPORTERS)
def roster_import_template_view(request):
    response = HttpResponse(template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-danh-sach-hoc-sinh.xlsx"'
    return response
