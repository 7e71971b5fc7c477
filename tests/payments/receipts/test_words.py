"""payments.receipts.words: amounts in Vietnamese words, by tables (one row per rule of the module's
docstring and its edge cases)."""

import pytest

from payments.receipts.words import amount_in_words, number_in_words

NUMBERS = [
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (10, "mười"),
    (11, "mười một"),  # not "mốt" after "mười"
    (14, "mười bốn"),
    (15, "mười lăm"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi bốn"),
    (25, "hai mươi lăm"),
    (55, "năm mươi lăm"),
    (100, "một trăm"),
    (101, "một trăm lẻ một"),
    (105, "một trăm lẻ năm"),  # no ten: "năm", not "lăm"
    (110, "một trăm mười"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (999, "chín trăm chín mươi chín"),
    (1_000, "một nghìn"),
    (1_001, "một nghìn không trăm lẻ một"),  # a later group is read in full
    (1_010, "một nghìn không trăm mười"),
    (2_001, "hai nghìn không trăm lẻ một"),
    (10_000, "mười nghìn"),
    (12_500, "mười hai nghìn năm trăm"),
    (21_000, "hai mươi mốt nghìn"),
    (100_000, "một trăm nghìn"),
    (105_000, "một trăm lẻ năm nghìn"),
    (1_000_000, "một triệu"),
    (1_000_500, "một triệu năm trăm"),  # a group of zeros is not read
    (1_005_000, "một triệu không trăm lẻ năm nghìn"),
    (1_050_000, "một triệu không trăm năm mươi nghìn"),
    (1_250_000, "một triệu hai trăm năm mươi nghìn"),
    (15_000_015, "mười lăm triệu không trăm mười lăm"),
    (1_000_000_000, "một tỷ"),
    (1_000_000_001, "một tỷ không trăm lẻ một"),
    (2_500_000_000, "hai tỷ năm trăm triệu"),
    (1_000_000_000_000, "một nghìn tỷ"),
    (
        1_234_567_891_011,
        "một nghìn hai trăm ba mươi bốn tỷ năm trăm sáu mươi bảy triệu tám trăm chín mươi mốt "
        "nghìn không trăm mười một",
    ),
]


@pytest.mark.parametrize(("number", "words"), NUMBERS, ids=[str(n) for n, _ in NUMBERS])
def test_number_in_words(number, words):
    assert number_in_words(number) == words


AMOUNTS = [
    (0, "Không đồng"),
    (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),  # the example of the issue
    (500_000, "Năm trăm nghìn đồng"),
    (85_000, "Tám mươi lăm nghìn đồng"),
    (1_000_000_000, "Một tỷ đồng"),
]


@pytest.mark.parametrize(("amount", "words"), AMOUNTS)
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words


@pytest.mark.parametrize("bad", [-1, 1.5, "100", True, None])
def test_only_whole_non_negative_amounts(bad):
    with pytest.raises(ValueError, match="whole number of đồng"):
        amount_in_words(bad)
