"""A bank statement's rows as Vietnamese banks write them. Pure rules, no Django: the import
(payments.statements.importer) reads the file through students.imports.flow and turns each refusal's reason
code into a Vietnamese sentence.

Amounts are whole đồng (payments.money reads what people type in a form; a statement also carries decimals,
signs and currency words that a form never takes). Banks and Excel write "1.500.000", "1,500,000",
"1500000.00", "1.500.000,00", "1.500.000 VND", "VND 1,500,000", "1.500.000đ" or a number cell. A separator
followed by exactly three digits groups thousands, and every group after the first has three digits; a last
separator followed by one or two digits is the decimal point, and its decimals must be zero (the đồng has no
subunit); one character cannot be both. "-500.000" and "(500.000)" are negative: refused in the credit
column, which only holds money in (a debit column may write its amounts either way). Zero is no amount ("0"
in the credit column of an outgoing row).

Dates are dd/mm/yyyy (also with "-" or "."), with or without a time ("15/09/2026 08:30[:15]"), or ISO
("2026-09-15", "2026-09-15T08:30:00", with or without an offset); a spreadsheet's own date cell is taken as it
is. A date is never read month first: Vietnamese banks write the day first.

Columns are mapped once per bank (StatementMapping): `mapping_guess` proposes, from the file's header texts,
which column is which; `header_index` finds the header line under the bank's title lines. A row the bank gave
no reference is identified by `row_key`, a hash of its moment, amount and note, plus its rank among identical
rows of the file, so the same statement imported again finds the same keys.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from schoolbook.text import fold

# The fields a mapping names: (field, required). The reference and the debit column are optional.
FIELDS = (("date", True), ("amount", True), ("note", True), ("reference", False), ("debit", False))
REQUIRED = tuple(name for name, required in FIELDS if required)

AMOUNT_MAX = 9_999_999_999_999  # 13 digits, VietQR's limit: anything longer is not a bank transfer
REFERENCE_MAX = 64  # BankTransaction.provider_id

# Reason codes (the import says them in Vietnamese).
MISSING, UNREADABLE, NEGATIVE, FRACTION, TOO_LARGE = (
    "missing",
    "unreadable",
    "negative",
    "fraction",
    "too_large",
)
FUTURE, TOO_LONG, BOTH = "future", "too_long", "both"
# Why a row is skipped rather than imported.
OUTGOING, SUMMARY = "outgoing", "summary"


class Refused(ValueError):
    """A cell that cannot be read; `reason` is one of the reason codes above."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- amounts ---------------------------------------------------------------------------------------------

_CURRENCY = re.compile(r"VN[DĐ]|ĐỒNG|DONG|Đ|₫")
_NUMBER = re.compile(r"\d(?:[\d.,]*\d)?")


