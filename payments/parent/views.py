"""The parent's fee pages in one school (/s/<code>/fees/my/…), phone first: the children's invoices with what
is owed, due, paid and exempted; an invoice with its VietQR to scan or save, the transfer details to copy,
and its receipts; one family QR for all the open invoices; voluntary items to choose or withdraw after a
confirmation. Only the signed-in guardian's own children: anyone else gets 404."""

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from messaging.outbox.selectors import format_vnd
from payments.invoicing.qr import family_code, invoice_payment, qr_png_response
from payments.invoicing.selectors import receiving_account
from payments.models import Unit
from payments.parent.selectors import (
    child_option,
    children_fees,
    family_payment,
    guardian_invoice,
)
from payments.parent.services import OptInError, fee_opt_in, fee_opt_out
from schoolbook.confirm import confirm_page, confirmation_token, confirmed
from schoolbook.qr import qr_svg


def guardian_required(view):
    """A guardian of some child in this school (the access middleware set request.guardian), else 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "guardian", None) is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@guardian_required
def parent_fees(request):
    children = children_fees(request.guardian)
    account = receiving_account()
    family = family_payment(children, request.guardian, account)
    context = {"children": children, "account": account, "family": None}
    if family:
        details, invoices = family
        context["family"] = details
        context["family_invoices"] = invoices
        context["family_qr"] = qr_svg(details.payload, title=gettext("Mã QR nộp tất cả các khoản còn nợ"))
    return render(request, "payments/parent_fees.html", context)


@require_GET
@guardian_required
def parent_invoice(request, pk):
    invoice = guardian_invoice(request.guardian, pk)
    if invoice is None:
        raise Http404
    account = receiving_account()
    details = invoice_payment(invoice, account)
    context = {"invoice": invoice, "student": invoice.student, "account": account, "details": details}
    if details:
        title = gettext("Mã QR nộp hoá đơn %(code)s") % {"code": invoice.code}
        context["qr"] = qr_svg(details.payload, title=title)
    return render(request, "payments/parent_invoice.html", context)


@require_GET
@guardian_required
def parent_invoice_qr(request, pk):
    """The invoice's VietQR as a PNG to keep in the phone's gallery and open in a banking app."""
    invoice = guardian_invoice(request.guardian, pk)
    details = invoice and invoice_payment(invoice, receiving_account())
    if not details:
        raise Http404
    return qr_png_response(details.payload, f"VietQR-{invoice.code}.png")


@require_GET
@guardian_required
def parent_family_qr(request):
    family = family_payment(children_fees(request.guardian), request.guardian, receiving_account())
    if not family:
        raise Http404
    return qr_png_response(family[0].payload, f"VietQR-{family_code(request.guardian.pk)}.png")


@guardian_required
def parent_fee_option(request, pk, item_pk):
    """Choose a voluntary item for a child, or withdraw it, after a confirmation saying what it does to the
    coming invoices."""
    found = child_option(request.guardian, pk, item_pk)
    if found is None:
        raise Http404
    student, option = found
    back = reverse("parent_fees")
    if option.chosen and option.invoiced:
        messages.error(
            request, gettext("Khoản này đã có trong hoá đơn của con nên không thể tự thôi đăng ký.")
        )
        return redirect(back)
    item = option.item
    token = confirmation_token("fee-option", item.pk, student.pk, option.chosen, item.amount, item.unit)
    if confirmed(request, token):
        try:
            if option.chosen:
                fee_opt_out(actor=request.user, student=student, item=item)
                done = gettext("Đã thôi đăng ký “%(item)s” cho %(name)s.")
            else:
                fee_opt_in(actor=request.user, student=student, item=item)
                done = gettext("Đã đăng ký “%(item)s” cho %(name)s.")
        except OptInError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done % {"item": item.name, "name": student.full_name})
        return redirect(back)
    values = {"item": item.name, "name": student.full_name, "amount": _price(item)}
    if option.chosen:
        title = gettext("Thôi đăng ký khoản tự nguyện")
        summary = [
            gettext("Thôi đăng ký “%(item)s” (%(amount)s) cho %(name)s.") % values,
            gettext("Khoản này sẽ không có trong các hoá đơn sắp tới của con."),
        ]
        button = gettext("Xác nhận thôi đăng ký")
    else:
        title = gettext("Đăng ký khoản tự nguyện")
        summary = [
            gettext("Đăng ký “%(item)s” cho %(name)s: %(amount)s.") % values,
            gettext(
                "Số tiền này sẽ được cộng vào các hoá đơn sắp tới của con. Bạn có thể thôi đăng ký cho đến "
                "khi khoản này được đưa vào hoá đơn."
            ),
        ]
        button = gettext("Xác nhận đăng ký")
    action = reverse("parent_fee_option", kwargs={"pk": student.pk, "item_pk": item.pk})
    return confirm_page(
        request, title=title, action=action, token=token, summary=summary, button=button, back=back
    )


def _price(item) -> str:
    if item.unit == Unit.ONCE:
        return format_vnd(item.amount)
    return f"{format_vnd(item.amount)} {item.get_unit_display()}"
