"""SMS cost rules, table-driven from DOMAIN.md §5:

- "GSM-7: 160 characters in one SMS, 153 per part when split; `^ { } \\ [ ~ ] | €` count twice."
- "UCS-2: 70 in one SMS, 67 per part. One character outside GSM-7 makes the whole message UCS-2."
- "Vietnamese with diacritics is nearly always UCS-2 (only à è é ì ò ù É are in GSM-7) ... Normalise to NFC
  first. To strip accents: NFD, drop combining marks, map đ→d, Đ→D."
"""

import unicodedata

import pytest

from messaging.sms_text import GSM7, UCS2, is_gsm7, sms_cost, sms_normalise, sms_segments

VI = "ạ"  # one BMP character outside GSM-7: makes a message UCS-2
EMOJI = "😀"  # outside the BMP: two UTF-16 code units


@pytest.mark.parametrize(
    ("text", "encoding", "characters", "segments"),
    [
        # "160 characters in one SMS, 153 per part when split"
        ("", GSM7, 0, 0),  # decided: nothing to send costs nothing
        ("a", GSM7, 1, 1),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),  # 153 × 2
        ("a" * 307, GSM7, 307, 3),
        ("a" * 459, GSM7, 459, 3),  # 153 × 3
        # "`^ { } \ [ ~ ] | €` count twice"
        ("€", GSM7, 2, 1),
        ("a" * 158 + "€", GSM7, 160, 1),
        ("a" * 159 + "€", GSM7, 161, 2),
        ("a" * 159 + "^", GSM7, 161, 2),
        ("^{}\\[~]|€", GSM7, 18, 1),
        # an extension character is never split across parts: 152 + [€ does not fit] → it opens part 2
        ("a" * 151 + "€" + "a" * 153, GSM7, 306, 2),  # € ends part 1 exactly (151 + 2 = 153)
        ("a" * 152 + "€" + "a" * 152, GSM7, 306, 3),  # same length, one part more
        # "UCS-2: 70 in one SMS, 67 per part"
        (VI, UCS2, 1, 1),
        (VI * 70, UCS2, 70, 1),
        (VI * 71, UCS2, 71, 2),
        (VI * 134, UCS2, 134, 2),  # 67 × 2
        (VI * 135, UCS2, 135, 3),
        # "One character outside GSM-7 makes the whole message UCS-2"
        ("a" * 69 + VI, UCS2, 70, 1),
        ("a" * 70 + VI, UCS2, 71, 2),
        # in UCS-2 the extension characters are ordinary: one unit each
        ("€" * 69 + VI, UCS2, 70, 1),
        # UCS-2 counts UTF-16 code units: an emoji is 2, and a pair is never split across parts
        (EMOJI, UCS2, 2, 1),
        (EMOJI * 35, UCS2, 70, 1),
        ("a" * 69 + EMOJI, UCS2, 71, 2),
        ("a" * 65 + EMOJI + "a" * 67, UCS2, 134, 2),  # pair ends part 1 exactly
        ("a" * 66 + EMOJI + "a" * 66, UCS2, 134, 3),
    ],
)
def test_segments(text, encoding, characters, segments):
    count = sms_segments(text)
    assert (count.encoding, count.characters, count.segments) == (encoding, characters, segments)


@pytest.mark.parametrize(
    ("text", "per_segment"),
    [("a", 160), ("a" * 161, 153), (VI, 70), (VI * 71, 67)],
)
def test_room_per_segment_shown_on_the_compose_page(text, per_segment):
    assert sms_segments(text).per_segment == per_segment


@pytest.mark.parametrize(
    ("text", "gsm7"),
    [
        ("à è é ì ò ù É", True),  # "only à è é ì ò ù É are in GSM-7"
        ("@£$¥Ç\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñü", True),
        ("^{}\\[~]|€", True),
        ("Diem moi mon Toan: TX2 = 8,5", True),
        ("á", False),
        ("Điểm", False),
        ("ç", False),  # the table has only the capital Ç
        ("`", False),  # the backtick is not in GSM-7
        ("\t", False),
        ("\u00a0", False),  # non-breaking space
        ("“quoted”", False),
        (EMOJI, False),
        ("", True),
    ],
)
def test_is_gsm7(text, gsm7):
    assert is_gsm7(text) is gsm7


@pytest.mark.parametrize(
    ("text", "strip", "expected"),
    [
        # the grade publication message, DOMAIN.md §5 stripping rule
        ("Điểm mới môn Toán: TX2 = 8,5", True, "Diem moi mon Toan: TX2 = 8,5"),
        ("Điểm mới môn Toán: TX2 = 8,5", False, "Điểm mới môn Toán: TX2 = 8,5"),
        ("ĐẶNG THỊ ĐÀO đến trường", True, "DANG THI DAO den truong"),
        ("Nghỉ học ngày 30/4 – 1/5 … “Tết”", True, 'Nghi hoc ngay 30/4 - 1/5 ... "Tet"'),
        # typography is kept when accents are kept: that message is UCS-2 anyway
        ("Nghỉ – học", False, "Nghỉ – học"),
        # whitespace: tabs, NBSP, runs of spaces, trailing spaces, CR LF, blank lines, invisible characters
        ("  Họp\tphụ\u00a0huynh   lớp 6A1  ", False, "Họp phụ huynh lớp 6A1"),
        ("Dòng 1  \r\nDòng 2\r\n\r\n\r\n\r\nDòng 3", False, "Dòng 1\nDòng 2\n\nDòng 3"),
        ("Lớp\u200b 6A1\ufeff\u00ad", False, "Lớp 6A1"),
        ("", True, ""),
    ],
)
def test_normalise(text, strip, expected):
    assert sms_normalise(text, strip_accents=strip) == expected


def test_normalise_composes_decomposed_input_first():
    decomposed = unicodedata.normalize("NFD", "Điểm mới môn Toán")
    assert len(decomposed) > len("Điểm mới môn Toán")  # what an NFD keyboard sends: more characters to pay
    assert sms_normalise(decomposed, strip_accents=False) == "Điểm mới môn Toán"
    assert sms_normalise(decomposed, strip_accents=True) == "Diem moi mon Toan"


def test_stripping_makes_vietnamese_gsm7_and_halves_the_cost():
    text = (
        "Điểm mới môn Toán của Nguyễn Văn An: TX2 = 8,5 (trước: 6,0). "
        "Phụ huynh xem chi tiết trong sổ liên lạc điện tử của trường."
    )
    accented = sms_segments(sms_normalise(text, strip_accents=False))
    stripped = sms_segments(sms_normalise(text, strip_accents=True))
    assert (accented.encoding, accented.segments) == (UCS2, 2)
    assert (stripped.encoding, stripped.segments) == (GSM7, 1)
    assert accented.characters == stripped.characters == 121
    assert sms_cost(stripped.segments, 800) * 2 == sms_cost(accented.segments, 800)


def test_accents_that_gsm7_has_are_still_stripped_when_asked():
    # "é" is GSM-7, but the stripped text must read the same on every handset and in the delivery report
    assert sms_normalise("Café É", strip_accents=True) == "Cafe E"
    assert sms_segments(sms_normalise("Café É", strip_accents=False)).encoding == GSM7


@pytest.mark.parametrize(("segments", "price", "cost"), [(0, 800, 0), (1, 800, 800), (3, 750, 2250)])
def test_cost(segments, price, cost):
    assert sms_cost(segments, price) == cost


@pytest.mark.parametrize(("segments", "price"), [(-1, 800), (1, -800)])
def test_cost_rejects_negative_input(segments, price):
    with pytest.raises(ValueError):
        sms_cost(segments, price)
