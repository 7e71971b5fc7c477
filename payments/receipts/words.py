"""An amount of money in Vietnamese words, as a receipt (biên lai) writes it under the figures: 1.250.000 →
"Một triệu hai trăm năm mươi nghìn đồng". Pure rules, no Django.

How Vietnamese reads numbers (the convention of accounting documents and bank slips):
- digits are read in groups of three, named nghìn (10³), triệu (10⁶), tỷ (10⁹); past a tỷ the names repeat
  after it ("một nghìn tỷ"); a group of zeros is not read at all (1.000.500 → "một triệu năm trăm");
- the first group is read as written ("mười hai nghìn"); every later group is read in full, its zeros
  included: "không trăm" for a missing hundred, "lẻ" for a missing ten before a unit (2.001 → "hai nghìn
  không trăm lẻ một", 1.050.000 → "một triệu không trăm năm mươi nghìn");
- tens: 10 is "mười", 20–90 "hai mươi"…; a unit 1 after "mươi" is "mốt" (21 "hai mươi mốt", but 11 "mười
  một"), a unit 5 after any ten is "lăm" (15 "mười lăm", 25 "hai mươi lăm", but 105 "một trăm lẻ năm");
  4 stays "bốn" everywhere (the formal reading; "tư" is spoken only).
"""

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUPS = ("", "nghìn", "triệu")  # then tỷ, and the names again after it
BILLION = 10**9
CURRENCY = "đồng"


def amount_in_words(amount: int) -> str:
    """Whole đồng in words, capitalised, ending in "đồng": 0 → "Không đồng"."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise ValueError(f"an amount is a whole number of đồng, not {amount!r}")
    words = number_in_words(amount)
    return f"{words[0].upper()}{words[1:]} {CURRENCY}"


def number_in_words(number: int) -> str:
    """A whole number ≥ 0 in lower-case Vietnamese words: 2001 → "hai nghìn không trăm lẻ một"."""
    if number == 0:
        return DIGITS[0]
    return " ".join(_below_billion_and_up(number, leading=True))


def _below_billion_and_up(number: int, *, leading: bool) -> list[str]:
    """Past a tỷ: the tỷ count (read like any number, its own groups named), then the rest in full."""
    if number < BILLION:
        return _groups(number, leading=leading)
    billions, rest = divmod(number, BILLION)
    words = [*_below_billion_and_up(billions, leading=leading), "tỷ"]
    if rest:
        words += _groups(rest, leading=False)
    return words


def _groups(number: int, *, leading: bool) -> list[str]:
    """number < 10⁹ as up to three named groups; groups of zeros are skipped. When not leading, the number
    follows a larger group, so its first group is read in full too."""
    parts = []
    for power in range(len(GROUPS) - 1, -1, -1):
        group = number // 1000**power % 1000
        if not group:
            continue
        full = bool(parts) or not leading
        parts += _three_digits(group, full=full)
        if GROUPS[power]:
            parts.append(GROUPS[power])
    return parts


def _three_digits(group: int, *, full: bool) -> list[str]:
    """1–999. `full`: read a missing hundred ("không trăm") and a missing ten before a unit ("lẻ")."""
    hundreds, tens, units = group // 100, group // 10 % 10, group % 10
    words = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("lẻ")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        words.append(_unit(units, tens))
    return words


def _unit(units: int, tens: int) -> str:
    if units == 1 and tens >= 2:
        return "mốt"
    if units == 5 and tens >= 1:
        return "lăm"
    return DIGITS[units]
