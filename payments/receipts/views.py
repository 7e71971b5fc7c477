"""A receipt (biên lai thu tiền) as a printable page and as a PDF, for the school's fee viewers and the
student's guardians; anyone else gets 404."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from payments.receipts.pdf import receipt_pdf
from payments.receipts.selectors import can_see_receipt, receipt_sheet
from students.permissions import is_guardian_of


def _sheet_or_404(request, pk):
    sheet = receipt_sheet(pk, request.tenant.name)
    if sheet is None or not can_see_receipt(request, sheet):
        raise Http404
    return sheet


@require_GET
def fee_receipt(request, pk):
    sheet = _sheet_or_404(request, pk)
    own_child = is_guardian_of(request.guardian, sheet.student)  # the way back to the invoice is theirs
    return render(request, "payments/receipt.html", {"sheet": sheet, "own_child": own_child})


@require_GET
def fee_receipt_pdf(request, pk):
    sheet = _sheet_or_404(request, pk)
    response = HttpResponse(receipt_pdf(sheet), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{sheet.filename}"'
    return response