def amount_parse(value, *, signed: bool = False) -> int | None:
    """Whole đồng from a cell; None for an empty cell. Refused (NEGATIVE unless `signed`, FRACTION,
    TOO_LARGE, UNREADABLE) otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Refused(UNREADABLE)
    if isinstance(value, int):
        number, fraction = value, False
    elif isinstance(value, (float, Decimal)):
        if isinstance(value, float) and not math.isfinite(value):
            raise Refused(UNREADABLE)
        number, fraction = int(value), value != int(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        number, fraction = _amount_text(text)
    if number < 0 and not signed:
        raise Refused(NEGATIVE)
    if fraction:
        raise Refused(FRACTION)
    if abs(number) > AMOUNT_MAX:
        raise Refused(TOO_LARGE)
    return number


def _amount_text(text: str) -> tuple[int, bool]:
    """(whole đồng with its sign, whether there were non-zero decimals) of an amount written as text."""
    text = _CURRENCY.sub(" ", text.upper().replace("\u00a0", " ")).strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text[:1] in "+-−":
        negative, text = text[:1] != "+", text[1:].strip()
    if not _NUMBER.fullmatch(text):
        raise Refused(UNREADABLE)
    whole, decimals = text, ""
    last = max(text.rfind("."), text.rfind(","))
    if last != -1 and len(text) - last - 1 != 3:  # not a thousands group: the decimal point
        whole, decimals = text[:last], text[last + 1 :]
        if text[last] in whole:
            raise Refused(UNREADABLE)  # "1.500.000.00": one character both ways
    separators = set(re.sub(r"\d", "", whole))
    if len(separators) > 1:
        raise Refused(UNREADABLE)  # "1.500,000"
    if separators:
        groups = whole.split(separators.pop())
        if len(groups[0]) > 3 or any(len(group) != 3 for group in groups[1:]):
            raise Refused(UNREADABLE)  # "15.00.000"
    number = int(re.sub(r"\D", "", whole))
    return (-number if negative else number), decimals.strip("0") != ""


# --- dates ------------------------------------------------------------------------------------------------

_DAY_FIRST = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2})[:h](\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T].*)?")


def moment_parse(value) -> datetime.datetime | None:
    """The moment a cell names (naive unless it carried an offset); None for an empty cell, Refused
    (UNREADABLE) when it is not a date as banks write them."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time())
    if not isinstance(value, str):
        raise Refused(UNREADABLE)  # a bare number is not a date: a date cell comes as a date
    text = " ".join(value.split())
    if not text:
        return None
    try:
        if found := _DAY_FIRST.fullmatch(text):
            day, month, year, hour, minute, second = (int(part or 0) for part in found.groups())
            return datetime.datetime(year, month, day, hour, minute, second)
        if _ISO.fullmatch(text):
            return datetime.datetime.fromisoformat(text)
    except ValueError:
        pass  # 31/02/2026, 25:00
    raise Refused(UNREADABLE)


# --- columns ----------------------------------------------------------------------------------------------

# Folded header words, most specific first, by field: what Vietnamese banks' exports call their columns.
GUESSES = {
    "reference": ("so tham chieu", "ma tham chieu", "ma giao dich", "so giao dich", "ma gd", "so but toan",
                  "so chung tu", "so ct", "reference", "ref", "transaction id", "trace"),
    "debit": ("ghi no", "so tien no", "phat sinh no", "tien ra", "debit", "withdrawal", "no"),
    "amount": ("ghi co", "so tien co", "phat sinh co", "tien vao", "credit", "deposit", "so tien", "amount",
               "co"),
    "date": ("ngay giao dich", "ngay gd", "ngay hach toan", "ngay hieu luc", "thoi gian", "ngay",
             "transaction date", "date", "time"),
    "note": ("noi dung", "dien giai", "mo ta", "chi tiet", "description", "remark", "details", "narrative"),
}  # fmt: skip


def header_fold(text) -> str:
    return " ".join(fold(str(text or "")).replace("*", " ").split())


def mapping_guess(headers: list[str]) -> dict[str, str]:
    """A proposal of which header is which field (the accountant checks it): each field takes the first
    header containing one of its words (punctuation aside: "Có/Credit"), in the order of GUESSES; a header
    serves one field."""
    words_of = {
        header: " ".join(re.sub(r"[^a-z0-9]+", " ", header_fold(header)).split()) for header in headers
    }
    folded = [(header, f" {words} ") for header, words in words_of.items() if words]
    guess: dict[str, str] = {}
    for name, words in GUESSES.items():
        for word in words:
            found = next((h for h, f in folded if f" {word} " in f and h not in guess.values()), None)
            if found is not None:
                guess[name] = found
                break
    return guess


HEADER_SEARCH_LINES = 40


def header_index(lines: list[list[str]], mapping: dict[str, str] | None = None) -> int | None:
    """Which of the first lines (cell texts) is the table's header. With a mapping: the first line holding
    every mapped header (None if none does: the file is not laid out as the bank's earlier ones). Without:
    the first of the widest lines, since the bank's title lines above the table (name, account, period)
    fill fewer cells than its header."""
    head = lines[:HEADER_SEARCH_LINES]
    if mapping:
        wanted = {header_fold(text) for text in mapping.values() if text}
        for index, cells in enumerate(head):
            if wanted <= {header_fold(cell) for cell in cells}:
                return index
        return None
    widths = [sum(1 for cell in cells if str(cell or "").strip()) for cells in head]
    return widths.index(max(widths)) if widths and max(widths) else None


