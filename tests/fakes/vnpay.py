"""VNPay's payment gateway on 127.0.0.1, on the sandbox's paths, for the VNPay tests (tests/payments/vnpay/).

    with FakeVnpay() as vnpay:
        settings.VNPAY_PAYMENT_URL = vnpay.payment_url        # …/paymentv2/vpcpay.html
        vnpay.add_merchant(TMN_CODE, HASH_SECRET, ipn_url)     # a terminal, its secret and the IPN URL the
                                                               # merchant registered with VNPay
        token = vnpay.open(url)           # what a browser does with our redirect: the checkout's token, or
                                          # VnpayPageError(code) for VNPay's error page
        return_url = vnpay.pay(token)     # the customer pays: VNPay calls the IPN, then sends the browser to
                                          # vnp_ReturnUrl (both signed with the merchant's secret)
        vnpay.pay(token, response_code="24")       # a failed payment (24: the customer cancelled)
        vnpay.pay(token, amount=1000)              # VNPay reports another amount than was asked (đồng)
        vnpay.hold_ipn = True             # pay() sends the browser back first; vnpay.send_ipn(txn_ref) later
        vnpay.replay_ipn(txn_ref)         # the same IPN again, as VNPay repeats it
    vnpay.ipn_calls                       # (txn_ref, query, HTTP status, JSON answer) of every IPN sent

In a browser the same steps are pages: our redirect lands on /paymentv2/vpcpay.html, which sends the browser
to a checkout page (/paymentv2/Transaction/PaymentMethod.html?token=…) with "Thanh toán" and "Huỷ thanh
toán"; its form posts to /paymentv2/Transaction/Pay.html, which calls the IPN and redirects to vnp_ReturnUrl.

As VNPAY's guide says (https://sandbox.vnpayment.vn/apis/docs/thanh-toan-pay/pay.html, see
payments/vnpay_protocol.py): the signature is HMAC-SHA512 over the vnp_* parameters but the hash, sorted,
quote_plus-encoded, joined with "&". It is computed here on its own, from the guide, not with the code under
test, so a mistake there is not mirrored here. The redirect is refused, as VNPay's payment page does, by a
redirect to /paymentv2/Payment/Error.html?code=…: 70 a wrong signature ("Sai chữ ký") and 72 an unknown
terminal, as integrators report VNPay's page (public client code tests both); 03 a parameter missing or
malformed (vnp_Version not 2.1.0, vnp_Command not pay, vnp_CurrCode not VND, vnp_Amount not Numeric[1,12], a
date not yyyyMMddHHmmss, vnp_TxnRef not Alphanumeric[1,100]) is this fake's choice: the guide gives the
formats but no table of the page's error codes. A payment
made after vnp_ExpireDate fails with vnp_ResponseCode 11 (payment window expired). Success is
vnp_ResponseCode and vnp_TransactionStatus "00"; a failure carries TransactionStatus "02" and TransactionNo
"0". The IPN is a GET of the merchant's IPN URL with the signed query; its JSON answer is kept.
"""

import datetime
import hashlib
import hmac
import html
import itertools
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

import requests

from tests.fakes.http import LocalHttpServer

GMT7 = datetime.timezone(datetime.timedelta(hours=7))
PAY_PATH = "/paymentv2/vpcpay.html"
CHECKOUT_PATH = "/paymentv2/Transaction/PaymentMethod.html"
SUBMIT_PATH = "/paymentv2/Transaction/Pay.html"
ERROR_PATH = "/paymentv2/Payment/Error.html"
ERRORS = {
    "03": "Dữ liệu gửi sang không đúng định dạng",
    "70": "Sai chữ ký",
    "72": "Không tìm thấy website",
}
REQUIRED = ("vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_Amount", "vnp_CreateDate", "vnp_CurrCode",
            "vnp_IpAddr", "vnp_Locale", "vnp_OrderInfo", "vnp_OrderType", "vnp_ReturnUrl", "vnp_TxnRef",
            "vnp_ExpireDate")  # fmt: skip
FORMATS = {
    "vnp_Version": re.compile(r"2\.1\.0"),
    "vnp_Command": re.compile(r"pay"),
    "vnp_CurrCode": re.compile(r"VND"),
    "vnp_Amount": re.compile(r"[1-9][0-9]{0,11}"),
    "vnp_CreateDate": re.compile(r"[0-9]{14}"),
    "vnp_ExpireDate": re.compile(r"[0-9]{14}"),
    "vnp_TxnRef": re.compile(r"[A-Za-z0-9]{1,100}"),
    "vnp_Locale": re.compile(r"vn|en"),
}


