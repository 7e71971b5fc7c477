"""Vietnamese text helpers with no Django import."""

import unicodedata


def nfc(text: str) -> str:
    """NFC and single spaces: names typed on different keyboards compare equal."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def fold(text: str) -> str:
    """Accent-folded, lower-case form for search: "Nguyễn Văn Đức" → "nguyen van duc".

    pgserver has no `unaccent` extension, so search uses a column kept in this form (ARCHITECTURE.md)."""
    decomposed = unicodedata.normalize("NFD", nfc(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D").lower()


def search_fold(text: str) -> str:
    """fold() with hyphens read as spaces, for searches over names and slugs alike: "Nguyễn-Du",
    "nguyen  du" and the code "thcs-nguyen-du" all contain "nguyen du"."""
    return " ".join(fold(text).replace("-", " ").split())


def decimal_percent(rate: float) -> str:
    """97.46… → "97,5%": one decimal, the Vietnamese decimal comma."""
    return f"{rate:.1f}%".replace(".", ",")
