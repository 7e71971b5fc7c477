"""Spreadsheet imports in the browser: upload → preview (problems, notices, counts) → confirm → commit,
through students.imports.flow (the uploaded bytes wait in the school's schema, one preview per person, for
30 minutes; the confirmation re-reads and re-checks them). The roster's page imports students with
guardians, or staff; other pages (the sector database exchange) upload their own kind through
`import_upload` and `import_confirm`."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from schoolbook.permissions import school_role_required
from students.imports.flow import (
    Importer,
    preview_confirmed,
    preview_delete,
    preview_get,
    preview_save,
    problems_csv,
)
from students.imports.forms import RosterUploadForm
from students.imports.roster import STUDENTS, template_workbook
from students.imports.staff import STAFF, staff_template_workbook
from students.sector.imports import SECTOR_IDS

IMPORTERS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ImportKind:
    """One kind of upload → preview → confirm: its importer, the preview's counts (summary field → label),
    the message after it is done, the page it is uploaded from, and its empty template if it has one."""

    importer: Importer
    labels: dict
    done: Callable[[object], str]
    page: str  # URL name
    template: Callable[[], bytes] | None = None
    template_name: str = ""


def _students_done(summary) -> str:
    return gettext(
        "Đã nhập %(rows)d dòng: %(created)d học sinh mới, %(updated)d học sinh được cập nhật, "
        "%(guardians)d phụ huynh mới."
    ) % {
        "rows": summary.rows,
        "created": summary.students_created,
        "updated": summary.students_updated,
        "guardians": summary.guardians_created,
    }


def _staff_done(summary) -> str:
    return gettext("Đã nhập %(rows)d dòng: %(created)d cán bộ mới, %(updated)d cán bộ được cập nhật.") % {
        "rows": summary.rows,
        "created": summary.staff_created,
        "updated": summary.staff_updated,
    }


def _sector_ids_done(summary) -> str:
    return gettext("Đã lưu %(set)d mã định danh; %(unchanged)d học sinh đã có đúng mã.") % {
        "set": summary.ids_set,
        "unchanged": summary.ids_unchanged,
    }


KINDS = {
    "students": ImportKind(STUDENTS, {
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
    }, _students_done, "roster_import", template_workbook, "mau-danh-sach-hoc-sinh.xlsx"),
    "staff": ImportKind(STAFF, {
        "classes_created": _("Lớp mới"),
        "staff_created": _("Cán bộ mới"),
        "staff_updated": _("Cán bộ được cập nhật"),
        "staff_unchanged": _("Cán bộ không đổi"),
        "users_created": _("Tài khoản mới"),
        "homerooms_set": _("Phân công chủ nhiệm"),
        "assignments_created": _("Phân công giảng dạy mới"),
    }, _staff_done, "roster_import", staff_template_workbook, "mau-danh-sach-can-bo.xlsx"),
    "sector_ids": ImportKind(SECTOR_IDS, {
        "ids_set": _("Mã định danh được lưu"),
        "ids_unchanged": _("Học sinh đã có đúng mã"),
        "rows_unmatched": _("Dòng không khớp học sinh nào (bỏ qua)"),
    }, _sector_ids_done, "sector_exchange"),
}  # fmt: skip


def _pending(request, token: str):
    return preview_get(actor=request.user, token=token, kind=tuple(KINDS))


def import_upload(request, *, kind: str, upload):
    """Keep the uploaded file for confirmation and show its preview."""
    pending = preview_save(actor=request.user, kind=kind, data=upload.read(), filename=upload.name)
    return import_preview(request, KINDS[kind].importer.check(pending.data, pending.filename), pending)


def import_preview(request, report, pending, status=200):
    kind = KINDS[pending.kind]
    counts = [(key, label, getattr(report.summary, key)) for key, label in kind.labels.items()]
    return render(
        request,
        "students/import_preview.html",
        {
            "report": report,
            "summary": report.summary,
            "counts": counts,
            "token": pending.token,
            "pending": pending,
            "back": kind.page,
        },
        status=status,
    )


def import_confirm(request, *, kinds: tuple[str, ...]):
    """Commit the preview the form names (one of `kinds`), or show it again with what is now wrong."""
    pending = preview_confirmed(
        actor=request.user, token=request.POST.get("token", ""), sha256=request.POST.get("sha256"), kind=kinds
    )
    if pending is None:
        messages.error(request, gettext("Tệp đã hết hạn chờ xác nhận (30 phút). Vui lòng tải lên lại."))
        return redirect(KINDS[kinds[0]].page)
    kind = KINDS[pending.kind]
    report = kind.importer.commit(
        actor=request.user, school=request.tenant, data=pending.data, filename=pending.filename
    )
    if not report.committed:
        return import_preview(request, report, pending, status=422)
    preview_delete(actor=request.user, preview=pending)
    messages.success(request, kind.done(report.summary))
    return redirect(kind.page)


@school_role_required(*IMPORTERS)
def roster_import_view(request):
    if request.method == "POST" and "token" in request.POST:
        return import_confirm(request, kinds=("students", "staff"))
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        return import_upload(request, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"])
    return render(request, "students/import_upload.html", {"form": form})


@school_role_required(*IMPORTERS)
def roster_import_problems_view(request):
    pending = _pending(request, request.GET.get("token", ""))
    if pending is None:
        raise Http404
    report = KINDS[pending.kind].importer.check(pending.data, pending.filename)
    response = HttpResponse(problems_csv(report.problems), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="loi-nhap-danh-sach.csv"'
    return response


@school_role_required(*IMPORTERS)
def roster_import_template_view(request):
    kind = KINDS["staff" if request.GET.get("kind") == "staff" else "students"]
    response = HttpResponse(kind.template(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{kind.template_name}"'
    return response