class VnpayPageError(Exception):
    """VNPay showed its error page instead of the checkout."""

    def __init__(self, code: str):
        super().__init__(f"VNPay error {code}: {ERRORS[code]}")
        self.code = code


def signed(params: dict, secret: str) -> str:
    """The query VNPay sends: the signed data, then vnp_SecureHash (VNPAY's guide and demo code)."""
    data = "&".join(f"{quote_plus(k)}={quote_plus(str(v))}" for k, v in sorted(params.items()))
    digest = hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()
    return f"{data}&vnp_SecureHash={digest}"


@dataclass
class Merchant:
    tmn_code: str
    secret: str
    ipn_url: str


@dataclass
class Checkout:
    merchant: Merchant
    params: dict
    paid: bool = False


@dataclass
class Ipn:
    txn_ref: str
    query: str
    status: int = 0
    answer: dict = field(default_factory=dict)


class FakeVnpay(LocalHttpServer):
    def __init__(self):
        super().__init__()
        self.payment_url = self.url + PAY_PATH
        self.merchants: dict[str, Merchant] = {}
        self.checkouts: dict[str, Checkout] = {}  # token → the payment being made
        self.results: dict[str, tuple[Merchant, dict]] = {}  # txn_ref → (merchant, the IPN's parameters)
        self.ipn_calls: list[Ipn] = []
        self.hold_ipn = False
        self.errors: list[str] = []  # error pages shown, by code
        self._numbers = itertools.count(14422574)  # vnp_TransactionNo
        self._lock = threading.Lock()

    def add_merchant(self, tmn_code: str, secret: str, ipn_url: str) -> Merchant:
        merchant = Merchant(tmn_code, secret, ipn_url)
        self.merchants[tmn_code] = merchant
        return merchant

    # --- what the customer's browser and VNPay's servers do -----------------------------------------------

    def open(self, url: str) -> str:
        """Follow our redirect to VNPay: the checkout's token, or VnpayPageError."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.payment_url, url
        location = self._accept(parts.query)
        if location.startswith(ERROR_PATH):
            raise VnpayPageError(location.rsplit("=", 1)[1])
        return location.rsplit("=", 1)[1]

    def pay(self, token: str, *, response_code: str = "00", amount: int | None = None) -> str:
        """The customer pays (or fails to, with `response_code`); VNPay reports `amount` (đồng, default what
        was asked). The IPN goes first (unless held); returns the URL the browser is sent back to."""
        with self._lock:
            checkout = self.checkouts[token]
            assert not checkout.paid, "this checkout was already used"
            checkout.paid = True
        asked = checkout.params
        if datetime.datetime.now(GMT7).strftime("%Y%m%d%H%M%S") > asked["vnp_ExpireDate"]:
            response_code = "11"
        paid = response_code == "00"
        result = {
            "vnp_Amount": str(amount * 100) if amount is not None else asked["vnp_Amount"],
            "vnp_BankCode": "NCB",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": asked["vnp_OrderInfo"],
            "vnp_PayDate": datetime.datetime.now(GMT7).strftime("%Y%m%d%H%M%S"),
            "vnp_ResponseCode": response_code,
            "vnp_TmnCode": checkout.merchant.tmn_code,
            "vnp_TransactionNo": str(next(self._numbers)) if paid else "0",
            "vnp_TransactionStatus": "00" if paid else "02",
            "vnp_TxnRef": asked["vnp_TxnRef"],
        }
        if paid:
            result["vnp_BankTranNo"] = f"VNP{result['vnp_TransactionNo']}"
        self.results[asked["vnp_TxnRef"]] = (checkout.merchant, result)
        if not self.hold_ipn:
            self.send_ipn(asked["vnp_TxnRef"])
        separator = "&" if "?" in asked["vnp_ReturnUrl"] else "?"
        return asked["vnp_ReturnUrl"] + separator + signed(result, checkout.merchant.secret)

    def ipn_url(self, txn_ref: str, **changes) -> str:
        """The IPN VNPay sends for `txn_ref`'s payment (fields changed by `changes`), signed."""
        merchant, result = self.results[txn_ref]
        return f"{merchant.ipn_url}?{signed({**result, **changes}, merchant.secret)}"

    def send_ipn(self, txn_ref: str, **changes) -> Ipn:
        """VNPay's server-to-server call: GET the merchant's IPN URL; its JSON answer is kept."""
        url = self.ipn_url(txn_ref, **changes)
        call = Ipn(txn_ref, urlsplit(url).query)
        response = requests.get(url, timeout=30)
        call.status = response.status_code
        call.answer = (
            response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
        )
        self.ipn_calls.append(call)
        return call

    def replay_ipn(self, txn_ref: str) -> Ipn:
        return self.send_ipn(txn_ref)

    # --- the pages ----------------------------------------------------------------------------------------

    def _accept(self, query: str) -> str:
        """VNPay's payment page receiving our redirect: where it sends the browser next."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        given = params.pop("vnp_SecureHash", "")
        params.pop("vnp_SecureHashType", None)
        merchant = self.merchants.get(params.get("vnp_TmnCode", ""))
        if merchant is None:
            return self._error("72")
        expected = signed(params, merchant.secret).rsplit("=", 1)[1]
        if not given or not hmac.compare_digest(given.lower(), expected):
            return self._error("70")
        if any(not params.get(name) for name in REQUIRED) or any(
            not pattern.fullmatch(params[name]) for name, pattern in FORMATS.items()
        ):
            return self._error("03")
        token = secrets.token_hex(8)
        with self._lock:
            self.checkouts[token] = Checkout(merchant, params)
        return f"{CHECKOUT_PATH}?token={token}"

    def _error(self, code: str) -> str:
        self.errors.append(code)
        return f"{ERROR_PATH}?code={code}"

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query))
        if parts.path == PAY_PATH and handler.command == "GET":
            return self._send(handler, 302, location=self.url + self._accept(parts.query))
        if parts.path == CHECKOUT_PATH and query.get("token") in self.checkouts:
            return self._send(handler, 200, body=self._checkout_page(query["token"]))
        if parts.path == SUBMIT_PATH and handler.command == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(handler.rfile.read(length).decode()))
            token = form.get("token", "")
            if token not in self.checkouts or self.checkouts[token].paid:
                return self._send(
                    handler, 302, location=f"{self.url}{ERROR_PATH}?{urlencode({'code': '03'})}"
                )
            response_code = "00" if form.get("action") == "pay" else "24"
            return self._send(handler, 302, location=self.pay(token, response_code=response_code))
        if parts.path == ERROR_PATH:
            code = query.get("code", "03")
            text = html.escape(f"{ERRORS.get(code, 'Lỗi')} (mã lỗi {code})")
            return self._send(handler, 200, body=self._page("Thông báo", f"<p role='alert'>{text}</p>"))
        return self._send(handler, 404, body=self._page("Không tìm thấy", "<p>404</p>"))

    def _checkout_page(self, token: str) -> str:
        params = self.checkouts[token].params
        amount = f"{int(params['vnp_Amount']) // 100:,}".replace(",", ".")
        body = f"""
