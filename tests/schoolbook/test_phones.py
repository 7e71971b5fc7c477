"""Tests for schoolbook.phones (DOMAIN.md §3). Expected values were checked against phonenumbers 9.0.43."""

import ast
import dataclasses
from pathlib import Path

import pytest

from schoolbook import phones
from schoolbook.phones import LEGACY_PREFIXES, NormalizedPhone, PhoneError, format_national, normalize_phone

# The pre-2018 conversion table, copied literally from DOMAIN.md §3.
DOMAIN_TABLE = {
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",  # MobiFone
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",  # VinaPhone
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",  # Viettel
    "0167": "037", "0168": "038", "0169": "039",
    "0186": "056", "0188": "058",  # Vietnamobile
    "0199": "059",  # Gmobile
}  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("0912-345-678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("+84912345678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("(+84) 912.345.678", "+84912345678"),
        ("+84 (0) 912 345 678", "+84912345678"),
        ("+84 0912345678", "+84912345678"),
        ("0084 912 345 678", "+84912345678"),
        ("  0912 345 678 \t", "+84912345678"),
        ("０９１２ ３４５ ６７８", "+84912345678"),  # full-width digits
        ("＋８４ ９１２ ３４５ ６７８", "+84912345678"),
        ("0987654321", "+84987654321"),
        ("0388123456", "+84388123456"),
        ("0701234567", "+84701234567"),
        ("0812345678", "+84812345678"),
        ("0561234567", "+84561234567"),
        ("0591234567", "+84591234567"),
        ("0888123456", "+84888123456"),
        # 2026 ranges (phonenumbers >= 9.0.31): 10-digit numbers starting 01 are NOT legacy.
        ("0121 234 567", "+84121234567"),
        ("0121034567", "+84121034567"),
        ("0160 234 567", "+84160234567"),
        ("0301 234 567", "+84301234567"),
        ("0512 345 678", "+84512345678"),
    ],
)
def test_valid_mobiles(raw, e164):
    result = normalize_phone(raw)
    assert result == NormalizedPhone(e164=e164, legacy_from=None, is_mobile=True)
    assert result.national == "0" + e164[3:]


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("024 3812 3456", "+842438123456"),  # Hà Nội
        ("(028) 3822-1234", "+842838221234"),  # TP.HCM
        ("0236 3822 123", "+842363822123"),  # Đà Nẵng
        ("+84 24 3812 3456", "+842438123456"),
    ],
)
def test_landlines_accepted_but_not_mobile(raw, e164):
    assert normalize_phone(raw) == NormalizedPhone(e164=e164, legacy_from=None, is_mobile=False)


def test_legacy_table_matches_domain():
    assert LEGACY_PREFIXES == DOMAIN_TABLE


@pytest.mark.parametrize(("old", "new"), sorted(LEGACY_PREFIXES.items()))
def test_every_legacy_prefix_converts(old, new):
    raw = old + "1234567"
    result = normalize_phone(raw)
    assert result.e164 == "+84" + new[1:] + "1234567"
    assert result.national == new + "1234567"
    assert result.legacy_from == raw
    assert result.is_mobile


