"""The VietQR of an invoice (or of a family's open invoices): the EMVCo payload (payments.vietqr) with the
school's receiving account, the amount still owed and a transfer note that carries the payment code, drawn as
SVG for pages and PNG for saving to the phone's gallery (segno)."""

import io
from dataclasses import dataclass

import segno
from django.http import HttpResponse

from payments import vietqr
from payments.banks import bank_for
from payments.codes import FAMILY, code_make
from payments.models import Invoice, ReceivingAccount

NOTE_SUFFIX = "HOC PHI"  # what the parent's bank history shows after the code


def invoice_transfer(invoice: Invoice, account: ReceivingAccount) -> vietqr.Transfer:
    return vietqr.Transfer(
        bank_bin=account.bank_bin,
        account=account.account_number,
        amount=invoice.outstanding or None,
        note=vietqr.transfer_note(f"{invoice.code} {NOTE_SUFFIX}"),
        bill=invoice.code,
    )


def family_code(guardian_id: int) -> str:
    return code_make(FAMILY, guardian_id)


def family_transfer(guardian_id: int, amount: int, account: ReceivingAccount) -> vietqr.Transfer:
    code = family_code(guardian_id)
    return vietqr.Transfer(
        bank_bin=account.bank_bin,
        account=account.account_number,
        amount=amount or None,
        note=vietqr.transfer_note(f"{code} {NOTE_SUFFIX}"),
        bill=code,
    )


def qr_png(payload: str, *, scale: int = 8) -> bytes:
    """A PNG a banking app scans from the gallery: quiet zone kept, black on white."""
    out = io.BytesIO()
    segno.make(payload, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_png_response(payload: str, filename: str) -> HttpResponse:
    """The QR as a PNG download; never cached, since the amount changes as payments arrive."""
    response = HttpResponse(qr_png(payload), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@dataclass(frozen=True)
class TransferDetails:
    """What a payer who types the transfer needs, and the QR payload that carries the same."""

    bank_name: str
    bank_short_name: str
    account_number: str
    account_name: str
    amount: int
    note: str
    payload: str


def transfer_details(transfer: vietqr.Transfer, account: ReceivingAccount) -> TransferDetails:
    bank = bank_for(account.bank_bin)
    return TransferDetails(
        bank_name=bank.name if bank else account.bank_bin,
        bank_short_name=bank.short_name if bank else account.bank_bin,
        account_number=account.account_number,
        account_name=account.account_name,
        amount=transfer.amount or 0,
        note=transfer.note,
        payload=vietqr.encode(transfer),
    )


def invoice_payment(invoice: Invoice, account: ReceivingAccount | None) -> TransferDetails | None:
    """The transfer that pays what is still owed on `invoice`; None when nothing is owed or the school has
    no receiving account."""
    if account is None or invoice.outstanding <= 0:
        return None
    return transfer_details(invoice_transfer(invoice, account), account)