<dl><dt>Đơn vị chấp nhận thanh toán</dt><dd>{html.escape(params["vnp_TmnCode"])}</dd>
<dt>Số tiền</dt><dd data-amount>{amount} VND</dd>
<dt>Nội dung</dt><dd>{html.escape(params["vnp_OrderInfo"])}</dd>
<dt>Mã đơn hàng</dt><dd>{html.escape(params["vnp_TxnRef"])}</dd></dl>
<form method="post" action="{SUBMIT_PATH}"><input type="hidden" name="token" value="{token}">
<button name="action" value="pay">Thanh toán</button>
<button name="action" value="cancel" class="secondary">Huỷ thanh toán</button></form>"""
        return self._page("Cổng thanh toán VNPAY (giả lập)", body)

    @staticmethod
    def _page(title: str, body: str) -> str:
        return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font:16px/1.5 sans-serif;margin:0;padding:1rem;background:#f2f4f8}}
main{{background:#fff;border-radius:10px;padding:1rem;max-width:480px;margin:auto}}
h1{{color:#005baa;font-size:1.3rem}} dt{{color:#555}} dd{{margin:0 0 .5rem;font-weight:600}}
button{{font:inherit;padding:.6rem 1rem;border-radius:8px;border:0;background:#005baa;color:#fff;
margin:.25rem 0}}
button.secondary{{background:#e4e7ec;color:#1d2433}}</style></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, *, body: str = "", location: str = "") -> None:
        data = body.encode()
        handler.send_response(status)
        if location:
            handler.send_header("Location", location)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
