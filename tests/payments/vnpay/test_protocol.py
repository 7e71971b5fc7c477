"""payments.vnpay_protocol by tables: the signed data as VNPay's own example writes it, a signature computed
here independently from the documented algorithm, unicode, a tampered parameter, dates in GMT+7, amounts, the
IPN's answers."""

import datetime
import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import pytest

from payments import vnpay_protocol as vnpay

SECRET = "K7FZ34WQ69Z060J60IGJTWH4H4UK4JQA"  # any merchant's hash secret
# The example payment URL of VNPAY's guide (thanh-toan-pay/pay.html), its query before vnp_SecureHash.
DOC_QUERY = (
    "vnp_Amount=1806000&vnp_Command=pay&vnp_CreateDate=20210801153333&vnp_CurrCode=VND&vnp_IpAddr=127.0.0.1"
    "&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+don+hang+%3A5&vnp_OrderType=other"
    "&vnp_ReturnUrl=https%3A%2F%2Fdomainmerchant.vn%2FReturnUrl&vnp_TmnCode=DEMOV210&vnp_TxnRef=5"
    "&vnp_Version=2.1.0"
)
DOC_PARAMS = {
    "vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": "DEMOV210", "vnp_Amount": "1806000",
    "vnp_CurrCode": "VND", "vnp_TxnRef": "5", "vnp_OrderInfo": "Thanh toan don hang :5",
    "vnp_OrderType": "other", "vnp_Locale": "vn", "vnp_ReturnUrl": "https://domainmerchant.vn/ReturnUrl",
    "vnp_IpAddr": "127.0.0.1", "vnp_CreateDate": "20210801153333",
}  # fmt: skip


def independent_signature(query: str, secret: str) -> str:
    """The documented algorithm, by hand: HMAC-SHA512 of the query string, lower-case hex."""
    return hmac.new(secret.encode("utf-8"), query.encode("utf-8"), hashlib.sha512).hexdigest()


def test_the_signed_data_is_the_guides_own_example_query_and_the_signature_its_hmac():
    assert vnpay.canonical(DOC_PARAMS) == DOC_QUERY
    assert vnpay.sign(DOC_PARAMS, SECRET) == independent_signature(DOC_QUERY, SECRET)
    signed = {**DOC_PARAMS, "vnp_SecureHash": independent_signature(DOC_QUERY, SECRET)}
    assert vnpay.verify(signed, SECRET)


@pytest.mark.parametrize(
    ("params", "data"),
    [
        # Unicode is encoded as UTF-8 percent escapes; spaces as "+".
        ({"vnp_OrderInfo": "Học phí tháng 9 Đặng Thu Hà"},
         "vnp_OrderInfo=H%E1%BB%8Dc+ph%C3%AD+th%C3%A1ng+9+%C4%90%E1%BA%B7ng+Thu+H%C3%A0"),
        # Sorted by key; the hash, its old type and anything not vnp_* are not signed.
        ({"vnp_TxnRef": "9", "vnp_Amount": "500000", "vnp_SecureHash": "ab", "vnp_SecureHashType": "SHA512",
          "utm_source": "x"}, "vnp_Amount=500000&vnp_TxnRef=9"),
        # Reserved characters are escaped, "~" kept; an empty value is signed as "key=".
        ({"vnp_ReturnUrl": "https://a.vn/s/x/?a=1&b=2~", "vnp_BankTranNo": ""},
         "vnp_BankTranNo=&vnp_ReturnUrl=https%3A%2F%2Fa.vn%2Fs%2Fx%2F%3Fa%3D1%26b%3D2~"),
    ],
)  # fmt: skip
def test_signed_data_by_table(params, data):
    assert vnpay.canonical(params) == data
    assert vnpay.sign(params, SECRET) == independent_signature(data, SECRET)


