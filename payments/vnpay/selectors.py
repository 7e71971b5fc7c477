"""Reads for VNPay: the school's merchant (its credentials are unsealed here and nowhere else), invoices and
orders with the student the views check the guardian against, and whether an invoice can be paid through VNPay
now."""

import json
import logging
from dataclasses import dataclass

from django.utils import timezone

from payments import vnpay_protocol
from payments.ledger.services import OPEN_STATES
from payments.models import Invoice, PaymentProvider, VnpayOrder
from schoolbook.sealed import UnsealError, unseal

logger = logging.getLogger("schoolbook.payments")


@dataclass(frozen=True)
class Merchant:
    tmn_code: str
    hash_secret: str


def vnpay_provider() -> PaymentProvider | None:
    """The current school's VNPay account, if it has one."""
    return PaymentProvider.objects.filter(provider=PaymentProvider.Provider.VNPAY).first()


def vnpay_merchant() -> Merchant | None:
    """The current school's VNPay terminal and hash secret; None without one, or when it can no longer be
    unsealed (the sealing key changed: the school must enter it again, and until then nothing verifies)."""
    provider = vnpay_provider()
    if provider is None:
        return None
    try:
        credentials = json.loads(unseal(provider.credentials))
    except UnsealError as exc:
        logger.warning("VNPay: the school's merchant account is unreadable, %s", exc)
        return None
    return Merchant(tmn_code=credentials["tmn_code"], hash_secret=credentials["hash_secret"])


def is_payable(invoice: Invoice) -> bool:
    """Whether a parent may start paying `invoice` through VNPay: open or partly paid, something owed."""
    return invoice.state in OPEN_STATES and invoice.outstanding > 0


def invoice_with_student(pk: int) -> Invoice | None:
    return Invoice.objects.select_related("student", "round").filter(pk=pk).first()


def order_with_invoice(txn_ref: str) -> VnpayOrder | None:
    if not txn_ref:
        return None
    return VnpayOrder.objects.select_related("invoice__student").filter(txn_ref=txn_ref).first()


def pending_orders_count() -> int:
    return VnpayOrder.objects.filter(status=VnpayOrder.Status.PENDING).count()


def recent_pending_order(invoice: Invoice) -> VnpayOrder | None:
    """An order for `invoice` started within VNPay's payment window and not confirmed yet: the parent may have
    paid already, so the page warns before a second payment."""
    since = timezone.now() - vnpay_protocol.EXPIRES_AFTER
    return (
        VnpayOrder.objects.filter(invoice=invoice, status=VnpayOrder.Status.PENDING, created_at__gte=since)
        .order_by("-created_at")
        .first()
    )
