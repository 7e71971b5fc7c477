"""Roster import (students with guardians, or staff) in the browser: upload → preview (problems,
notices, counts) → confirm → commit.

The uploaded bytes wait in the school's schema (students.previews, one per person) for 30 minutes under a
random token, with their SHA-256; the confirmation re-reads and re-checks them before writing."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from schoolbook.permissions import school_role_required
from students.import_staff import STAFF, staff_template_workbook
from students.imports import MAX_BYTES, STUDENTS, problems_csv, template_workbook
from students.previews import preview_delete, preview_get, preview_save

IMPORTERS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# kind → (importer, template, template file name, preview rows: summary field → label)
KINDS = {
    "students": (STUDENTS, template_workbook, "mau-danh-sach-hoc-sinh.xlsx", {
        "classes_created": _("Lớp mới"),
        "students_created": _("Học sinh mới"),
        "students_updated": _("Học sinh được cập nhật"),
        "students_unchanged": _("Học sinh không đổi"),
        "guardians_created": _("Phụ huynh mới"),
        "guardians_updated": _("Phụ huynh được cập nhật"),
        "users_created": _("Tài khoản phụ huynh mới"),
        "links_created": _("Liên kết học sinh – phụ huynh mới"),
        "links_updated": _("Liên kết được cập nhật"),
        "enrolments_created": _("Xếp lớp mới"),
        "enrolments_moved": _("Chuyển lớp"),
    }),
    "staff": (STAFF, staff_template_workbook, "mau-danh-sach-can-bo.xlsx", {
        "classes_created": _("Lớp mới"),
        "staff_created": _("Cán bộ mới"),
        "staff_updated": _("Cán bộ được cập nhật"),
        "staff_unchanged": _("Cán bộ không đổi"),
        "users_created": _("Tài khoản mới"),
        "homerooms_set": _("Phân công chủ nhiệm"),
        "assignments_created": _("Phân công giảng dạy mới"),
    }),
}  # fmt: skip


class RosterUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Danh sách"),
        choices=[("students", _("Học sinh và phụ huynh")), ("staff", _("Cán bộ, giáo viên"))],
        initial="students",
        required=False,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("Tệp danh sách (.xlsx hoặc .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_kind(self):
        return self.cleaned_data.get("kind") or "students"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(gettext("Tệp lớn hơn 10 MB."))
        return upload


def _pending(request, token: str):
    return preview_get(actor=request.user, token=token, kind=tuple(KINDS))


@school_role_required(*IMPORTERS)
def roster_import_view(request):
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        pending = preview_save(
            actor=request.user, kind=form.cleaned_data["kind"], data=upload.read(), filename=upload.name
        )
        report = KINDS[pending.kind][0].check(pending.data, pending.filename)
        return _preview(request, report, pending)
    return render(request, "students/import_upload.html", {"form": form})


def _preview(request, report, pending, status=200):
    labels = KINDS[pending.kind][3]
    counts = [(key, label, getattr(report.summary, key)) for key, label in labels.items()]
    return render(
        request,
        "students/import_preview.html",
        {
            "report": report,
            "summary": report.summary,
            "counts": counts,
            "token": pending.token,
            "pending": pending,
        },
        status=status,
    )


def _confirm(request):
    token = request.POST.get("token", "")
    pending = _pending(request, token)
    if pending is None or pending.sha256 != request.POST.get("sha256"):
        messages.error(request, gettext("Tệp đã hết hạn chờ xác nhận (30 phút). Vui lòng tải lên lại."))
        return redirect("roster_import")
    report = KINDS[pending.kind][0].commit(
        actor=request.user,
        school=request.tenant,
        data=pending.data,
        filename=pending.filename,
    )
    if not report.committed:
        return _preview(request, report, pending, status=422)
    preview_delete(actor=request.user, preview=pending)
    summary = report.summary
    if pending.kind == "staff":
        messages.success(
            request,
            gettext("Đã nhập %(rows)d dòng: %(created)d cán bộ mới, %(updated)d cán bộ được cập nhật.")
            % {"rows": summary.rows, "created": summary.staff_created, "updated": summary.staff_updated},
        )
        return redirect("roster_import")
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
    report = KINDS[pending.kind][0].check(pending.data, pending.filename)
    response = HttpResponse(problems_csv(report.problems), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="loi-nhap-danh-sach.csv"'
    return response


@school_role_required(*IMPORTERS)
def roster_import_template_view(request):
    _importer, workbook, filename, _labels = KINDS.get(request.GET.get("kind", ""), KINDS["students"])
    response = HttpResponse(workbook(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
