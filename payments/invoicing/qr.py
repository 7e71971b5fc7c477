"""The VietQR of an invoice (or of a family's open invoices): the EMVCo payload (payments.vietqr) with the
school's receiving account, the amount still owed and a transfer note that carries the payment code, drawn as
SVG for pages and PNG for saving to the phone's gallery (segno)."""

import io

import segno

from payments import vietqr
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
