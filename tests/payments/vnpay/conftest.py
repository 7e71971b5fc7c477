"""What the VNPay tests share: a school A family with an invoice and the school's VNPay merchant (in the
test's transaction), and the IPN VNPay would send for an order, signed by the fake's own signer
(tests.fakes.vnpay)."""

import datetime
import random
from types import SimpleNamespace
from uuid import uuid4

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from payments.models import BankTransaction, Invoice, Payment, PaymentProvider, Receipt, VnpayOrder
from payments.vnpay.services import vnpay_merchant_save
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment, GradeLevel, Guardian, SchoolClass, SchoolYear, StaffMember, Student
from tenants.models import School, SchoolAffiliation
from tenants.services import affiliation_add
from tests.conftest import with_password
from tests.factories import (
    fee_item_make,
    guardian_link,
    parent_make,
    round_invoice,
    round_make,
    staff_make,
    student_enrol,
)
from tests.fakes.vnpay import GMT7, FakeVnpay, signed

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


# --- committed data for the live server (tests/payments/vnpay/test_end_to_end.py, test_browser_vnpay.py) ----


@pytest.fixture
def live_family(django_db_blocker, settings, live_server_url):
    """Committed, since the live server must see it: a class with one student whose mother can sign in (her
    password is TEST_PASSWORD), an invoice of 1,250,000 đ, and the school's VNPay merchant, registered with a
    local VNPay (tests.fakes.vnpay) whose IPN URL is the live server's. Everything made here is removed
    afterwards (the mother's user stays, as other live tests do)."""
    tag = uuid4().hex[:6]
    with FakeVnpay() as fake, django_db_blocker.unblock():
        settings.VNPAY_PAYMENT_URL = fake.payment_url
        fake.add_merchant(TMN_CODE, HASH_SECRET, f"{live_server_url}/hooks/vnpay/test-a/")
        school = School.objects.get(code="test-a")
        admin = User.objects.get(phone="+84900000011")
        phone = "0917" + "".join(random.choices("0123456789", k=6))
        mother = with_password(User.objects.create_user(phone, full_name="Phạm Thị Mẹ"))
        affiliation_add(user=mother, school=school, is_guardian=True)
        with schema_context(school.schema_name):
            first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            school_class = SchoolClass.objects.create(
                name=f"6V-{tag}",
                grade=GradeLevel.objects.get(number=6),
                year=SchoolYear.objects.get(is_current=True),
            )
            child = student_enrol(f"VP-{tag}", school_class, "Phạm Minh Khôi")
            guardian = guardian_link(child, phone, full_name=mother.full_name, user=mother)
            creator = StaffMember.objects.get(user=admin)
            item = fee_item_make(f"Học phí {tag}", 1_250_000, classes=[school_class])
            round_ = round_make(creator, [item], name=f"Tháng 9 {tag}")
            round_invoice(admin, round_)
            vnpay_merchant_save(actor=admin, tmn_code=TMN_CODE, hash_secret=HASH_SECRET)
            invoice = Invoice.objects.get(student=child)
        yield SimpleNamespace(fake=fake, mother=mother, child=child, invoice=invoice, url=live_server_url)
        with schema_context(school.schema_name):
            payments = Payment.objects.filter(invoice=invoice)
            transactions = list(payments.values_list("transaction_id", flat=True))
            Receipt.objects.filter(payment__invoice=invoice).delete()
            payments.delete()  # a queryset delete: Payment.delete() refuses one by one, as it should
            BankTransaction.objects.filter(pk__in=transactions).delete()
            BankTransaction.objects.filter(source="vnpay", reference__startswith=invoice.code).delete()
            VnpayOrder.objects.filter(invoice=invoice).delete()
            invoice.delete()
            round_.delete()
            item.delete()
            PaymentProvider.objects.filter(provider="vnpay").delete()
            AuditEvent.objects.filter(pk__gt=first_event, action__startswith="payments.").delete()
            Guardian.objects.filter(pk=guardian.pk).delete()
            Enrolment.objects.filter(student=child).delete()
            Student.objects.filter(pk=child.pk).delete()
            school_class.delete()
        SchoolAffiliation.objects.filter(user=mother).delete()


def ledger_of(invoice) -> tuple:
    """(paid, state, VNPay orders' statuses, VNPay transactions) of a committed invoice, read in school A."""
    with schema_context("school_test_a"):
        invoice = Invoice.objects.get(pk=invoice.pk)
        orders = sorted(VnpayOrder.objects.filter(invoice=invoice).values_list("status", flat=True))
        rows = BankTransaction.objects.filter(source="vnpay", reference__startswith=invoice.code).count()
        return invoice.paid, invoice.state, orders, rows
