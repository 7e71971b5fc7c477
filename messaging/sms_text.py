"""SMS text built for cost (DOMAIN.md §5): normalisation, GSM-7 detection, segment count, price.

No Django import: the compose page, the pipeline and the benchmarks all count the same way.

Decisions:
- Whitespace is tidied because every character is paid for: tabs, non-breaking and other Unicode spaces
  become one plain space (none is in GSM-7: one pasted NBSP would double the price), runs of spaces collapse,
  lines lose trailing spaces, invisible characters (zero-width space, BOM, soft hyphen) go, CR LF becomes LF,
  more than one blank line becomes one, and the ends are trimmed. Line breaks themselves are kept: they are
  one GSM-7 character and make a notice readable.
- When accents are stripped, Word's typographic punctuation (curly quotes, dashes, ellipsis) becomes ASCII
  too: the school asked for the cheap encoding, and one "…" would silently make it UCS-2 again.
- Empty text is 0 segments: there is nothing to send and nothing to pay (the compose page shows 0).
- Splitting follows 3GPP TS 23.038 / 23.040: an extension character (escape + character) and a UTF-16
  surrogate pair (an emoji) are never cut across two parts, so a long message can need one part more than
  `ceil(units / 153)` or `ceil(units / 67)` suggests; operators bill what the handset receives.
"""

import re
import unicodedata
from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet (0x1B, the escape to the extension table, is not a character of its own).
# 0x09 is the capital Ç in the standard, though some handsets draw it small.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: sent as escape + character, so each costs two septets.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_SINGLE = {GSM7: 160, UCS2: 70}
_PART = {GSM7: 153, UCS2: 67}  # a multi-part SMS loses room to the concatenation header (UDH)

_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u2013": "-",  # –
        "\u2014": "-",  # —
        "\u2212": "-",  # −
        "\u2026": "...",  # …
    }
)
# Invisible characters pasted from web pages and Word: zero-width space, word joiner, BOM, soft hyphen.
# None is in GSM-7 and none is seen by the parent, so they are dropped (the zero-width joiner of emoji stays).
_INVISIBLE = str.maketrans(dict.fromkeys("\u200b\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace except the line break (CR is gone by then)
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class SmsCount:
    encoding: str  # GSM7 or UCS2
    characters: int  # billed units: septets for GSM-7 (extension chars are 2), UTF-16 code units for UCS-2
    segments: int

    @property
    def per_segment(self) -> int:
        """Room in each part for this message: 160/70 alone, 153/67 once it is split."""
        return _SINGLE[self.encoding] if self.segments <= 1 else _PART[self.encoding]


def sms_normalise(text: str, strip_accents: bool) -> str:
    """NFC (keyboards that type decomposed Vietnamese would otherwise pay for every combining mark), tidy
    whitespace, and with `strip_accents` drop diacritics (đ→d, Đ→D) so Vietnamese fits GSM-7."""
    text = (
        unicodedata.normalize("NFC", text or "")
        .translate(_INVISIBLE)
        .replace("\r\n", "\n")
        .replace("\r", "\n")
    )
    if strip_accents:
        decomposed = unicodedata.normalize("NFD", text.translate(_TYPOGRAPHY))
        bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        text = unicodedata.normalize("NFC", bare.replace("đ", "d").replace("Đ", "D"))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text)


def sms_segments(text: str) -> SmsCount:
    """How the message will be encoded and billed. Count the text as it will be sent (after sms_normalise)."""
    if is_gsm7(text):
        encoding = GSM7
        units = [2 if ch in _GSM7_EXTENSION else 1 for ch in text]
    else:
        encoding = UCS2
        units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # outside the BMP: a surrogate pair
    total = sum(units)
    if total == 0:
        return SmsCount(encoding, 0, 0)
    if total <= _SINGLE[encoding]:
        return SmsCount(encoding, total, 1)
    room, segments, used = _PART[encoding], 1, 0
    for size in units:
        if used + size > room:  # this character does not fit whole: it opens the next part
            segments, used = segments + 1, 0
        used += size
    return SmsCount(encoding, total, segments)


def sms_cost(segments: int, price_per_segment_vnd: int) -> int:
    """Estimated price in đồng: operators bill per segment (settings.SMS_PRICE_PER_SEGMENT_VND)."""
    if segments < 0 or price_per_segment_vnd < 0:
        raise ValueError("segments and price must not be negative")
    return segments * price_per_segment_vnd
