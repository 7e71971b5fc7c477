"""Roster import (students with guardians, or staff) in the browser: upload → preview (problems,
notices, counts) → confirm → commit, through students.imports.flow (the uploaded bytes wait in the
school's schema, one preview per person, for 30 minutes; the confirmation re-reads and re-checks them)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from schoolbook.permissions import school_role_required
from students.imports.flow import preview_confirmed, preview_delete, preview_get, preview_save, problems_csv
from students.imports.forms import RosterUploadForm
from students.imports.roster import STUDENTS, template_workbook
from students.imports.staff import STAFF, staff_template_workbook

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
    pending = preview_confirmed(
        actor=request.user,
        token=request.POST.get("token", ""),
        sha256=request.POST.get("sha256"),
        kind=tuple(KINDS),
    )
    if pending is None:
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
