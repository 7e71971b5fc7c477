"""payments.matching by tables: exact, partial, over- and combined payments, a family code, codes that name
nothing open, notes with no code; the parts always add up to the transfer."""

import pytest

from payments.codes import FAMILY, INVOICE, code_make
from payments.matching import Allocation, OpenInvoice, allocate

A, B, C = (code_make(INVOICE, n) for n in (101, 102, 103))
PAID_ALREADY = code_make(INVOICE, 99)
FAM = code_make(FAMILY, 7)
OTHER_FAMILY = code_make(FAMILY, 8)
OPEN = [
    OpenInvoice(A, 1_200_000, "2026-09-15", FAM),
    OpenInvoice(B, 350_000, "2026-09-10", FAM),
    OpenInvoice(C, 500_000, "2026-10-15", ""),
]


@pytest.mark.parametrize(
    "note, amount, expected",
    [
        (f"MBVCB.123.{A}.CT tu 0123", 1_200_000, Allocation(paid=[(A, 1_200_000)])),
        (f"{A}", 500_000, Allocation(paid=[(A, 500_000)])),  # partial: A stays partly paid
        (f"{A}", 1_300_000, Allocation(paid=[(A, 1_200_000)], overpaid=(A, 100_000))),
        (f"{A} {C}", 1_700_000, Allocation(paid=[(A, 1_200_000), (C, 500_000)])),
        (f"{C} {A}", 600_000, Allocation(paid=[(C, 500_000), (A, 100_000)])),  # in the note's order
        (f"{A} {C}", 1_000_000, Allocation(paid=[(A, 1_000_000)])),  # C named but nothing left
        (f"gia dinh {FAM}", 1_550_000, Allocation(paid=[(B, 350_000), (A, 1_200_000)])),  # oldest due first
        (f"{FAM} {A}", 2_000_000, Allocation(paid=[(B, 350_000), (A, 1_200_000)], overpaid=(A, 450_000))),
        (f"{PAID_ALREADY}", 350_000, Allocation(unmatched=350_000, unknown_codes=[PAID_ALREADY])),
        (f"{PAID_ALREADY} {C}", 500_000, Allocation(paid=[(C, 500_000)], unknown_codes=[PAID_ALREADY])),
        (f"{OTHER_FAMILY}", 100_000, Allocation(unmatched=100_000, unknown_codes=[OTHER_FAMILY])),
        ("hoc phi con Nguyen Van An 6A1", 1_200_000, Allocation(unmatched=1_200_000)),
    ],
)
def test_allocation(note, amount, expected):
    allocation = allocate(note, amount, OPEN)
    assert allocation == expected
    assert allocation.total() == amount


def test_an_invoice_named_twice_is_paid_once():
    allocation = allocate(f"{A} {A.lower()} {FAM}", 10_000_000, OPEN)
    assert [code for code, _ in allocation.paid] == [A, B]
    assert allocation.total() == 10_000_000


@pytest.mark.parametrize("amount", [0, -1])
def test_a_transfer_has_a_positive_amount(amount):
    with pytest.raises(ValueError):
        allocate(A, amount, OPEN)