# --- rows -------------------------------------------------------------------------------------------------

SUMMARY_WORDS = ("tong", "cong phat sinh", "so du", "total", "closing balance", "opening balance",
                 "ending balance", "beginning balance")  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """An incoming transfer read from one row."""

    occurred_at: datetime.datetime
    amount: int
    note: str
    reference: str = ""


@dataclass
class Reading:
    """What one row is: an entry, a row to skip (OUTGOING, SUMMARY), or its problems as (field, reason)."""

    entry: Entry | None = None
    skipped: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)


def row_read(cells: dict, texts: list[str], *, today: datetime.date) -> Reading:
    """One row: `cells` holds the mapped fields' values ("reference" and "debit" only when mapped),
    `texts` every cell of the row as text (to recognise the bank's total lines)."""
    reading = Reading()
    date_empty = not str(cells.get("date") or "").strip()
    reference = " ".join(str(cells.get("reference") or "").split())
    if date_empty and not reference and any(header_fold(text).startswith(SUMMARY_WORDS) for text in texts):
        reading.skipped = SUMMARY  # "Tổng cộng", "Số dư cuối kỳ": the bank's own lines, no transfer
        return reading
    credit = _amount(reading, "amount", cells.get("amount"))
    debit = _amount(reading, "debit", cells.get("debit"), signed=True) if "debit" in cells else None
    if not credit and not reading.problems:
        if debit:
            reading.skipped = OUTGOING
            return reading
        reading.problems.append(("amount", MISSING))
    elif credit and debit:
        reading.problems.append(("debit", BOTH))
    moment = None
    try:
        moment = moment_parse(cells.get("date"))
        if moment is None:
            reading.problems.append(("date", MISSING))
        elif moment.date() > today + datetime.timedelta(days=1):  # a day's grace for time zones
            reading.problems.append(("date", FUTURE))
    except Refused as refused:
        reading.problems.append(("date", refused.reason))
    if "reference" in cells:
        if not reference:
            reading.problems.append(("reference", MISSING))
        elif len(reference) > REFERENCE_MAX:
            reading.problems.append(("reference", TOO_LONG))
    if not reading.problems:
        note = " ".join(str(cells.get("note") or "").split())
        reading.entry = Entry(occurred_at=moment, amount=credit, note=note, reference=reference)
    return reading


def _amount(reading: Reading, name: str, value, *, signed: bool = False) -> int | None:
    try:
        amount = amount_parse(value, signed=signed)
    except Refused as refused:
        reading.problems.append((name, refused.reason))
        return None
    return abs(amount) if amount is not None else None


def row_key(entry: Entry, occurrence: int = 1) -> str:
    """A row's id when the bank gives no reference: a hash of its moment, amount and folded note; the
    second identical row of a file (a parent paying twice the same day) adds "-2", and so on."""
    text = f"{entry.occurred_at.isoformat()}|{entry.amount}|{header_fold(entry.note)}"
    key = "h" + hashlib.sha256(text.encode()).hexdigest()[:32]
    return key if occurrence == 1 else f"{key}-{occurrence}"


def provider_ids(entries: list[Entry]) -> list[str]:
    """Each entry's id: the bank's reference, else its `row_key` (ranked among identical rows)."""
    seen: Counter = Counter()
    ids = []
    for entry in entries:
        if entry.reference:
            ids.append(entry.reference)
        else:
            key = row_key(entry)
            seen[key] += 1
            ids.append(row_key(entry, seen[key]))
    return ids


def repeated_references(entries: list[Entry]) -> dict[int, int]:
    """Index of each entry whose reference an earlier entry already has → that earlier entry's index."""
    first: dict[str, int] = {}
    repeated = {}
    for index, entry in enumerate(entries):
        if entry.reference:
            if entry.reference in first:
                repeated[index] = first[entry.reference]
            else:
                first[entry.reference] = index
    return repeated
