"""Payment codes: the short code a parent's transfer note carries, and finding it again in the note the bank
delivers. Pure rules, no Django.

A code is a two-letter kind, the number in Crockford base 32 (digits and capitals without I, L, O, U), and a
Luhn mod 32 check character: `HD` an invoice ("HD003RJ0T" is invoice 123,456), `GD` a family's open
invoices paid at once. It is written in the VietQR's transfer note (≤ 25 ASCII characters,
payments.vietqr) and typed by parents who copy it.

Banks rewrite notes (../shared/DOMAIN.md §8): prefixes ("MBVCB.1234567.…"), suffixes ("…CT tu 0123 toi …"),
case, spaces lost or added, accents dropped. So a note is searched, never compared: `codes_in` folds it to
capitals and digits only and looks for every kind + body + check that is valid; the check character makes a
chance match in the bank's own words (1 in 32 per candidate) rare, and the body's length is fixed per code, so
a code glued to the bank's digits is still found.
"""

import re
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32
INVOICE, FAMILY = "HD", "GD"  # hoá đơn, gia đình
KINDS = (INVOICE, FAMILY)
BODY_LENGTH = 6  # 32**6 ≈ 1.07 billion numbers per kind and school
_VALUE = {c: i for i, c in enumerate(ALPHABET)} | {"O": 0, "I": 1, "L": 1}  # what people mistype
_CANDIDATE = re.compile(rf"(?=({'|'.join(KINDS)})([0-9A-Z]{{{BODY_LENGTH}}})([0-9A-Z]))")


class CodeError(ValueError):
    """Not a payment code."""


def code_make(kind: str, number: int) -> str:
    """The code of `number` (≥ 1) of this kind: kind, 6 base-32 characters, check character."""
    if kind not in KINDS:
        raise CodeError(f"unknown kind {kind!r}")
    if not 0 < number < len(ALPHABET) ** BODY_LENGTH:
        raise CodeError(f"{number} does not fit a code")
    body = ""
    for _ in range(BODY_LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        body = ALPHABET[digit] + body
    return kind + body + _check_character(body)


def code_number(code: str) -> tuple[str, int]:
    """(kind, number) of a code written as people and banks write it; CodeError if it is not one."""
    found = codes_in(code)
    if len(found) != 1 or len(_fold(code)) != len(found[0]):
        raise CodeError(f"{code!r} is not a payment code")
    kind, body = found[0][:2], found[0][2 : 2 + BODY_LENGTH]
    number = 0
    for character in body:
        number = number * len(ALPHABET) + _VALUE[character]
    return kind, number


def codes_in(note: str) -> list[str]:
    """Every valid code in a bank's transfer note, in the order they appear, each once, in canonical form."""
    text = _fold(note)
    found = []
    for match in _CANDIDATE.finditer(text):
        kind, body, check = match.groups()
        canonical = "".join(ALPHABET[_VALUE[c]] for c in body if c in _VALUE)
        if (
            len(canonical) != BODY_LENGTH
            or check not in _VALUE
            or ALPHABET[_VALUE[check]] != _check_character(canonical)
        ):
            continue
        code = kind + canonical + _check_character(canonical)
        if code not in found:
            found.append(code)
    return found


def _fold(text: str) -> str:
    """Capitals and digits only: accents, spaces, dots and dashes gone."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed.upper() if c.isascii() and c.isalnum())


def _check_character(body: str) -> str:
    """Luhn mod 32 over the body's values: catches any single wrong character and most swaps of neighbours."""
    total, factor = 0, 2
    for character in reversed(body):
        addend = factor * _VALUE[character]
        total += addend // len(ALPHABET) + addend % len(ALPHABET)
        factor = 1 if factor == 2 else 2
    return ALPHABET[(len(ALPHABET) - total % len(ALPHABET)) % len(ALPHABET)]
