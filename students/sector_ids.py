"""The student's identifier in the education sector's database (mã định danh, Thông tư 42/2021/TT-BGDĐT,
Article 10: given by the sector database at the first entry, never changed or removed, the same at every
level of schooling). Schools copy it from the sector database; Schoolbook never makes one. No Django here.

No public document gives its format (docs/decisions.md, "The sector identifier"). What is checked is what
every known form shares: digits only, from the 10 that the sector database's own student lists show (its
exports call the column "Mã định danh Bộ GD&ĐT" or "Mã học sinh"; the personal identification number, 12
digits, is a column of its own there) to the 20 characters Thông tư 26/2019 gave the identifier. That catches
letters, a pasted name, a cell cut short; the sector database's and the centre's own checks catch the rest."""

import re

MIN_DIGITS, MAX_DIGITS = 10, 20
# Excel keeps 15 significant digits of a number: a longer identifier typed into a number cell is damaged.
EXCEL_DIGITS = 15

_DIGITS = re.compile(rf"\d{{{MIN_DIGITS},{MAX_DIGITS}}}")


def gettext_noop(message: str) -> str:
    return message


# The error as an untranslated template: the callers translate it (forms, the import's report).
INVALID = gettext_noop("Mã định danh Bộ GD&ĐT chỉ gồm chữ số, từ 10 đến 20 số.")


def sector_id_normalise(value: str) -> str:
    """As people paste it: spaces (groups of digits, a trailing space) are dropped."""
    return "".join(str(value).split())


def sector_id_valid(value: str) -> bool:
    return bool(_DIGITS.fullmatch(value))
