"""VNPay's payment gateway (PAY, API version 2.1.0) as plain functions with no Django: the signed payment URL
a parent's browser is sent to, the check of the signed query VNPay sends back (to the return page and to the
IPN), VNPay's dates, and the IPN's answers.

Sources: VNPAY's integration guide, https://sandbox.vnpayment.vn/apis/docs/thanh-toan-pay/pay.html (parameters
and their types, the return URL and IPN parameters, the response codes), its note on version 2.1.0,
https://sandbox.vnpayment.vn/apis/docs/chuyen-doi-thuat-toan/changeTypeHash.html (HMAC-SHA512, and
vnp_SecureHashType is no longer sent), VNPAY's demo code (vnpay_python `vnpay.py`: the query sorted by key,
each value `urllib.parse.quote_plus`-encoded, joined with "&", signed; vnpay_php `vnpay_ipn.php`, as
republished in huykunptit/PTIT_eCommerce: the IPN's checks in their order and its answers), and
../shared/DOMAIN.md §6.

- The payment URL carries vnp_Version 2.1.0, vnp_Command pay, vnp_TmnCode (the merchant's terminal,
  Alphanumeric[8]), vnp_Amount (đồng × 100, Numeric[1,12]), vnp_CurrCode VND, vnp_TxnRef (our reference,
  unique, Alphanumeric[1,100]), vnp_OrderInfo (Vietnamese without accents or special characters, ≤ 255),
  vnp_OrderType, vnp_Locale (vn or en), vnp_ReturnUrl, vnp_IpAddr (the payer's address), vnp_CreateDate and
  vnp_ExpireDate (yyyyMMddHHmmss, GMT+7), then vnp_SecureHash.
- vnp_SecureHash = HMAC-SHA512 (hex) with the merchant's hash secret over the vnp_* parameters other than
  vnp_SecureHash and vnp_SecureHashType, sorted by key, each `key=quote_plus(value)`, joined with "&": exactly
  the query string sent, so VNPay checks what it receives. The return URL and the IPN are signed the same way.
- VNPay sends the browser back to vnp_ReturnUrl and calls the IPN URL (server to server, GET) with vnp_Amount,
  vnp_BankCode, vnp_BankTranNo, vnp_CardType, vnp_OrderInfo, vnp_PayDate, vnp_ResponseCode, vnp_TmnCode,
  vnp_TransactionNo, vnp_TransactionStatus, vnp_TxnRef, vnp_SecureHash. Only the IPN may change an order.
  A payment succeeded only when vnp_ResponseCode and vnp_TransactionStatus are both "00"; a cancelled or
  failed one may carry vnp_TransactionNo "0".
- The IPN checks, in this order: the signature (97), the order (01), the amount (04), that the order is still
  waiting (02: already confirmed, VNPay's signal that a repeated call changed nothing), then records the
  outcome and answers 00; anything unexpected is 99. The answer is JSON {"RspCode", "Message"}.
"""

import datetime
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote_plus

VERSION = "2.1.0"
COMMAND = "pay"
CURRENCY = "VND"
ORDER_TYPE = "billpayment"  # VNPay's goods category "thanh toán hoá đơn"
LOCALES = ("vn", "en")
HASH_FIELD = "vnp_SecureHash"
UNSIGNED = (HASH_FIELD, "vnp_SecureHashType")  # 2.0.x sent the hash type; it is never part of the data
PREFIX = "vnp_"

GMT7 = datetime.timezone(datetime.timedelta(hours=7), "GMT+7")
TIME_FORMAT = "%Y%m%d%H%M%S"
EXPIRES_AFTER = datetime.timedelta(minutes=15)  # how long the parent has on VNPay's page

TMN_CODE = re.compile(r"[A-Za-z0-9]{8}")
TXN_REF = re.compile(r"[A-Za-z0-9]{1,100}")
AMOUNT_DIGITS = 12  # vnp_Amount Numeric[1,12], in đồng × 100
ORDER_INFO_MAX = 255

PAID = "00"  # vnp_ResponseCode and vnp_TransactionStatus of a successful payment

# The IPN's answers (RspCode) and VNPay's demo's messages.
CONFIRMED = "00"
ORDER_NOT_FOUND = "01"
ALREADY_CONFIRMED = "02"
INVALID_AMOUNT = "04"
INVALID_SIGNATURE = "97"
UNKNOWN_ERROR = "99"
IPN_MESSAGES = {
    CONFIRMED: "Confirm Success",
    ORDER_NOT_FOUND: "Order not found",
    ALREADY_CONFIRMED: "Order already confirmed",
    INVALID_AMOUNT: "Invalid amount",
    INVALID_SIGNATURE: "Invalid signature",
    UNKNOWN_ERROR: "Unknown error",
}


class VnpayError(ValueError):
    """A value VNPay would refuse, or a query from VNPay that cannot be read; the message says which."""


def vnpay_time(moment: datetime.datetime) -> str:
    """An aware datetime as VNPay writes it: yyyyMMddHHmmss in Vietnam's time (GMT+7)."""
    if moment.tzinfo is None:
        raise VnpayError("VNPay's times are in GMT+7: give an aware datetime")
    return moment.astimezone(GMT7).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime.datetime:
    """VNPay's yyyyMMddHHmmss (GMT+7) as an aware datetime."""
    if not (len(text) == 14 and text.isascii() and text.isdigit()):
        raise VnpayError(f"{text!r} is not a VNPay time (yyyyMMddHHmmss)")
    try:
        return datetime.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=GMT7)
    except ValueError as exc:
        raise VnpayError(f"{text!r} is not a date") from exc


