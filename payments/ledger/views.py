"""The accountant's money pages (/s/<code>/fees/transactions/…): a day's transactions, the unmatched queue,
and one transaction, where what is left of it is assigned to an invoice found by code or name, marked
refunded, or one of its payments reversed. Fee viewers (the principal) see them; only fee managers act,
each act after a confirmation (schoolbook.confirm) that says what will happen; everyone else gets 404.
The ledger's refusals (its LedgerError texts, or the same reasons said before confirming when the state
no longer allows the act) are shown as they are written, in Vietnamese."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from messaging.outbox.selectors import format_vnd
from payments.ledger.forms import AssignForm, RefundForm, ReverseForm, TransactionFilterForm
from payments.ledger.selectors import (
    invoices_search,
    transaction_payments,
    transactions_on,
    transactions_total,
    unmatched_count,
    unmatched_queue,
)
from payments.ledger.services import (
    LedgerError,
    assign_refusal,
    payment_reverse,
    refund_refusal,
    reverse_refusal,
    transaction_assign,
    transaction_refund,
)
from payments.models import BankTransaction, Payment
from payments.permissions import FEE_MANAGERS, FEE_VIEWERS, can_manage_fees
from schoolbook.confirm import confirm_page, confirmation_token, confirmed
from schoolbook.permissions import school_role_required

PAGE_SIZE = 50


@school_role_required(*FEE_VIEWERS)
def transactions_view(request):
    filters = TransactionFilterForm(request.GET)
    day, status = filters.filters()
    rows = transactions_on(day, status)
    context = {
        "filters": filters,
        "day": day,
        "totals": transactions_total(rows),
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "unmatched": unmatched_count(),
        "tab": "transactions",
        "can_act": can_manage_fees(request.staff),
    }
    return render(request, "payments/ledger/transactions.html", context)


@school_role_required(*FEE_VIEWERS)
def unmatched_view(request):
    page = Paginator(unmatched_queue(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "unmatched": page.paginator.count,
        "tab": "unmatched",
        "can_act": can_manage_fees(request.staff),
    }
    return render(request, "payments/ledger/unmatched.html", context)


@school_role_required(*FEE_VIEWERS)
def transaction_view(request, pk):
    return _transaction_page(request, get_object_or_404(BankTransaction, pk=pk))


def _transaction_page(request, row, *, assign=None, refund=None, reverse_=None, reversing=None):
    """The transaction with its payments; for managers, while money is left, the invoice search (GET q)
    and the assign and refund forms. A submitted form comes back with its errors (400)."""
    can_act = can_manage_fees(request.staff)
    open_ = row.unapplied > 0 and row.status != BankTransaction.Status.REFUNDED
    query = request.GET.get("q", "").strip()
    context = {
        "row": row,
        "payments": transaction_payments(row),
        "can_act": can_act,
        "open": open_,
        "query": query,
        "candidates": invoices_search(query) if can_act and open_ and query else [],
        "assign": assign,
        "refund": refund or RefundForm(),
        "reverse": reverse_,
        "reversing": reversing,
    }
    invalid = any(form is not None and form.errors for form in (assign, refund, reverse_))
    return render(request, "payments/ledger/transaction.html", context, status=400 if invalid else 200)


def _refused(request, refusal: str, row):
    """What the ledger would refuse, said before asking for any confirmation (the state changed since the
    page was shown: a colleague refunded or reversed it meanwhile)."""
    messages.error(request, refusal)
    return redirect("fee_transaction", pk=row.pk)


@school_role_required(*FEE_MANAGERS)
@require_POST
def transaction_assign_view(request, pk):
    row = get_object_or_404(BankTransaction, pk=pk)
    if refusal := assign_refusal(row):
        return _refused(request, refusal, row)
    form = AssignForm(request.POST, row=row)
    if not form.is_valid():
        return _transaction_page(request, row, assign=form)
    invoice, amount = form.cleaned_data["invoice"], form.cleaned_data["amount"]
    token = confirmation_token("assign", row.pk, row.unapplied, row.status, invoice.pk, invoice.paid, amount)
    if not confirmed(request, token):
        values = {
            "amount": format_vnd(amount),
            "code": invoice.code,
            "name": invoice.student.full_name,
            "owed": format_vnd(invoice.outstanding),
            "rest": format_vnd(row.unapplied - amount),
        }
        summary = [
            gettext(
                "Gán %(amount)s của giao dịch này cho hoá đơn %(code)s của %(name)s (còn phải nộp %(owed)s)."
            )
            % values,
            gettext(
                "Nhà trường lập biên lai và gửi tin xác nhận cho phụ huynh. Phần còn lại chưa gán: %(rest)s."
            )
            % values,
        ]
        if amount > invoice.outstanding:
            summary.append(gettext("Số tiền lớn hơn số còn phải nộp: hoá đơn sẽ thành nộp thừa."))
        return confirm_page(
            request,
            title=gettext("Gán tiền cho hoá đơn %(code)s?") % values,
            action=request.path,
            token=token,
            fields={"invoice": invoice.pk, "amount": amount},
            summary=summary,
            button=gettext("Xác nhận gán"),
            back=reverse("fee_transaction", kwargs={"pk": row.pk}),
        )
    try:
        transaction_assign(actor=request.user, row=row, invoice=invoice, amount=amount)
    except LedgerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            gettext("Đã gán %(amount)s cho hoá đơn %(code)s.")
            % {"amount": format_vnd(amount), "code": invoice.code},
        )
    return redirect("fee_transaction", pk=row.pk)


@school_role_required(*FEE_MANAGERS)
@require_POST
def transaction_refund_view(request, pk):
    row = get_object_or_404(BankTransaction, pk=pk)
    if refusal := refund_refusal(row):
        return _refused(request, refusal, row)
    form = RefundForm(request.POST)
    if not form.is_valid():
        return _transaction_page(request, row, refund=form)
    note = form.cleaned_data["note"]
    token = confirmation_token("refund", row.pk, row.unapplied, row.status, note)
    if not confirmed(request, token):
        amount = format_vnd(row.unapplied)
        return confirm_page(
            request,
            title=gettext("Đánh dấu đã hoàn %(amount)s?") % {"amount": amount},
            action=request.path,
            token=token,
            fields={"note": note},
            summary=[
                gettext(
                    "%(amount)s chưa khớp của giao dịch này được ghi là đã hoàn trả người gửi và rời hàng "
                    "chờ. Việc chuyển trả thực hiện trong ngân hàng; ở đây chỉ ghi lại."
                )
                % {"amount": amount},
                gettext("Ghi chú: %(note)s") % {"note": note},
            ],
            button=gettext("Xác nhận đã hoàn tiền"),
            back=reverse("fee_transaction", kwargs={"pk": row.pk}),
        )
    try:
        transaction_refund(actor=request.user, row=row, note=note)
    except LedgerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("Đã ghi nhận hoàn tiền."))
    return redirect("fee_transaction", pk=row.pk)


@school_role_required(*FEE_MANAGERS)
@require_POST
def payment_reverse_view(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("invoice__student", "transaction"), pk=pk)
    row = payment.transaction
    if refusal := reverse_refusal(payment):
        return _refused(request, refusal, row)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        return _transaction_page(request, row, reverse_=form, reversing=payment.pk)
    reason = form.cleaned_data["reason"]
    token = confirmation_token("reverse", payment.pk, reason)
    if not confirmed(request, token):
        values = {
            "amount": format_vnd(payment.amount),
            "code": payment.invoice.code,
            "name": payment.invoice.student.full_name,
        }
        return confirm_page(
            request,
            title=gettext("Điều chỉnh khoản %(amount)s của hoá đơn %(code)s?") % values,
            action=request.path,
            token=token,
            fields={"reason": reason},
            summary=[
                gettext(
                    "Khoản thanh toán %(amount)s cho hoá đơn %(code)s của %(name)s được bù trừ bằng một "
                    "khoản ngược lại; biên lai của nó bị huỷ, số tiền quay về phần chưa khớp của giao dịch "
                    "để gán lại hoặc hoàn trả. Không xoá gì: cả hai khoản đều được lưu và ghi nhật ký."
                )
                % values,
                gettext("Lý do: %(reason)s") % {"reason": reason},
            ],
            button=gettext("Xác nhận điều chỉnh"),
            back=reverse("fee_transaction", kwargs={"pk": row.pk}),
        )
    try:
        payment_reverse(actor=request.user, payment=payment, reason=reason)
    except LedgerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("Đã điều chỉnh: số tiền quay về phần chưa khớp của giao dịch."))
    return redirect("fee_transaction", pk=row.pk)
