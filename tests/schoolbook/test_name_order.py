"""The class-list order of Vietnamese names (schoolbook/name_order.py), by table."""

import random
import unicodedata

import pytest

from schoolbook.name_order import MAX_LENGTH, vietnamese_sort_key

# Each pair: the first name comes before the second on a Vietnamese class list, and why.
BEFORE = [
    ("Trần Văn An", "Lê Thị Anh", "a given name that is a prefix comes first"),
    ("Lê Thị Anh", "Phạm Thị Ánh", "same base letters: ngang before sắc"),
    ("Phạm Thị Ánh", "Vũ Văn Ân", "a before â, whatever the tone"),
    ("Trần Văn An", "Vũ Văn Ân", "a before â"),
    ("Nguyễn Thị Van", "Nguyễn Thị Văn", "a before ă"),
    ("Nguyễn Thị Văn", "Nguyễn Thị Vân", "ă before â"),
    ("Trần Văn Dương", "Lê Văn Đạt", "d before đ, even though u comes after a"),
    ("Lê Văn Đạt", "Hoàng Văn Em", "đ before e"),
    ("Lê Thị Em", "Lê Thị Ếch", "e before ê"),
    ("Lê Thị Thọ", "Lê Thị Thông", "o before ô, whatever the tone"),
    ("Lê Thị Thông", "Lê Thị Thơ", "ô before ơ"),
    ("Lê Thị Thủy", "Lê Thị Thư", "u before ư"),
    ("Lê Văn Tú", "Lê Văn Tư", "u before ư, whatever the tone"),
    ("Lê Thị Thu", "Lê Thị Thủy", "a given name that is a prefix comes first"),
    ("Nguyễn Hà", "Nguyễn Hả", "huyền before hỏi"),
    ("Nguyễn Hả", "Nguyễn Hã", "hỏi before ngã"),
    ("Nguyễn Hã", "Nguyễn Há", "ngã before sắc"),
    ("Nguyễn Há", "Nguyễn Hạ", "sắc before nặng"),
    ("Nguyễn Ha", "Nguyễn Hà", "ngang before huyền"),
    ("Nguyễn Hạ", "Nguyễn Hải", "tones only decide between equal base letters"),
    ("Trần Bình", "Lê Văn Bình", "equal given names: no middle name before a middle name"),
    ("Lê Bá Bình", "Đỗ Văn Bình", "equal given names: by middle name (Bá before Văn)"),
    ("Đỗ Văn Bình", "Nguyễn Văn Bình", "equal given and middle names: by family name (Đ before N)"),
    ("Dương Văn Bình", "Đỗ Văn Bình", "family names: d before đ"),
    ("Lê Thị Hà", "Nguyễn Thị Thu Hà", "middle names: Thị before Thị Thu"),
    ("Nguyễn Thị Thu Hà", "Lê Thị Thúy Hà", "middle names word by word: Thu before Thúy"),
    (
        "Phạm Ánh",
        "Nguyễn Văn Ánh",
        "the given name is compared whole (base then tone) before the middle name",
    ),
    ("Nguyễn Văn Anh", "Lê Bá Ánh", "Anh before Ánh even though Bá comes before Văn"),
    ("Lê Thị Ê", "Nguyễn Fiona", "foreign letters where the Latin alphabet puts them: ê before f"),
    ("Nguyễn Fiona", "Lê Thị Giang", "f before g"),
    ("Lê Văn Hiếu", "Smith John", "i before j"),
    ("Smith John", "Lê Văn Khánh", "j before k"),
    ("Lê Văn Vũ", "Bùi Wendy", "v before w"),
    ("Bùi Wendy", "Lê Văn Xuân", "w before x"),
    ("Lê Thị Yến", "Bùi Zoe", "z after y"),
]


@pytest.mark.parametrize(("first", "second", "reason"), BEFORE, ids=[f"{a} < {b}" for a, b, _ in BEFORE])
def test_comes_before(first, second, reason):
    assert vietnamese_sort_key(first) < vietnamese_sort_key(second), reason


# A class list written out by hand in the order a Vietnamese teacher expects.
CLASS_LIST = [
    "Trần An",
    "Lê Bá An",
    "Đỗ Văn An",
    "Nguyễn Văn An",
    "Phạm Thị Anh",
    "Hoàng Thị Ánh",
    "Vũ Ân",
    "Trần Quốc Bảo",
    "Lê Văn Dũng",
    "Nguyễn Thùy Dương",
    "Phan Minh Đức",
    "Lê Thị Hà",
    "Nguyễn Thị Thu Hà",
    "Trịnh Minh Hải",
    "Đặng Gia Huy",  # Huy before Hương: after h come u and ư, and u comes first
    "Ngô Thanh Hương",
    "Lý Tuấn Kiệt",
    "Đinh Khánh Linh",
    "Bùi Thị Thu",
    "Lê Thị Thủy",
    "Mai Anh Thư",
    "Võ Thanh Tú",
    "Hồ Thị Tư",
    "Đoàn Hải Yến",
]


def test_a_class_list_sorts_in_vietnamese_order():
    shuffled = CLASS_LIST[:]
    random.Random(11).shuffle(shuffled)
    assert sorted(shuffled, key=vietnamese_sort_key) == CLASS_LIST


@pytest.mark.parametrize(
    "variant",
    [
        "NGUYỄN VĂN ÁNH",  # upper case
        "nguyễn văn ánh",  # lower case
        "  Nguyễn   Văn  Ánh ",  # extra spaces
        unicodedata.normalize("NFD", "Nguyễn Văn Ánh"),  # decomposed (macOS, some keyboards)
        "Nguye\u0303\u0302n Va\u0306n A\u0301nh",  # marks typed in the other order
    ],
)
def test_the_same_name_typed_differently_has_the_same_key(variant):
    assert vietnamese_sort_key(variant) == vietnamese_sort_key("Nguyễn Văn Ánh")


def test_the_key_is_short_plain_ascii():
    longest = " ".join(["Nguyễn"] * 21 + ["Ánh"])[:150]
    key = vietnamese_sort_key(longest)
    assert key.isascii() and 0 < len(key) <= MAX_LENGTH
    assert vietnamese_sort_key("") == vietnamese_sort_key("   ") == ""
