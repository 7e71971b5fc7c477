"""payments.statements.parsing by tables: amounts and dates as Vietnamese banks write them, the columns
guessed from their headers, the header line found under the bank's title lines, rows read (money out and
the bank's total lines skipped, every problem named), and stable ids for rows without a reference."""

import datetime
from decimal import Decimal

import pytest

from payments.statements.parsing import (
    BOTH,
    FRACTION,
    FUTURE,
    MISSING,
    NEGATIVE,
    OUTGOING,
    SUMMARY,
    TOO_LARGE,
    TOO_LONG,
    UNREADABLE,
    Entry,
    Refused,
    amount_parse,
    header_index,
    mapping_guess,
    moment_parse,
    provider_ids,
    repeated_references,
    row_key,
    row_read,
)

TODAY = datetime.date(2026, 9, 20)


@pytest.mark.parametrize(
    "written, amount",
    [
        ("1.500.000", 1_500_000),  # Vietnamese thousands
        ("1,500,000", 1_500_000),  # English thousands
        ("1500000.00", 1_500_000),  # decimal point, zero decimals
        ("1.500.000,00", 1_500_000),  # Vietnamese decimal comma
        ("1,500,000.00", 1_500_000),
        ("1500000", 1_500_000),
        ("1.500.000 VND", 1_500_000),
        ("VND 1,500,000", 1_500_000),
        ("1.500.000 VNĐ", 1_500_000),
        ("1.500.000đ", 1_500_000),
        ("1.500.000 đ", 1_500_000),
        ("1.500.000₫", 1_500_000),
        ("+500.000", 500_000),
        (" 500.000 ", 500_000),
        ("1.500", 1_500),  # three digits after one separator: thousands, never 1.5
        ("500", 500),
        ("0", 0),  # no money in (an outgoing row's credit cell)
        ("", None),
        ("   ", None),
        (None, None),
        (1_500_000, 1_500_000),  # number cells
        (1_500_000.0, 1_500_000),
        (Decimal("1500000.00"), 1_500_000),
        ("9.999.999.999.999", 9_999_999_999_999),
    ],
)
def test_amounts_as_banks_write_them(written, amount):
    assert amount_parse(written) == amount


@pytest.mark.parametrize(
    "written, reason",
    [
        ("-500.000", NEGATIVE),
        ("- 500.000 VND", NEGATIVE),
        ("(500.000)", NEGATIVE),
        (-500_000, NEGATIVE),
        ("1.500.000,50", FRACTION),
        ("1500000.5", FRACTION),
        ("12,5", FRACTION),
        (1_500_000.5, FRACTION),
        (Decimal("10.01"), FRACTION),
        ("10.000.000.000.000", TOO_LARGE),
        ("abc", UNREADABLE),
        ("1.50.000", UNREADABLE),  # groups of three after the first
        ("15.00.000", UNREADABLE),
        ("1.500,000", UNREADABLE),  # two kinds of thousands separator
        ("1,500.000", UNREADABLE),
        ("1.500.000.00", UNREADABLE),  # one character as thousands and decimal point
        ("1e6", UNREADABLE),
        ("1 500 000", UNREADABLE),
        ("1.500.000 USD", UNREADABLE),
        ("1,5 triệu", UNREADABLE),
        (".500", UNREADABLE),
        (True, UNREADABLE),
        (float("nan"), UNREADABLE),
    ],
)
def test_amounts_refused_with_their_reason(written, reason):
    with pytest.raises(Refused) as refused:
        amount_parse(written)
    assert refused.value.reason == reason


def test_a_debit_column_may_write_its_amounts_negative():
    assert amount_parse("-500.000", signed=True) == -500_000


