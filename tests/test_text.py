import pytest

from schoolbook.text import fold, nfc


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
