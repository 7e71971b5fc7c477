"""Vietnamese phone numbers: parse what people type, store E.164 (DOMAIN.md §3).

Pure module (no Django) so it can serve forms, imports and gateways alike.
Validity is judged by ``phonenumbers`` (libphonenumber >= 9.0.31, which knows the 2026 VN ranges).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType, ValidationResult

# Pre-2018 11-digit mobile prefixes -> their 10-digit replacements (only the prefix changes,
# the last 7 digits stay).
LEGACY_PREFIXES: dict[str, str] = {
    # MobiFone
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    # VinaPhone
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    # Viettel
    "0162": "032",
    "0163": "033",
    "0164": "034",
    "0165": "035",
    "0166": "036",
    "0167": "037",
    "0168": "038",
    "0169": "039",
    # Vietnamobile
    "0186": "056",
    "0188": "058",
    # Gmobile
    "0199": "059",
}

_REGION = "VN"
_COUNTRY_CODE = 84
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
# Schools have landlines; toll-free, premium-rate, VoIP etc. cannot receive SMS/Zalo and are refused.
_ACCEPTED_TYPES = _MOBILE_TYPES | {PhoneNumberType.FIXED_LINE}
# Only separators people actually type. phonenumbers alone would accept letters (vanity numbers such
# as 1-800-FLOWERS) and extensions, which have no place in a parent's contact number.
_ALLOWED = re.compile(r"\(?\+?[\d\s().\-/]*")


def gettext_noop(message: str) -> str:
    """Marks a message for `makemessages` without importing Django; schoolbook.forms translates it."""
    return message


MSG_EMPTY = gettext_noop("Vui lòng nhập số điện thoại")
MSG_FOREIGN = gettext_noop("Chỉ chấp nhận số điện thoại Việt Nam")
MSG_INVALID = gettext_noop("Số điện thoại không hợp lệ: {raw}")
MSG_INVALID_BECAUSE = gettext_noop("Số điện thoại không hợp lệ: {raw} ({why})")
WHY_TOO_SHORT = gettext_noop("quá ngắn")
WHY_TOO_LONG = gettext_noop("quá dài")
WHY_BAD_PREFIX = gettext_noop("không đúng đầu số")
WHY_NOT_PHONE = gettext_noop("không phải số di động hoặc cố định")


class PhoneError(ValueError):
    """str(e) is the Vietnamese message; `template` and `params` let the web layer translate it (params
    named `why` are messages themselves)."""

    def __init__(self, template: str, **params: str):
        super().__init__(template.format(**params))
        self.template = template
        self.params = params


@dataclass(frozen=True)
class NormalizedPhone:
    e164: str  # "+84912345678"
    legacy_from: str | None  # original 11-digit national number, e.g. "01212345678", else None
    is_mobile: bool  # MOBILE or FIXED_LINE_OR_MOBILE; False for landlines

    @property
    def national(self) -> str:
        """'0912345678' for Vietnamese numbers; foreign numbers have no VN national form, so E.164."""
        if self.e164.startswith("+84"):
            return "0" + self.e164[3:]
        return self.e164


def _invalid(raw: str, why: str = "") -> PhoneError:
    return PhoneError(MSG_INVALID_BECAUSE, raw=raw, why=why) if why else PhoneError(MSG_INVALID, raw=raw)


def normalize_phone(raw: str, *, allow_foreign: bool = False) -> NormalizedPhone:
    """Parse a typed or imported number; raise PhoneError with a Vietnamese message if unusable."""
    text = unicodedata.normalize("NFKC", raw or "").strip()  # NFKC: full-width digits, ＋, （）
    if not text:
        raise PhoneError(MSG_EMPTY)
    if not _ALLOWED.fullmatch(text) or not any(c.isdigit() for c in text):
        raise _invalid(text)
    try:
        number = phonenumbers.parse(text, _REGION)
    except NumberParseException as exc:
        raise _invalid(text) from exc

    if number.country_code != _COUNTRY_CODE:
        if not allow_foreign:
            raise PhoneError(MSG_FOREIGN)
        return _checked(number, text, legacy_from=None)

    # A legacy number is 0 + 10 digits, i.e. a 10-digit significant number ("1212345678"). Only that
    # length is converted: 10-digit national numbers starting 01 ("0121234567") may be valid today.
    nsn = phonenumbers.national_significant_number(number)
    legacy_from = None
    if len(nsn) == 10 and ("0" + nsn[:3]) in LEGACY_PREFIXES:
        legacy_from = "0" + nsn
        number = phonenumbers.parse(LEGACY_PREFIXES[legacy_from[:4]] + nsn[3:], _REGION)
    return _checked(number, text, legacy_from)


def _checked(number: phonenumbers.PhoneNumber, text: str, legacy_from: str | None) -> NormalizedPhone:
    if not phonenumbers.is_valid_number(number):
        raise _invalid(text, _why_invalid(number))
    kind = phonenumbers.number_type(number)
    if kind not in _ACCEPTED_TYPES:
        raise _invalid(text, WHY_NOT_PHONE)
    return NormalizedPhone(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        legacy_from=legacy_from,
        is_mobile=kind in _MOBILE_TYPES,
    )


def _why_invalid(number: phonenumbers.PhoneNumber) -> str:
    nsn_len = len(phonenumbers.national_significant_number(number))
    if number.country_code == _COUNTRY_CODE:
        # VN mobiles have 9 significant digits, landlines 10. libphonenumber's own "possible" lengths
        # (7-10) include short service numbers, so it would not call "0912345" too short.
        too_short, too_long = nsn_len < 9, nsn_len > 10
    else:
        reason = phonenumbers.is_possible_number_with_reason(number)
        too_short, too_long = reason == ValidationResult.TOO_SHORT, reason == ValidationResult.TOO_LONG
    if too_short:
        return WHY_TOO_SHORT
    if too_long:
        return WHY_TOO_LONG
    return WHY_BAD_PREFIX


def format_national(e164: str) -> str:
    """Display form: "+84912345678" -> "0912 345 678".

    10-digit national numbers (all mobiles) are grouped 4-3-3 as Vietnamese people write them;
    landlines use libphonenumber's grouping ("024 3812 3456"); foreign numbers its international form.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException as exc:
        raise _invalid(e164) from exc
    if number.country_code != _COUNTRY_CODE:
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    national = "0" + phonenumbers.national_significant_number(number)
    if len(national) == 10:
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


def display_phone(e164: str) -> str:
    """The national form people dial for a stored number; a value that is not a number is shown as it is."""
    try:
        return format_national(e164) if e164 else ""
    except ValueError:
        return e164
