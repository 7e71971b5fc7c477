"""The parent home's fee line on each child's card (schoolbook.parent_home with
payments.parent.selectors.fee_summaries): what is owed and the earliest due date, or paid in full, linking
to the school's fee page; overdue marked; no line for a child without invoices; the same number of queries
for one child or five."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from payments.models import Invoice
from schoolbook.caching import forget_local
from students.models import SchoolClass
from tests.factories import guardian_link, money_receive, round_invoice, round_make, student_enrol
from tests.payments.fees_world import MOTHER_PHONE, Fees
from tests.schoolbook.test_parent_app import card_of

pytestmark = pytest.mark.django_db


def forget_all() -> None:
    """Every cached part, in Redis and in this process's memory."""
    cache.clear()
    forget_local()


@pytest.fixture
def fees(school):
    return Fees(school)


def home(user) -> str:
    client = Client()
    client.force_login(user)
    return client.get("/home/").content.decode()


def test_each_card_says_what_is_owed_and_by_when_or_paid_in_full(fees, world):
    due = fees.an_invoice.due_on
    money_receive(fees.em_invoice.total, fees.em_invoice.code)
    page = home(fees.mother)
    an, em = card_of(page, "Nguyễn Văn An"), card_of(page, "Nguyễn Thị Em")
    assert f"Học phí: còn nợ 1.134.520 đ (hạn {due:%d/%m})" in an
    assert "Học phí: đã nộp đủ" in em
    assert 'href="/s/test-a/fees/my/"' in an and "Quá hạn" not in an
    assert "Học phí" in card_of(page, "Nguyễn Văn An")  # the tap to the fee page among the child's links
    assert "Học phí:" not in home(world.parent)  # the world's child has no invoice


def test_an_overdue_debt_is_marked(fees):
    Invoice.objects.filter(pk=fees.an_invoice.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    an = card_of(home(fees.mother), "Nguyễn Văn An")
    assert 'class="hub-fees overdue"' in an and "Quá hạn" in an


def _page_queries(captured) -> int:
    return sum(not query["sql"].startswith("SET search_path") for query in captured.captured_queries)


def test_the_fee_line_costs_the_same_queries_for_one_child_or_five(fees, world):
    home(fees.other_parent)  # the first visit writes the visit row
    forget_all()  # both measured pages make their cards (not served from the cache)
    with CaptureQueriesContext(connection) as one:
        assert "Học phí: còn nợ" in home(fees.other_parent)
    with schema_context(world.school_a.schema_name):  # /home/ left the connection in public
        a2 = SchoolClass.objects.get(name="6A2")
        for n in range(4):
            guardian_link(student_enrol(f"PH-{n}", a2, f"Lê Thị Con {n}"), "0916000003")
        round_invoice(world.admin_a, round_make(fees.accountant, [fees.meals], name="Tháng 10"))
    forget_all()
    with CaptureQueriesContext(connection) as five:
        page = home(fees.other_parent)
    assert page.count("Học phí: còn nợ") == 5
    # The test's own schema_context above leaves the connection a search path to set again: not the page's.
    assert _page_queries(five) == _page_queries(one)
    assert MOTHER_PHONE not in page
