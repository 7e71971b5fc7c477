"""The sector database exchange page (school admin, principal): the three files to upload into the sector
database, and its student list uploaded back for the identifiers (upload → preview → confirm, as every
import). Each download is audited: it carries every student's personal data."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from schoolbook.audit.services import audit_record
from schoolbook.permissions import school_role_required
from students.imports.views import IMPORTERS, XLSX, import_confirm, import_upload
from students.sector import workbooks
from students.sector.forms import SectorListUploadForm
from students.sector.selectors import sector_counts

FILES = {
    "students": (workbooks.students_workbook, "csdl-nganh-hoc-sinh"),
    "classes": (workbooks.classes_workbook, "csdl-nganh-lop-hoc"),
    "staff": (workbooks.staff_workbook, "csdl-nganh-can-bo"),
}


@school_role_required(*IMPORTERS)
def sector_exchange(request):
    if request.method == "POST" and "token" in request.POST:
        return import_confirm(request, kinds=("sector_ids",))
    form = SectorListUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        return import_upload(request, kind="sector_ids", upload=form.cleaned_data["file"])
    return render(request, "students/sector.html", {"form": form, "counts": sector_counts()})


@school_role_required(*IMPORTERS)
def sector_file(request, kind):
    if kind not in FILES:
        raise Http404
    workbook, name = FILES[kind]
    data = workbook()
    audit_record(actor=request.user, action="sector.export", object_repr=kind)
    response = HttpResponse(data, content_type=XLSX)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{request.tenant.schema_name}-{stamp}.xlsx"'
    )
    return response
