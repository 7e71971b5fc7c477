"""The order of a Vietnamese class list, as a plain ASCII key (no Django import).

A class list sorts by given name (the last word), then the middle names, then the family name (the first
word). Each name compares on its base letters first, in the Vietnamese alphabet, a ă â b c d đ e ê g h i k l m
n o ô ơ p q r s t u ư v x y (f, j, w, z of foreign names sit where the Latin alphabet puts them), and
only when the base letters are equal on its tones: ngang < huyền < hỏi < ngã < sắc < nặng.
So An < Anh < Ánh < Ân < Bình.

`vietnamese_sort_key` turns a name into a string that sorts that way by code point (Python) or byte (a
PostgreSQL column with collation "C"), so it can be stored and indexed. Layout, per word: base letters, then,
if the word carries a tone, TONES and one digit per letter up to its last tone. Fields: given name, FIELD,
middle names joined by WORD, FIELD, family name. The separators sort below everything they can meet:
end of key < FIELD < WORD < TONES < base letters, so a shorter word, tone or field comes first.
"""

import unicodedata

FIELD = "!"
WORD = "+"
TONES = "."

# Digits, then letters; each maps to one ASCII character from "A" on (code point order = this order).
ALPHABET = [*"0123456789", *"aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"]
BASE = {letter: chr(ord("A") + index) for index, letter in enumerate(ALPHABET)}

# Combining marks (after NFD) that make a letter of its own: ă â ê ô ơ ư.
MODIFIED = {
    "\u0306": {"a": "ă"},  # breve
    "\u0302": {"a": "â", "e": "ê", "o": "ô"},  # circumflex
    "\u031b": {"o": "ơ", "u": "ư"},  # horn
}
# The five tone marks, in class-list order after ngang (no mark, 0).
TONE = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng

# Room for the longest name (150 characters): at most two characters per letter and one separator per word.
MAX_LENGTH = 320


def _word(word: str) -> str:
    """One word, already lower case and decomposed (NFD)."""
    letters: list[str] = []
    tones: list[int] = []
    for ch in word:
        if ch in BASE:
            letters.append(ch)
            tones.append(0)
        elif letters and ch in MODIFIED:
            letters[-1] = MODIFIED[ch].get(letters[-1], letters[-1])
        elif letters and ch in TONE:
            tones[-1] = TONE[ch]
        # Anything else (hyphens, apostrophes, other marks and scripts) does not take part in the order.
    key = "".join(BASE[letter] for letter in letters)
    while tones and not tones[-1]:
        tones.pop()
    return key + (TONES + "".join(map(str, tones)) if tones else "")


def vietnamese_sort_key(full_name: str) -> str:
    """'Nguyễn Văn Ánh' → given 'Ánh', middle 'Văn', family 'Nguyễn', encoded in that order (see above)."""
    words = [
        key for key in map(_word, unicodedata.normalize("NFD", (full_name or "").lower()).split()) if key
    ]
    if not words:
        return ""
    given, middle, family = words[-1], words[1:-1], words[0] if len(words) > 1 else ""
    return (given + FIELD + WORD.join(middle) + FIELD + family)[:MAX_LENGTH]
