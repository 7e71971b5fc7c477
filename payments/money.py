"""Amounts of money as people type them in forms: whole đồng, thousands grouped with dots, commas or spaces
("1.500.000", "1,500,000", "1 500 000 đ"). Pure rules, no Django; the messages are msgids the form
translates."""

import re

_GROUPED = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")
_PLAIN = re.compile(r"^\d+$")
_CURRENCY = re.compile(r"\s*(đ|đồng|vnd|vnđ)\.?$", re.IGNORECASE)


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue (makemessages knows the name); the form translates it."""
    return message


class AmountError(ValueError):
    pass


def amount_parse(text: str, *, maximum: int) -> int:
    """The amount in whole đồng (1 … maximum); AmountError with a reason otherwise."""
    value = _CURRENCY.sub("", text.strip()).strip()
    if value.startswith("-"):
        raise AmountError(gettext_noop("Số tiền phải lớn hơn 0."))
    if _PLAIN.match(value):
        amount = int(value)
    elif _GROUPED.match(value) and len({c for c in value if not c.isdigit()}) == 1:
        amount = int(re.sub(r"\D", "", value))
    else:
        raise AmountError(gettext_noop("Số tiền là số nguyên đồng, ví dụ 1.500.000 (không có phần lẻ)."))
    if amount < 1:
        raise AmountError(gettext_noop("Số tiền phải lớn hơn 0."))
    if amount > maximum:
        raise AmountError(gettext_noop("Số tiền quá lớn."))
    return amount