@pytest.mark.parametrize(
    "written, moment",
    [
        ("15/09/2026", datetime.datetime(2026, 9, 15)),
        ("15/9/2026", datetime.datetime(2026, 9, 15)),
        ("15-09-2026", datetime.datetime(2026, 9, 15)),
        ("15.09.2026", datetime.datetime(2026, 9, 15)),
        ("15/09/2026 08:30", datetime.datetime(2026, 9, 15, 8, 30)),
        ("15/09/2026 8:30:15", datetime.datetime(2026, 9, 15, 8, 30, 15)),
        ("15/09/2026  08:30:15", datetime.datetime(2026, 9, 15, 8, 30, 15)),
        ("2026-09-15", datetime.datetime(2026, 9, 15)),
        ("2026-09-15 08:30:00", datetime.datetime(2026, 9, 15, 8, 30)),
        ("2026-09-15T08:30:00", datetime.datetime(2026, 9, 15, 8, 30)),
        (
            "2026-09-15T08:30:00+07:00",
            datetime.datetime(2026, 9, 15, 8, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=7))),
        ),
        (datetime.datetime(2026, 9, 15, 8, 30), datetime.datetime(2026, 9, 15, 8, 30)),  # a date cell
        (datetime.date(2026, 9, 15), datetime.datetime(2026, 9, 15)),
        ("", None),
        (None, None),
    ],
)
def test_dates_day_first_or_iso(written, moment):
    assert moment_parse(written) == moment


@pytest.mark.parametrize(
    "written",
    [
        "31/02/2026",
        "09/15/2026",
        "15/09/26",
        "15/09/2026 25:00",
        "hôm qua",
        "2026-13-01",
        "46000",
        46000,
        4.6e4,
    ],
)
def test_dates_refused(written):
    with pytest.raises(Refused) as refused:
        moment_parse(written)
    assert refused.value.reason == UNREADABLE


@pytest.mark.parametrize(
    "headers, guess",
    [
        (
            ["STT", "Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Số dư",
             "Nội dung chi tiết"],
            {"date": "Ngày giao dịch", "reference": "Số tham chiếu", "debit": "Số tiền ghi nợ",
             "amount": "Số tiền ghi có", "note": "Nội dung chi tiết"},
        ),
        (
            ["Ngày GD", "Mã GD", "Diễn giải", "Nợ/Debit", "Có/Credit"],
            {"date": "Ngày GD", "reference": "Mã GD", "note": "Diễn giải", "debit": "Nợ/Debit",
             "amount": "Có/Credit"},
        ),
        (["Ngày", "Nợ", "Có", "Số dư", "Diễn giải"],
         {"date": "Ngày", "debit": "Nợ", "amount": "Có", "note": "Diễn giải"}),
        (
            ["Transaction Date", "Reference No.", "Debit", "Credit", "Balance", "Description"],
            {"date": "Transaction Date", "reference": "Reference No.", "debit": "Debit", "amount": "Credit",
             "note": "Description"},
        ),
        (["Thời gian", "Số tiền", "Mô tả"], {"date": "Thời gian", "amount": "Số tiền", "note": "Mô tả"}),
        (["A", "B", "C"], {}),
    ],
)  # fmt: skip
def test_columns_guessed_from_bank_headers(headers, guess):
    assert mapping_guess(headers) == guess


TITLE_LINES = [
    ["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM", "", "", ""],
    ["SAO KÊ TÀI KHOẢN", "", "", ""],
    ["Số tài khoản: 0123456789", "", "Từ ngày 01/09/2026", ""],
    ["", "", "", ""],
    ["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi có", "Nội dung"],
    ["15/09/2026", "FT1", "500.000", "HD003RJ0T"],
]


@pytest.mark.parametrize(
    "lines, mapping, index",
    [
        (TITLE_LINES, None, 4),  # the first of the widest lines
        (TITLE_LINES, {"date": "Ngày giao dịch", "amount": "Số tiền ghi có", "note": "nội dung"}, 4),
        (TITLE_LINES, {"date": "Ngày giao dịch", "amount": "Credit"}, None),  # not this bank's layout
        (TITLE_LINES[4:], None, 0),
        ([], None, None),
        ([["", ""]], None, None),
    ],
)
def test_the_header_line_under_the_banks_title_lines(lines, mapping, index):
    assert header_index(lines, mapping) == index


