"""VNPay's writes: the school's merchant account (save or replace, remove), a parent's order (the signed URL
to VNPay), and the IPN, the only call that changes an order and, through the ledger, an invoice.

The IPN answers as VNPay's guide says (payments.vnpay_protocol): 97 signature, 01 order, 04 amount, 02 already
confirmed, 00 recorded, 99 anything else. The order is locked (SELECT … FOR UPDATE) before it is looked at,
so of two IPNs for one order arriving together the second waits, then finds it confirmed and answers 02. Money
goes in only through `payments.ledger.services.transaction_record`, once per VNPay transaction number, with
the invoice's code as the note so matching applies it to that invoice (or to the unmatched queue when the
invoice no longer owes anything: the accountant refunds or assigns it).
"""

import json
import logging
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments import vnpay_protocol as vnpay
from payments.ledger.services import Incoming, transaction_record
from payments.models import BankTransaction, Invoice, PaymentProvider, VnpayOrder
from payments.vnpay.selectors import is_payable, vnpay_merchant
from schoolbook.audit.services import audit_record, client_ip
from schoolbook.sealed import seal

logger = logging.getLogger("schoolbook.payments")

ORDER_INFO = "Thanh toan hoa don {code}"  # vnp_OrderInfo: no accents, as VNPay asks


class NotPayable(Exception):
    """The invoice cannot be paid through VNPay now (nothing owed, cancelled, or no merchant)."""


def _described(provider: PaymentProvider) -> dict:
    return {"provider": provider.provider, "tmn_code": provider.hint}


@transaction.atomic
def vnpay_merchant_save(*, actor, tmn_code: str, hash_secret: str) -> PaymentProvider:
    """Store (or replace) the school's VNPay terminal and hash secret, sealed. The terminal code is the hint:
    it is in every payment URL anyway; the secret is never shown or audited."""
    provider = (
        PaymentProvider.objects.select_for_update().filter(provider=PaymentProvider.Provider.VNPAY).first()
    )
    before = _described(provider) if provider else None
    provider = provider or PaymentProvider(provider=PaymentProvider.Provider.VNPAY)
    provider.credentials = seal(json.dumps({"tmn_code": tmn_code, "hash_secret": hash_secret}))
    provider.hint = tmn_code
    provider.save()
    audit_record(
        actor=actor, action="payments.vnpay_save", obj=provider, before=before, after=_described(provider)
    )
    return provider


@transaction.atomic
def vnpay_merchant_remove(*, actor) -> bool:
    """Forget the school's VNPay account: parents no longer see the button, and IPNs no longer verify. False
    when there was none."""
    provider = (
        PaymentProvider.objects.select_for_update().filter(provider=PaymentProvider.Provider.VNPAY).first()
    )
    if provider is None:
        return False
    audit_record(actor=actor, action="payments.vnpay_remove", obj=provider, before=_described(provider))
    provider.delete()
    return True


def vnpay_order_start(
    *, actor, invoice: Invoice, return_url: str, locale: str = "vn"
) -> tuple[VnpayOrder, str]:
    """A new order for what `invoice` still owes, and the signed VNPay URL to send the payer to. Every attempt
    is a new vnp_TxnRef (VNPay refuses a reference twice): the invoice code and 8 random hex digits, so
    VNPay's merchant portal shows which invoice a payment was for."""
    merchant = vnpay_merchant()
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if merchant is None or not is_payable(invoice):
            raise NotPayable
        order = VnpayOrder.objects.create(
            invoice=invoice, txn_ref=f"{invoice.code}{secrets.token_hex(4).upper()}",
            amount=invoice.outstanding, created_by=actor,
        )  # fmt: skip
        payment = vnpay.Payment(
            tmn_code=merchant.tmn_code, amount=order.amount, txn_ref=order.txn_ref,
            info=ORDER_INFO.format(code=invoice.code), return_url=return_url,
            ip_address=client_ip() or "127.0.0.1", created_at=order.created_at, locale=locale,
        )  # fmt: skip
        url = vnpay.payment_url(settings.VNPAY_PAYMENT_URL, payment, merchant.hash_secret)
        audit_record(
            actor=actor, action="payments.vnpay_start", obj=order,
            after={"invoice": invoice.code, "amount": order.amount},
        )  # fmt: skip
    return order, url


def vnpay_signature_valid(query: Mapping[str, str]) -> bool:
    """Whether `query` is signed with the current school's hash secret (reads only)."""
    merchant = vnpay_merchant()
    return merchant is not None and vnpay.verify(query, merchant.hash_secret)


def vnpay_ipn_receive(query: Mapping[str, str]) -> dict[str, str]:
    """VNPay's IPN for the current school: check, record once, and the answer VNPay expects."""
    if not vnpay_signature_valid(query):
        return vnpay.ipn_answer(vnpay.INVALID_SIGNATURE)
    try:
        with transaction.atomic():
            return vnpay.ipn_answer(_confirm(query))
    except Exception:  # VNPay's catch-all: answer 99, keep nothing half done (the atomic block), and say why
        logger.exception("VNPay IPN for %s could not be recorded", query.get("vnp_TxnRef", ""))
        return vnpay.ipn_answer(vnpay.UNKNOWN_ERROR)


def _confirm(query: Mapping[str, str]) -> str:
    order = VnpayOrder.objects.select_for_update().filter(txn_ref=query.get("vnp_TxnRef", "")).first()
    if order is None:
        return vnpay.ORDER_NOT_FOUND
    try:
        amount = vnpay.amount_of(query)
    except vnpay.VnpayError:
        return vnpay.INVALID_AMOUNT
    if amount != order.amount:
        return vnpay.INVALID_AMOUNT
    if order.status != VnpayOrder.Status.PENDING:
        return vnpay.ALREADY_CONFIRMED
    result = vnpay.outcome(query)
    if result.paid:
        code = Invoice.objects.values_list("code", flat=True).get(pk=order.invoice_id)
        transaction_record(
            Incoming(
                source=BankTransaction.Source.VNPAY, provider_id=result.transaction_no, amount=amount,
                note=code, occurred_at=result.paid_at, reference=order.txn_ref,
            )
        )  # fmt: skip
    order.status = VnpayOrder.Status.PAID if result.paid else VnpayOrder.Status.FAILED
    order.response_code = result.response_code[:4]
    order.transaction_no = result.transaction_no[:40]
    order.confirmed_at = timezone.now()
    order.save(update_fields=["status", "response_code", "transaction_no", "confirmed_at"])
    audit_record(
        actor=None, action="payments.vnpay_confirm", obj=order,
        after={"status": order.status, "response_code": order.response_code,
               "transaction_no": order.transaction_no, "amount": amount},
    )  # fmt: skip
    return vnpay.CONFIRMED
