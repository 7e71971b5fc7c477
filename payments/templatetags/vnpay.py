"""`{% vnpay_payable invoice as payable %}`: whether the VNPay button belongs next to this invoice (the school
has a VNPay merchant and the invoice still owes something). templates/payments/vnpay/_pay_button.html uses it,
so a page that includes the button needs nothing else in its context."""

from django import template

from payments.vnpay.selectors import is_payable, vnpay_provider

register = template.Library()


@register.simple_tag(takes_context=True)
def vnpay_payable(context, invoice) -> bool:
    if not is_payable(invoice):
        return False
    # One query per request however many invoices a page lists.
    request = context.get("request")
    configured = getattr(request, "_vnpay_configured", None)
    if configured is None:
        configured = vnpay_provider() is not None
        if request is not None:
            request._vnpay_configured = configured
    return configured
