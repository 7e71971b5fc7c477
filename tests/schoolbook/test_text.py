import pytest

from schoolbook.text import fold, nfc, search_fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("ĐẶNG THỊ ĐÀO", "dang thi dao"),
        ("  Trần   Quốc  Toản ", "tran quoc toan"),
        ("Nguye\u0302\u0303n", "nguyen"),  # decomposed input (NFD keyboards) folds the same
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_nfc_composes_and_collapses_spaces():
    assert nfc("Nguye\u0302\u0303n  Văn") == "Nguyễn Văn"


@pytest.mark.parametrize(
    "text",
    ["nguyen du", "Nguyễn-Du", "NGUYỄN  DU", " nguye\u0302\u0303n - du ", "nguyen--du"],
)
def test_search_fold_reads_hyphens_as_spaces(text):
    assert search_fold(text) == "nguyen du"
