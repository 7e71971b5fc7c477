"""Collection rounds and invoices (/s/<code>/fees/rounds/…, /fees/invoices/…) and the school's receiving
account (/fees/settings/). A round's page previews what generating it would create, change or cancel, and
generates only what that preview showed (payments.invoicing.plan's token). Fee viewers see; fee managers
act (payments.permissions)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from payments import vietqr
from payments.banks import bank_for
from payments.catalogue.selectors import current_year
from payments.invoicing.forms import ReceivingAccountForm, RoundForm
from payments.invoicing.plan import round_plan, student_ids_by_class
from payments.invoicing.qr import invoice_payment, qr_png_response
from payments.invoicing.selectors import invoice_detail, receiving_account, round_invoices, rounds
from payments.invoicing.services import (
    InvoiceError,
    PlanChanged,
    invoice_cancel,
    receiving_account_save,
    round_create,
    round_generate,
)
from payments.ledger.services import mask_account
from payments.models import CollectionRound, Invoice, InvoiceState
from payments.permissions import FEE_MANAGERS, FEE_VIEWERS, can_manage_fees
from schoolbook.confirm import FIELD, confirm_page, confirmation_token, confirmed
from schoolbook.permissions import school_role_required
from schoolbook.qr import qr_svg


@school_role_required(*FEE_VIEWERS)
def round_list_view(request):
    year = current_year()
    context = {
        "year": year,
        "rounds": rounds(year) if year else [],
        "can_manage": can_manage_fees(request.staff),
        "has_account": receiving_account() is not None,
    }
    return render(request, "payments/invoicing/round_list.html", context)


@school_role_required(*FEE_MANAGERS)
def round_new_view(request):
    year = current_year()
    if year is None:
        return redirect("fee_items")
    form = RoundForm(request.POST or None, year=year)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = round_create(actor=request.user, staff=request.staff, year=year, data=form.cleaned_data)
        except InvoiceError as error:
            form.add_error("name", str(error))
        else:
            return redirect("fee_round", pk=round_.pk)
    status = 400 if form.errors else 200
    has_items = form.fields["items"].queryset.exists()
    return render(
        request, "payments/invoicing/round_form.html", {"form": form, "has_items": has_items}, status=status
    )


@school_role_required(*FEE_VIEWERS)
def round_detail_view(request, pk):
    round_ = get_object_or_404(CollectionRound.objects.prefetch_related("items"), pk=pk)
    return _round_page(request, round_, round_plan(round_))


def _round_page(request, round_, plan, *, stale=False):
    """The round: the preview of what generating would do (`stale`: the one confirmed had changed), and its
    invoices filtered by state or searched by code, name or student code."""
    state = request.GET.get("state", "")
    if state not in InvoiceState.values and state != "overdue":
        state = ""
    query = request.GET.get("q", "").strip()[:60]
    page = Paginator(round_invoices(round_, state=state, query=query), 50).get_page(request.GET.get("page"))
    context = {
        "round": round_,
        "plan": plan,
        "new_by_class": student_ids_by_class(plan),
        "stale": stale,
        "confirm_field": FIELD,
        "page": page,
        "state": state,
        "states": InvoiceState.choices,
        "query": query,
        "can_manage": can_manage_fees(request.staff),
    }
    return render(request, "payments/invoicing/round_detail.html", context)


@school_role_required(*FEE_MANAGERS)
@require_POST
def round_generate_view(request, pk):
    round_ = get_object_or_404(CollectionRound, pk=pk)
    try:
        plan = round_generate(actor=request.user, round_=round_, token=request.POST.get(FIELD, ""))
    except PlanChanged as changed:
        return _round_page(request, round_, changed.plan, stale=True)
    messages.success(
        request,
        gettext("Đã lập %(new)s hoá đơn mới, cập nhật %(changed)s, huỷ %(cancelled)s.")
        % {"new": len(plan.new), "changed": len(plan.changed), "cancelled": len(plan.cancel)},
    )
    return redirect("fee_round", pk=round_.pk)


@school_role_required(*FEE_VIEWERS)
def invoice_view(request, pk):
    try:
        invoice = invoice_detail(pk)
    except Invoice.DoesNotExist as error:
        raise Http404 from error
    account = receiving_account()
    details = invoice_payment(invoice, account)
    context = {
        "invoice": invoice,
        "account": account,
        "account_masked": mask_account(account.account_number) if account else "",
        "bank": bank_for(account.bank_bin) if account else None,
        "details": details,
        "qr": qr_svg(
            details.payload, title=gettext("Mã VietQR của hoá đơn %(code)s") % {"code": invoice.code}
        )
        if details
        else None,
        "can_manage": can_manage_fees(request.staff),
    }
    return render(request, "payments/invoicing/invoice_detail.html", context)


@school_role_required(*FEE_MANAGERS)
@require_POST
def invoice_cancel_view(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk)
    reason = request.POST.get("reason", "").strip()
    token = confirmation_token("cancel", invoice.pk, invoice.total, invoice.paid)
    if not reason or not confirmed(request, token):
        return confirm_page(
            request,
            title=gettext("Huỷ hoá đơn %(code)s?") % {"code": invoice.code},
            action=request.path,
            token=token,
            fields={"reason": reason} if reason else None,
            summary=[
                gettext("Phụ huynh sẽ không còn thấy hoá đơn này là khoản phải nộp. Việc huỷ được ghi lại.")
            ]
            + ([] if reason else [gettext("Hãy quay lại và ghi lý do huỷ.")]),
            button=gettext("Huỷ hoá đơn"),
            back=redirect("fee_invoice", pk=invoice.pk).url,
            status=200 if reason else 400,
        )
    try:
        invoice_cancel(actor=request.user, invoice=invoice, reason=reason)
    except InvoiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("Đã huỷ hoá đơn %(code)s.") % {"code": invoice.code})
    return redirect("fee_invoice", pk=invoice.pk)


@school_role_required(*FEE_VIEWERS)
def settings_view(request):
    account = receiving_account()
    can_manage = can_manage_fees(request.staff)
    initial = (
        {f: getattr(account, f) for f in ("bank_bin", "account_number", "account_name")} if account else None
    )
    form = ReceivingAccountForm(request.POST or None, initial=initial) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            receiving_account_save(actor=request.user, data=form.cleaned_data)
            messages.success(request, gettext("Đã lưu tài khoản nhận tiền."))
            return redirect("fee_settings")
    sample = None
    if account:
        static = vietqr.Transfer(bank_bin=account.bank_bin, account=account.account_number)
        sample = qr_svg(vietqr.encode(static), title=gettext("Mã VietQR thử của tài khoản"))
    context = {
        "account": account,
        "account_masked": mask_account(account.account_number) if account else "",
        "bank": bank_for(account.bank_bin) if account else None,
        "form": form,
        "sample_qr": sample,
    }
    return render(
        request, "payments/invoicing/settings.html", context, status=400 if form and form.errors else 200
    )


@school_role_required(*FEE_VIEWERS)
def invoice_qr_png_view(request, pk):
    """The invoice's QR as a PNG, for printing on paper notices."""
    invoice = get_object_or_404(Invoice, pk=pk)
    details = invoice_payment(invoice, receiving_account())
    if details is None:
        raise Http404
    return qr_png_response(details.payload, f"VietQR-{invoice.code}.png")