def order_info(text: str) -> str:
    """`text` as VNPay wants vnp_OrderInfo: accents folded (đ → d), letters, digits and single spaces."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    kept = "".join(c for c in folded if c.isascii() and (c.isalnum() or c.isspace()))
    return " ".join(kept.split())[:ORDER_INFO_MAX].strip()


def canonical(params: Mapping[str, str]) -> str:
    """The signed data: the vnp_* parameters but the hash itself, sorted by key, quote_plus-encoded."""
    signed = sorted(
        (key, str(value)) for key, value in params.items() if key.startswith(PREFIX) and key not in UNSIGNED
    )
    return "&".join(f"{quote_plus(key)}={quote_plus(value)}" for key, value in signed)


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), canonical(params).encode(), hashlib.sha512).hexdigest()


def verify(params: Mapping[str, str], secret: str) -> bool:
    """Whether `params` (a return URL's or an IPN's query) carry a valid vnp_SecureHash for `secret`."""
    given = str(params.get(HASH_FIELD, ""))
    if not secret or not given:
        return False
    return hmac.compare_digest(given.lower().encode(), sign(params, secret).encode())


def signed_query(params: Mapping[str, str], secret: str) -> str:
    """The query string VNPay reads: the signed data, then its vnp_SecureHash."""
    return f"{canonical(params)}&{HASH_FIELD}={sign(params, secret)}"


@dataclass(frozen=True)
class Payment:
    """What our payment URL asks VNPay for."""

    tmn_code: str
    amount: int  # whole đồng
    txn_ref: str
    info: str
    return_url: str
    ip_address: str
    created_at: datetime.datetime
    locale: str = "vn"


def payment_params(payment: Payment) -> dict[str, str]:
    """The vnp_* parameters of the payment URL (unsigned); VnpayError when VNPay would refuse one."""
    if not TMN_CODE.fullmatch(payment.tmn_code):
        raise VnpayError("vnp_TmnCode is 8 letters or digits")
    if not TXN_REF.fullmatch(payment.txn_ref):
        raise VnpayError("vnp_TxnRef is 1 to 100 letters or digits")
    if not 0 < payment.amount * 100 < 10**AMOUNT_DIGITS:
        raise VnpayError("vnp_Amount is a positive amount of at most 12 digits (đồng × 100)")
    if payment.locale not in LOCALES:
        raise VnpayError(f"vnp_Locale is one of {LOCALES}")
    info = order_info(payment.info)
    if not info:
        raise VnpayError("vnp_OrderInfo is empty once folded to letters and digits")
    return {
        "vnp_Version": VERSION,
        "vnp_Command": COMMAND,
        "vnp_TmnCode": payment.tmn_code,
        "vnp_Amount": str(payment.amount * 100),
        "vnp_CurrCode": CURRENCY,
        "vnp_TxnRef": payment.txn_ref,
        "vnp_OrderInfo": info,
        "vnp_OrderType": ORDER_TYPE,
        "vnp_Locale": payment.locale,
        "vnp_ReturnUrl": payment.return_url,
        "vnp_IpAddr": payment.ip_address,
        "vnp_CreateDate": vnpay_time(payment.created_at),
        "vnp_ExpireDate": vnpay_time(payment.created_at + EXPIRES_AFTER),
    }


def payment_url(base_url: str, payment: Payment, secret: str) -> str:
    """Where to send the parent's browser: VNPay's payment page with the signed parameters."""
    return f"{base_url}?{signed_query(payment_params(payment), secret)}"


def amount_of(params: Mapping[str, str]) -> int:
    """vnp_Amount in whole đồng; VnpayError when it is not a whole number of đồng × 100."""
    raw = str(params.get("vnp_Amount", ""))
    if not (raw.isascii() and raw.isdigit() and len(raw) <= AMOUNT_DIGITS) or int(raw) % 100:
        raise VnpayError(f"vnp_Amount {raw!r} is not a whole number of đồng × 100")
    return int(raw) // 100


@dataclass(frozen=True)
class Outcome:
    """What VNPay reports of one payment (return URL or IPN), once its signature is checked."""

    txn_ref: str
    amount: int  # whole đồng
    response_code: str
    transaction_status: str
    transaction_no: str  # VNPay's id of the transaction ("0" or empty when nothing was paid)
    paid_at: datetime.datetime | None
    bank_code: str

    @property
    def paid(self) -> bool:
        return self.response_code == PAID and self.transaction_status == PAID


def outcome(params: Mapping[str, str]) -> Outcome:
    """The payment a (verified) query reports; VnpayError when a paid one lacks what recording it needs."""
    result = Outcome(
        txn_ref=str(params.get("vnp_TxnRef", "")),
        amount=amount_of(params),
        response_code=str(params.get("vnp_ResponseCode", "")),
        transaction_status=str(params.get("vnp_TransactionStatus", "")),
        transaction_no=str(params.get("vnp_TransactionNo", "")),
        paid_at=parse_time(params["vnp_PayDate"]) if params.get("vnp_PayDate") else None,
        bank_code=str(params.get("vnp_BankCode", "")),
    )
    if result.paid and (result.paid_at is None or result.transaction_no.strip("0") == ""):
        raise VnpayError("a successful payment without vnp_PayDate or vnp_TransactionNo")
    return result


def ipn_answer(code: str) -> dict[str, str]:
    """The IPN's JSON answer for RspCode `code`."""
    return {"RspCode": code, "Message": IPN_MESSAGES[code]}
