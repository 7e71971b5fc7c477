"""What the VNPay tests share: a school A family with an invoice and the school's VNPay merchant (in the
test's transaction), and the IPN VNPay would send for an order, signed by the fake's own signer
(tests.fakes.vnpay)."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client

from accounts.roles import Role
from payments.models import Invoice, VnpayOrder
from payments.vnpay.services import vnpay_merchant_save
from students.models import SchoolClass
from tests.factories import fee_item_make, parent_make, round_invoice, round_make, staff_make, student_enrol
from tests.fakes.vnpay import GMT7, signed

TMN_CODE = "THCSA001"
HASH_SECRET = "SANDBOXSECRETOFSCHOOLA0123456789"
RETURN_URL = "http://testserver/s/test-a/fees/vnpay/return/"


@pytest.fixture
def billed(school):
    """In school A: an accountant, Nguyễn Văn An (6A1) with an invoice of 1,250,000 đ and his mother, who can
    sign in; the school takes VNPay."""
    world = school
    accountant = staff_make(world, "0911000102", "Trần Kế Toán", roles=[Role.ACCOUNTANT])
    a1 = SchoolClass.objects.get(name="6A1")
    an = student_enrol("VN-1", a1, "Nguyễn Văn An")
    mother = parent_make(world, an, "0911000103", "Nguyễn Thị Mẹ")
    tuition = fee_item_make("Học phí", 1_250_000, classes=[a1])
    round_invoice(accountant.user, round_make(accountant, [tuition]))
    vnpay_merchant_save(actor=world.admin_a, tmn_code=TMN_CODE, hash_secret=HASH_SECRET)
    return SimpleNamespace(
        world=world, accountant=accountant, student=an, mother=mother, invoice=Invoice.objects.get(student=an)
    )


def ipn_result(order: VnpayOrder, *, response_code="00", amount=None, number="14422574") -> dict:
    """The parameters of the IPN (and return URL) VNPay sends for `order`: paid unless `response_code` says
    otherwise, for `amount` đồng (default the order's)."""
    paid = response_code == "00"
    return {
        "vnp_Amount": str((order.amount if amount is None else amount) * 100),
        "vnp_BankCode": "NCB",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan hoa don",
        "vnp_PayDate": datetime.datetime(2026, 9, 1, 8, 11, 22, tzinfo=GMT7).strftime("%Y%m%d%H%M%S"),
        "vnp_ResponseCode": response_code,
        "vnp_TmnCode": TMN_CODE,
        "vnp_TransactionNo": number if paid else "0",
        "vnp_TransactionStatus": "00" if paid else "02",
        "vnp_TxnRef": order.txn_ref,
    }


def signed_query(params: dict, secret: str = HASH_SECRET) -> str:
    return signed(params, secret)


def request_here(method: str, path: str, *, user=None, **extra):
    """A request through the whole stack (routing, access middleware) by `user` (None: anonymous); the test's
    connection is back in the schema it was in, as the request leaves it in public."""
    schema = connection.schema_name
    client = Client(raise_request_exception=True)
    if user is not None:
        client.force_login(user)
    try:
        return getattr(client, method)(path, **extra)
    finally:
        connection.set_schema(schema)