def _payment(**changes) -> vnpay.Payment:
    base = dict(
        tmn_code="2QXUI4J4", amount=1_250_000, txn_ref="HD003RJ0TA1B2C3D4",
        info="Học phí HD003RJ0T – Đặng Thu Hà",
        return_url="https://sll.example.vn/s/thcs-a/fees/vnpay/return/", ip_address="203.0.113.7",
        created_at=datetime.datetime(2026, 9, 1, 1, 2, 3, tzinfo=datetime.UTC),
    )  # fmt: skip
    return vnpay.Payment(**{**base, **changes})


def test_the_payment_url_carries_every_documented_parameter_signed():
    url = vnpay.payment_url("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html", _payment(), SECRET)
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    )
    query = parts.query
    data, hash_part = query.rsplit("&", 1)
    assert hash_part == f"vnp_SecureHash={independent_signature(data, SECRET)}"
    params = dict(parse_qsl(query, keep_blank_values=True))
    assert params == {
        "vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": "2QXUI4J4", "vnp_Amount": "125000000",
        "vnp_CurrCode": "VND", "vnp_TxnRef": "HD003RJ0TA1B2C3D4",
        "vnp_OrderInfo": "Hoc phi HD003RJ0T Dang Thu Ha", "vnp_OrderType": "billpayment", "vnp_Locale": "vn",
        "vnp_ReturnUrl": "https://sll.example.vn/s/thcs-a/fees/vnpay/return/", "vnp_IpAddr": "203.0.113.7",
        "vnp_CreateDate": "20260901080203", "vnp_ExpireDate": "20260901081703",
        "vnp_SecureHash": independent_signature(data, SECRET),
    }  # fmt: skip
    assert vnpay.verify(params, SECRET)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"tmn_code": "ABC"}, "vnp_TmnCode"),
        ({"tmn_code": "2QXUI4J!"}, "vnp_TmnCode"),
        ({"txn_ref": "HD-1"}, "vnp_TxnRef"),
        ({"txn_ref": "x" * 101}, "vnp_TxnRef"),
        ({"amount": 0}, "vnp_Amount"),
        ({"amount": -5000}, "vnp_Amount"),
        ({"amount": 10**10}, "vnp_Amount"),
        ({"locale": "vi"}, "vnp_Locale"),
        ({"info": "—…!"}, "vnp_OrderInfo"),
        ({"created_at": datetime.datetime(2026, 9, 1, 8, 2, 3)}, "GMT\\+7"),
    ],
)
def test_what_vnpay_would_refuse_is_refused_with_the_reason(changes, reason):
    with pytest.raises(vnpay.VnpayError, match=reason):
        vnpay.payment_params(_payment(**changes))


def _returned(**changes) -> dict:
    params = {
        "vnp_Amount": "125000000", "vnp_BankCode": "NCB", "vnp_BankTranNo": "VNP14422574",
        "vnp_CardType": "ATM", "vnp_OrderInfo": "Hoc phi HD003RJ0T", "vnp_PayDate": "20260901081122",
        "vnp_ResponseCode": "00", "vnp_TmnCode": "2QXUI4J4", "vnp_TransactionNo": "14422574",
        "vnp_TransactionStatus": "00", "vnp_TxnRef": "HD003RJ0TA1B2C3D4",
    }  # fmt: skip
    params.update(changes)
    params["vnp_SecureHash"] = independent_signature(vnpay.canonical(params), SECRET)
    return params


@pytest.mark.parametrize(
    "field", ["vnp_Amount", "vnp_ResponseCode", "vnp_TxnRef", "vnp_TransactionNo", "vnp_PayDate"]
)
def test_a_tampered_parameter_breaks_the_signature(field):
    params = _returned()
    assert vnpay.verify(params, SECRET)
    tampered = {**params, field: params[field][:-1] + ("1" if params[field][-1] != "1" else "2")}
    assert not vnpay.verify(tampered, SECRET)


