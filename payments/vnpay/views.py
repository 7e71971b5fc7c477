"""VNPay's pages (docs/vnpay.md).

- `/s/<code>/fees/settings/vnpay/`: the school's VNPay merchant (fee managers: payments.permissions
  .can_manage_fees; everyone else 404), the IPN address to register with VNPay; remove after a confirmation.
- `/s/<code>/fees/invoices/<pk>/vnpay/`: a guardian of the invoice's student only (everyone else 404). GET
  shows what will be paid and the button (templates/payments/vnpay/_pay_button.html, which the parent's
  invoice page includes too); POST creates the order and sends the browser to VNPay.
- `/s/<code>/fees/vnpay/return/`: where VNPay sends the browser back. It checks the signature and reads the
  order; it never changes anything (only the IPN does). While the IPN has not arrived it says so and asks
  again every few seconds (HTMX).
- `/hooks/vnpay/<code>/` (public, schoolbook.urls_public): VNPay's IPN, answered in VNPay's JSON. No such
  school, or one without VNPay: 97 (nothing here can verify the call); a suspended school: 97 or 99, and
  nothing is recorded until it is reactivated.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django_tenants.utils import schema_context

from payments import vnpay_protocol as vnpay
from payments.models import VnpayOrder
from payments.permissions import can_manage_fees
from payments.vnpay.forms import VnpayMerchantForm
from payments.vnpay.selectors import (
    invoice_with_student,
    is_payable,
    order_with_invoice,
    pending_orders_count,
    recent_pending_order,
    vnpay_merchant,
    vnpay_provider,
)
from payments.vnpay.services import (
    NotPayable,
    vnpay_ipn_receive,
    vnpay_merchant_remove,
    vnpay_merchant_save,
    vnpay_order_start,
    vnpay_signature_valid,
)
from schoolbook.confirm import confirm_page, confirmation_token, confirmed
from students.permissions import is_guardian_of
from tenants.routing import school_for_code

POLL_SECONDS = 3
# VNPay's vnp_ResponseCode table (pay.html, "Bảng mã lỗi"), in the parent's words.
RESPONSE_REASONS = {
    "07": _("Ngân hàng đã trừ tiền nhưng giao dịch đang bị nghi ngờ; VNPay sẽ kiểm tra và báo lại."),
    "09": _("Thẻ hoặc tài khoản chưa đăng ký dịch vụ Internet Banking."),
    "10": _("Thông tin thẻ hoặc tài khoản bị nhập sai quá 3 lần."),
    "11": _("Đã hết thời gian chờ thanh toán."),
    "12": _("Thẻ hoặc tài khoản đang bị khoá."),
    "13": _("Mã xác thực (OTP) không đúng."),
    "24": _("Bạn đã huỷ giao dịch."),
    "51": _("Tài khoản không đủ số dư."),
    "65": _("Tài khoản đã vượt hạn mức giao dịch trong ngày."),
    "75": _("Ngân hàng thanh toán đang bảo trì."),
    "79": _("Mật khẩu thanh toán bị nhập sai quá số lần cho phép."),
}
OTHER_REASON = _("VNPay báo giao dịch không thành công (mã %(code)s).")


def _fee_manager(request) -> None:
    if not can_manage_fees(request.staff):
        raise Http404


def _ipn_address(request) -> str:
    path = reverse("vnpay_ipn", urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=[request.tenant.code])
    return request.build_absolute_uri(path)


@require_http_methods(["GET", "POST"])
def vnpay_settings_view(request):
    _fee_manager(request)
    form = VnpayMerchantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        vnpay_merchant_save(actor=request.user, **form.cleaned_data)
        messages.success(
            request, gettext("Đã lưu tài khoản VNPay của trường. Hãy đăng ký địa chỉ IPN bên dưới với VNPay.")
        )
        return redirect("vnpay_settings")
    context = {
        "form": form,
        "provider": vnpay_provider(),
        "ipn_url": _ipn_address(request),
        "payment_url": settings.VNPAY_PAYMENT_URL,
        "sandbox": "sandbox" in settings.VNPAY_PAYMENT_URL,
    }
    return render(request, "payments/vnpay/settings.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def vnpay_remove_view(request):
    _fee_manager(request)
    provider = vnpay_provider()
    if provider is None:
        return redirect("vnpay_settings")
    pending = pending_orders_count()
    token = confirmation_token("vnpay-remove", provider.pk, provider.hint, pending)
    if confirmed(request, token):
        vnpay_merchant_remove(actor=request.user)
        messages.success(request, gettext("Đã ngừng nhận thanh toán qua VNPay."))
        return redirect("vnpay_settings")
    summary = [
        gettext("Phụ huynh sẽ không còn thấy nút thanh toán qua VNPay; chuyển khoản (VietQR) vẫn dùng được."),
        gettext("Chuỗi bí mật đã lưu bị xoá hẳn: muốn dùng lại, phải nhập lại tài khoản VNPay."),
    ]
    if pending:
        summary.append(
            ngettext(
                "%(count)d giao dịch VNPay đang chờ xác nhận sẽ không được ghi nhận tự động: kế toán "
                "đối chiếu chúng trên trang quản lý của VNPay.",
                "%(count)d giao dịch VNPay đang chờ xác nhận sẽ không được ghi nhận tự động: kế toán "
                "đối chiếu chúng trên trang quản lý của VNPay.",
                pending,
            )
            % {"count": pending}
        )
    title = gettext("Ngừng nhận thanh toán qua VNPay (mã website %(code)s)?") % {"code": provider.hint}
    return confirm_page(
        request, title=title, action=reverse("vnpay_remove"), token=token, summary=summary,
        button=gettext("Xác nhận ngừng"), back=reverse("vnpay_settings"),
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def vnpay_start_view(request, pk):
    invoice = invoice_with_student(pk)
    if invoice is None or not is_guardian_of(request.guardian, invoice.student):
        raise Http404
    if request.method == "POST":
        locale = "en" if (get_language() or "").startswith("en") else "vn"
        return_url = request.build_absolute_uri(reverse("vnpay_return"))
        try:
            _order, url = vnpay_order_start(
                actor=request.user, invoice=invoice, return_url=return_url, locale=locale
            )
        except NotPayable:
            invoice.refresh_from_db()
            return _start_page(request, invoice, status=409)
        return redirect(url)
    return _start_page(request, invoice)


def _start_page(request, invoice, status=200):
    context = {
        "invoice": invoice,
        "configured": vnpay_merchant() is not None,
        "payable": is_payable(invoice),
        "recent": recent_pending_order(invoice),
        "refused": status != 200,
    }
    return render(request, "payments/vnpay/start.html", context, status=status)


@require_GET
def vnpay_return_view(request):
    if request.guardian is None:
        raise Http404
    query = request.GET.dict()
    if not vnpay_signature_valid(query):
        return render(request, "payments/vnpay/return.html", {"unverified": True}, status=403)
    order = order_with_invoice(query.get("vnp_TxnRef", ""))
    if order is None or not is_guardian_of(request.guardian, order.invoice.student):
        raise Http404
    returned = _returned(query)
    if order.status == VnpayOrder.Status.PAID:
        state, reason = "paid", ""
    elif order.status == VnpayOrder.Status.FAILED:
        state, reason = "failed", _reason(order.response_code)
    elif returned is not None and not returned.paid:
        state, reason = "failed", _reason(returned.response_code)  # VNPay said so; its IPN may still come
    else:
        state, reason = "waiting", ""
    context = {
        "order": order,
        "invoice": order.invoice,
        "state": state,
        "reason": reason,
        "poll_url": request.get_full_path(),
        "poll_seconds": POLL_SECONDS,
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "payments/vnpay/_return_status.html", context)
    return render(request, "payments/vnpay/return.html", context)


def _returned(query) -> vnpay.Outcome | None:
    try:
        return vnpay.outcome(query)
    except vnpay.VnpayError:
        return None


def _reason(code: str) -> str:
    return str(RESPONSE_REASONS.get(code) or OTHER_REASON % {"code": code or "—"})


@require_GET
def vnpay_ipn(request, code):
    query = request.GET.dict()
    if not query:
        return JsonResponse(vnpay.ipn_answer(vnpay.UNKNOWN_ERROR))
    school = school_for_code(code)
    if school is None:
        return JsonResponse(vnpay.ipn_answer(vnpay.INVALID_SIGNATURE))
    with schema_context(school.schema_name):
        if not school.is_active:
            # Verified or not, nothing is recorded for a suspended school; VNPay keeps the payment.
            answer = vnpay.UNKNOWN_ERROR if vnpay_signature_valid(query) else vnpay.INVALID_SIGNATURE
            return JsonResponse(vnpay.ipn_answer(answer))
        return JsonResponse(vnpay_ipn_receive(query))