FULL = {"date": "15/09/2026 08:30", "amount": "500.000", "note": "HD003RJ0T hoc phi", "reference": "FT123",
        "debit": ""}  # fmt: skip


@pytest.mark.parametrize(
    "changes, problems, skipped",
    [
        ({}, [], ""),
        ({"amount": "", "debit": "200.000"}, [], OUTGOING),
        ({"amount": "0", "debit": "-200.000"}, [], OUTGOING),  # debits written negative
        ({"amount": "", "debit": ""}, [("amount", MISSING)], ""),
        ({"amount": "-500.000"}, [("amount", NEGATIVE)], ""),
        ({"amount": "500.000,5"}, [("amount", FRACTION)], ""),
        ({"amount": "năm trăm"}, [("amount", UNREADABLE)], ""),
        ({"debit": "100.000"}, [("debit", BOTH)], ""),
        ({"date": "32/09/2026"}, [("date", UNREADABLE)], ""),
        ({"date": ""}, [("date", MISSING)], ""),
        ({"date": "25/09/2026"}, [("date", FUTURE)], ""),
        ({"date": "21/09/2026 23:59"}, [], ""),  # a day's grace
        ({"reference": ""}, [("reference", MISSING)], ""),
        ({"reference": "X" * 65}, [("reference", TOO_LONG)], ""),
        ({"date": "x", "amount": "-1", "reference": ""},
         [("amount", NEGATIVE), ("date", UNREADABLE), ("reference", MISSING)], ""),  # every problem named
    ],
)  # fmt: skip
def test_a_row_read(changes, problems, skipped):
    reading = row_read({**FULL, **changes}, list({**FULL, **changes}.values()), today=TODAY)
    assert (reading.problems, reading.skipped) == (problems, skipped)
    assert (reading.entry is not None) == (not problems and not skipped)


def test_a_good_row_becomes_an_entry():
    reading = row_read(FULL, [], today=TODAY)
    assert reading.entry == Entry(
        datetime.datetime(2026, 9, 15, 8, 30), 500_000, "HD003RJ0T hoc phi", "FT123"
    )


@pytest.mark.parametrize(
    "texts",
    [["", "Tổng cộng", "1.500.000"], ["Số dư cuối kỳ", "", "12.000.000"], ["", "", "Cộng phát sinh"]],
)
def test_the_banks_total_lines_are_skipped(texts):
    cells = {"date": "", "amount": "1.500.000", "note": texts[1], "reference": ""}
    assert row_read(cells, texts, today=TODAY).skipped == SUMMARY


def test_a_row_without_a_date_that_is_no_total_line_is_bad():
    cells = {"date": "", "amount": "500.000", "note": "Cong ty ABC chuyen tien"}
    reading = row_read(cells, ["", "500.000", "Cong ty ABC chuyen tien"], today=TODAY)
    assert reading.problems == [("date", MISSING)]


def test_rows_without_a_reference_get_stable_keys_ranked_among_twins():
    moment = datetime.datetime(2026, 9, 15)
    a = Entry(moment, 500_000, "HD003RJ0T hoc phi")
    twin = Entry(moment, 500_000, "hd003rj0t  HỌC PHÍ")  # the same note folded
    other = Entry(moment, 500_001, "HD003RJ0T hoc phi")
    referenced = Entry(moment, 500_000, "x", reference="FT9")
    ids = provider_ids([a, twin, other, referenced])
    assert ids[0] == row_key(a) and ids[1] == row_key(a) + "-2" and ids[2] != ids[0]
    assert ids[3] == "FT9"
    assert provider_ids([a, twin, other, referenced]) == ids  # the same file, the same keys
    assert len(ids[0]) <= 64 and ids[0].startswith("h")


def test_references_repeated_in_a_file():
    moment = datetime.datetime(2026, 9, 15)
    entries = [Entry(moment, 1, "", "FT1"), Entry(moment, 2, "", "FT2"), Entry(moment, 3, "", "FT1"),
               Entry(moment, 4, ""), Entry(moment, 4, "")]  # fmt: skip
    assert repeated_references(entries) == {2: 0}