@pytest.mark.parametrize(
    "raw",
    [
        "01212345678",
        "0121 234 5678",
        "0121-234-5678",
        "(0121) 234.5678",
        "+84 121 234 5678",
        "+841212345678",
        "841212345678",
        "0084 121 234 5678",
    ],
)
def test_legacy_written_forms(raw):
    assert normalize_phone(raw) == NormalizedPhone(
        e164="+84792345678", legacy_from="01212345678", is_mobile=True
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Vui lòng nhập số điện thoại"),
        ("   ", "Vui lòng nhập số điện thoại"),
        ("abc", "Số điện thoại không hợp lệ: abc"),
        ("0912abc678", "Số điện thoại không hợp lệ: 0912abc678"),
        ("1-800-FLOWERS", "Số điện thoại không hợp lệ: 1-800-FLOWERS"),  # phonenumbers alone would accept
        ("0912 345 678 ext 12", "Số điện thoại không hợp lệ: 0912 345 678 ext 12"),
        ("09123+45678", "Số điện thoại không hợp lệ: 09123+45678"),
        ("++84912345678", "Số điện thoại không hợp lệ: ++84912345678"),
        ("---", "Số điện thoại không hợp lệ: ---"),
        ("+84", "Số điện thoại không hợp lệ: +84"),
        ("0912345", "Số điện thoại không hợp lệ: 0912345 (quá ngắn)"),
        ("091234567", "Số điện thoại không hợp lệ: 091234567 (quá ngắn)"),
        ("091234567890", "Số điện thoại không hợp lệ: 091234567890 (quá dài)"),
        ("0912345678901", "Số điện thoại không hợp lệ: 0912345678901 (quá dài)"),
        # 11 digits with a 01x prefix that is not in the table: not legacy, and invalid.
        ("01301234567", "Số điện thoại không hợp lệ: 01301234567 (không đúng đầu số)"),
        ("01611234567", "Số điện thoại không hợp lệ: 01611234567 (không đúng đầu số)"),
        # 10 digits in an unassigned range.
        ("0521234567", "Số điện thoại không hợp lệ: 0521234567 (không đúng đầu số)"),
        ("0401234567", "Số điện thoại không hợp lệ: 0401234567 (không đúng đầu số)"),
        # Valid numbers that cannot reach a parent.
        ("1900 123 456", "Số điện thoại không hợp lệ: 1900 123 456 (không phải số di động hoặc cố định)"),
        ("1800 123 456", "Số điện thoại không hợp lệ: 1800 123 456 (không phải số di động hoặc cố định)"),
    ],
)
def test_invalid(raw, message):
    with pytest.raises(PhoneError) as excinfo:
        normalize_phone(raw)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("raw", "e164", "is_mobile"),
    [
        ("+1 650 253 0000", "+16502530000", True),  # US numbers are FIXED_LINE_OR_MOBILE
        ("+44 20 7946 0958", "+442079460958", False),
        ("0044 20 7946 0958", "+442079460958", False),
        ("+33 6 12 34 56 78", "+33612345678", True),
    ],
)
def test_foreign(raw, e164, is_mobile):
    with pytest.raises(PhoneError) as excinfo:
        normalize_phone(raw)
    assert str(excinfo.value) == "Chỉ chấp nhận số điện thoại Việt Nam"
    result = normalize_phone(raw, allow_foreign=True)
    assert result == NormalizedPhone(e164=e164, legacy_from=None, is_mobile=is_mobile)
    assert result.national == e164  # no Vietnamese national form


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("+1 650 253", "Số điện thoại không hợp lệ: +1 650 253 (quá ngắn)"),
        ("+1 650 253 00001", "Số điện thoại không hợp lệ: +1 650 253 00001 (quá dài)"),
    ],
)
def test_allow_foreign_still_validates(raw, message):
    with pytest.raises(PhoneError) as excinfo:
        normalize_phone(raw, allow_foreign=True)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("e164", "display"),
    [
        ("+84912345678", "0912 345 678"),
        ("+84792345678", "0792 345 678"),
        ("+84121234567", "0121 234 567"),
        ("+842438123456", "024 3812 3456"),
        ("+842363822123", "0236 3822 123"),
        ("+16502530000", "+1 650-253-0000"),
        ("+442079460958", "+44 20 7946 0958"),
    ],
)
def test_format_national(e164, display):
    assert format_national(e164) == display


def test_format_national_round_trips_with_normalize():
    assert normalize_phone(format_national("+84912345678")).e164 == "+84912345678"


def test_phone_error_is_value_error_and_result_is_frozen():
    assert issubclass(PhoneError, ValueError)
    result = normalize_phone("0912345678")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.e164 = "+84000000000"


def test_module_does_not_import_django():
    tree = ast.parse(Path(phones.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not any(name.split(".")[0] == "django" for name in imported)
