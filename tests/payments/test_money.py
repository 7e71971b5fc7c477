"""Amounts typed into fee forms: table of what is accepted and what is refused."""

import pytest

from payments.money import AmountError, amount_parse

MAX = 1_000_000_000


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1500000", 1_500_000),
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1 500 000", 1_500_000),
        ("250.000 đ", 250_000),
        ("250.000đ", 250_000),
        ("250000 VND", 250_000),
        (" 600.000 đồng ", 600_000),
        ("1", 1),
        ("1.000.000.000", MAX),
    ],
)
def test_accepted(text, amount):
    assert amount_parse(text, maximum=MAX) == amount


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-50000", "lớn hơn 0"),
        ("0", "lớn hơn 0"),
        ("1500,5", "số nguyên"),
        ("1.5", "số nguyên"),
        ("1.500,000", "số nguyên"),  # mixed separators: a typo, not a guess
        ("15.00.000", "số nguyên"),
        ("abc", "số nguyên"),
        ("", "số nguyên"),
        ("1.000.000.001", "quá lớn"),
    ],
)
def test_refused(text, reason):
    with pytest.raises(AmountError, match=reason):
        amount_parse(text, maximum=MAX)