@pytest.mark.parametrize(
    ("params", "secret"),
    [
        (_returned(), "another-merchants-secret"),
        ({**_returned(), "vnp_SecureHash": ""}, SECRET),
        ({k: v for k, v in _returned().items() if k != "vnp_SecureHash"}, SECRET),
        ({**_returned(), "vnp_Extra": "added"}, SECRET),
        (_returned(), ""),
    ],
)
def test_signatures_that_do_not_verify(params, secret):
    assert not vnpay.verify(params, secret)


def test_a_signature_in_capitals_verifies():
    params = _returned()
    assert vnpay.verify({**params, "vnp_SecureHash": params["vnp_SecureHash"].upper()}, SECRET)


@pytest.mark.parametrize(
    ("changes", "paid", "amount"),
    [
        ({}, True, 1_250_000),
        (
            {"vnp_ResponseCode": "24", "vnp_TransactionStatus": "02", "vnp_TransactionNo": "0"},
            False,
            1_250_000,
        ),
        ({"vnp_ResponseCode": "00", "vnp_TransactionStatus": "01"}, False, 1_250_000),  # not completed
        ({"vnp_ResponseCode": "07", "vnp_TransactionStatus": "00"}, False, 1_250_000),  # suspected fraud
        ({"vnp_Amount": "500000"}, True, 5_000),
    ],
)
def test_success_is_both_codes_00(changes, paid, amount):
    result = vnpay.outcome(_returned(**changes))
    assert (result.paid, result.amount) == (paid, amount)


def test_the_outcome_reads_vnpays_fields():
    result = vnpay.outcome(_returned())
    assert result == vnpay.Outcome(
        txn_ref="HD003RJ0TA1B2C3D4", amount=1_250_000, response_code="00", transaction_status="00",
        transaction_no="14422574", bank_code="NCB",
        paid_at=datetime.datetime(2026, 9, 1, 1, 11, 22, tzinfo=datetime.UTC),
    )  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [
        {"vnp_Amount": "125000050"},  # not whole đồng
        {"vnp_Amount": "-125000000"},
        {"vnp_Amount": "1e8"},
        {"vnp_Amount": ""},
        {"vnp_Amount": "1" * 13},
        {"vnp_PayDate": "2026-09-01"},
        {"vnp_PayDate": "20261301081122"},  # month 13
        {"vnp_PayDate": ""},  # paid without a date
        {"vnp_TransactionNo": "0"},  # paid without VNPay's transaction
    ],
)
def test_unreadable_outcomes_are_refused(changes):
    with pytest.raises(vnpay.VnpayError):
        vnpay.outcome(_returned(**changes))


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime.datetime(2026, 9, 1, 16, 59, 59, tzinfo=datetime.UTC), "20260901235959"),
        (
            datetime.datetime(2026, 9, 1, 17, 0, 0, tzinfo=datetime.UTC),
            "20260902000000",
        ),  # past midnight in VN
        (datetime.datetime(2026, 1, 1, 0, 0, 0, tzinfo=vnpay.GMT7), "20260101000000"),
    ],
)
def test_times_are_written_and_read_in_gmt7(moment, text):
    assert vnpay.vnpay_time(moment) == text
    assert vnpay.parse_time(text) == moment


@pytest.mark.parametrize(
    ("text", "info"),
    [
        ("Học phí HD003RJ0T – Nguyễn Văn Đức", "Hoc phi HD003RJ0T Nguyen Van Duc"),
        ("  tiền   ăn\tbán trú  ", "tien an ban tru"),
        ("x" * 300, "x" * 255),
    ],
)
def test_order_info_is_vietnamese_without_accents_or_special_characters(text, info):
    assert vnpay.order_info(text) == info


@pytest.mark.parametrize(
    ("code", "message"),
    [("00", "Confirm Success"), ("01", "Order not found"), ("02", "Order already confirmed"),
     ("04", "Invalid amount"), ("97", "Invalid signature"), ("99", "Unknown error")],
)  # fmt: skip
def test_ipn_answers(code, message):
    assert vnpay.ipn_answer(code) == {"RspCode": code, "Message": message}
