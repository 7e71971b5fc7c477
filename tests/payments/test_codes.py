"""payments.codes by tables: codes made and read back, and found again in transfer notes as banks rewrite
them (prefixes, suffixes, case, spaces, accents, codes glued to the bank's digits, two codes in one note),
while damaged codes and chance look-alikes are not taken."""

import random

import pytest

from payments.codes import FAMILY, INVOICE, CodeError, code_make, code_number, codes_in

CODE = code_make(INVOICE, 123456)
OTHER = code_make(INVOICE, 7)
FAMILY_CODE = code_make(FAMILY, 42)


@pytest.mark.parametrize(
    "kind, number", [(INVOICE, 1), (INVOICE, 123456), (FAMILY, 42), (INVOICE, 32**6 - 1)]
)
def test_a_code_is_read_back_as_made(kind, number):
    code = code_make(kind, number)
    assert len(code) == 9 and code.startswith(kind) and code.isalnum() and code.isupper()
    assert code_number(code) == (kind, number)
    assert code_number(code.lower()) == (kind, number)
    assert code_number(f"{code[:4]} {code[4:]}") == (kind, number)  # typed with a space


@pytest.mark.parametrize("kind, number", [("XX", 1), (INVOICE, 0), (INVOICE, -1), (INVOICE, 32**6)])
def test_what_cannot_be_a_code_is_refused(kind, number):
    with pytest.raises(CodeError):
        code_make(kind, number)


def test_codes_of_consecutive_numbers_differ_in_their_check_character_too():
    codes = {code_make(INVOICE, n) for n in range(1, 2000)}
    assert len(codes) == 1999


@pytest.mark.parametrize(
    "note",
    [
        f"{CODE}",
        f"{CODE.lower()}",
        f"MBVCB.1234567.{CODE}.CT tu 0123456789 toi 9876543210",
        f"MBVCB1234567{CODE}CT",  # dots lost: glued to the bank's digits
        f"Thanh toán học phí {CODE} cho con",
        f"IBFT {CODE[:3]} {CODE[3:6]} {CODE[6:]}",  # spaces added inside
        f"{CODE}-Nguyen Van An-6A1",
        f"chuyen tien {CODE.replace('0', 'O')}",  # a typed O for a zero
    ],
)
def test_a_code_is_found_in_what_banks_do_to_notes(note):
    assert codes_in(note) == [CODE]


def test_two_codes_in_one_note_are_both_found_in_order_and_once():
    assert codes_in(f"{OTHER} va {CODE} va {OTHER.lower()}") == [OTHER, CODE]
    assert codes_in(f"GIA DINH {FAMILY_CODE}") == [FAMILY_CODE]


def _damaged(code: str, position: int) -> str:
    wrong = "2" if code[position] != "2" else "3"
    return code[:position] + wrong + code[position + 1 :]


@pytest.mark.parametrize("position", range(2, 9))
def test_a_code_with_one_wrong_character_is_not_taken(position):
    assert codes_in(f"thanh toan {_damaged(CODE, position)}") == []


@pytest.mark.parametrize(
    "note",
    [
        "",
        "CT tu 0123456789 toi 9876543210 HD",
        "THANH TOAN HDON HANG 2026",
        "MBVCB.1234567.HD12345.CT",  # too short
    ],
)
def test_notes_without_a_code_give_none(note):
    assert codes_in(note) == []


def test_chance_look_alikes_are_rare():
    """Of 32**7 possible 'HD' + 7 characters, a 32nd pass the check: in 10,000 pseudo-random bodies of
    bank text, about that many, never more than a few percent."""
    rng = random.Random(7)
    letters = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    hits = sum(bool(codes_in("HD" + "".join(rng.choice(letters) for _ in range(7)))) for _ in range(10_000))
    assert 200 < hits < 450  # 10,000 / 32 ≈ 312
