"""The exports page and files, for those who see the school's fees (payments.permissions.FEE_VIEWERS);
anyone else gets 404: the accounting workbooks (the payments of a range of days, the invoices of a round)
and the city centre's payment data (docs/payment-export.md), each audited before it is sent."""

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from payments.exports.city import FORMATS, TABLES, export_csv, export_json
from payments.exports.forms import RangeForm
from payments.exports.periods import period_parse
from payments.exports.selectors import invoice_records, payment_records, rounds
from payments.exports.services import export_record
from payments.exports.workbooks import invoices_workbook, payments_workbook
from payments.permissions import FEE_VIEWERS
from schoolbook.permissions import school_role_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@school_role_required(*FEE_VIEWERS)
def exports_view(request):
    return _page(request)


def _page(request, range_form=None, status=200):
    """The choices: a range of days, a round, the city export's day and month (today and this month unless
    others were picked)."""
    today = timezone.localdate()
    month = today.replace(day=1)
    range_form = range_form or RangeForm(initial={"start": month, "end": today})
    city = request.GET.get("day", ""), request.GET.get("month", "")
    day = period_parse(city[0]) or period_parse(today.isoformat())
    month_period = period_parse(city[1][:7]) or period_parse(month.strftime("%Y-%m"))
    context = {
        "range_form": range_form,
        "rounds": rounds(),
        "periods": [(day.start, day.text), (month_period.start, month_period.text)],
    }
    return render(request, "payments/exports.html", context, status=status)


@school_role_required(*FEE_VIEWERS)
def payments_export_view(request):
    form = RangeForm(request.GET)
    if not form.is_valid():
        return _page(request, range_form=form, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    export_record(actor=request.user, what="payments", fmt="xlsx",
                  scope={"from": start.isoformat(), "to": end.isoformat()})  # fmt: skip
    filename = f"thu-tien-{request.tenant.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    return _xlsx(payments_workbook(payment_records(start, end)), filename)


@school_role_required(*FEE_VIEWERS)
def invoices_export_view(request):
    round_id = request.GET.get("round", "")
    if not round_id.isdigit():
        raise Http404
    round_ = get_object_or_404(rounds(), pk=round_id)
    export_record(actor=request.user, what="invoices", fmt="xlsx", scope={"round": round_.pk})
    filename = f"hoa-don-{request.tenant.code}-dot-{round_.pk}.xlsx"
    return _xlsx(invoices_workbook(invoice_records(round_=round_)), filename)


@school_role_required(*FEE_VIEWERS)
def city_export_view(request, period, fmt):
    found = period_parse(period)
    table = request.GET.get("table", "payments") if fmt == "csv" else None
    if found is None or fmt not in FORMATS or (table is not None and table not in TABLES):
        raise Http404
    scope = {"from": found.start.isoformat(), "to": found.end.isoformat(), "table": table}
    export_record(actor=request.user, what="city", fmt=fmt, scope=scope)
    if fmt == "csv":
        response = StreamingHttpResponse(export_csv(found, table), content_type="text/csv; charset=utf-8")
        filename = f"thu-phi-{request.tenant.code}-{found.text}-{table}.csv"
    else:
        response = StreamingHttpResponse(export_json(found, request.tenant), content_type="application/json")
        filename = f"thu-phi-{request.tenant.code}-{found.text}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
