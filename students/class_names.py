"""Class names as schools write them (no Django): "6A1", a range "6A1–6A8" or "6A1-6A8", or several of
either separated by commas ("6A1-6A4, 7B1"). The grade is the leading number ("10A2" is grade 10).

Errors carry an untranslated template (marked with gettext_noop) and its parameters; the caller
translates them (students.setup.forms), as schoolbook.phones does."""

from __future__ import annotations

import re
import unicodedata

MAX_CLASSES = 60  # more than any school opens in one go: a typo such as 6A1-6A80 is refused
MAX_LENGTH = 20  # SchoolClass.name

# grade, letters (or "/", as schools in the south write 6/1), number: 6A1, 10CB, 7A, 6/1
_NAME = re.compile(r"^(\d{1,2})([^\W\d_]+/?|/)(\d*)$")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"


def gettext_noop(message: str) -> str:
    return message


class ClassNameError(ValueError):
    def __init__(self, template: str, **params):
        super().__init__(template.format(**params))
        self.template, self.params = template, params


def clean_name(text: str) -> str:
    """NFC, no spaces, upper case: " 6a 1 " → "6A1"."""
    return "".join(unicodedata.normalize("NFC", text or "").split()).upper()


def leading_grade(name: str) -> int | None:
    """The grade a class name starts with ("6A1" → 6, "10CB" → 10); None without a leading number."""
    match = re.match(r"^(\d{1,2})", clean_name(name))
    return int(match.group(1)) if match else None


def _parse_one(name: str) -> tuple[int, str, str]:
    match = _NAME.match(name)
    if not match:
        raise ClassNameError(
            gettext_noop("“{name}” không phải tên lớp (ví dụ 6A1 hoặc 6/1: khối, chữ, số thứ tự)."), name=name
        )
    return int(match.group(1)), match.group(2), match.group(3)


def _expand(item: str) -> list[str]:
    for dash in _DASHES[1:]:
        item = item.replace(dash, "-")
    if item.count("-") > 1:
        raise ClassNameError(gettext_noop("“{item}” có nhiều hơn một dấu gạch nối."), item=item)
    if "-" not in item:
        _parse_one(item)
        return [item]
    first, last = item.split("-")
    if not first or not last:
        raise ClassNameError(gettext_noop("Dãy lớp “{item}” thiếu lớp đầu hoặc lớp cuối."), item=item)
    grade, letters, start = _parse_one(first)
    grade_2, letters_2, end = _parse_one(last)
    if not start or not end:
        raise ClassNameError(
            gettext_noop("Dãy lớp “{item}” phải kết thúc bằng số thứ tự (ví dụ 6A1–6A8)."), item=item
        )
    if (grade, letters) != (grade_2, letters_2):
        raise ClassNameError(
            gettext_noop("Hai đầu của dãy “{item}” phải cùng khối và cùng chữ (ví dụ 6A1–6A8)."), item=item
        )
    if int(end) < int(start):
        raise ClassNameError(gettext_noop("Dãy lớp “{item}”: lớp cuối đứng trước lớp đầu."), item=item)
    width = len(start) if start.startswith("0") else 0  # 6A01–6A10 keeps its zero padding
    return [f"{grade}{letters}{number:0{width}d}" for number in range(int(start), int(end) + 1)]


def parse_class_names(text: str) -> list[str]:
    """The class names written in `text`, in order, without repeats. Raises ClassNameError."""
    items = [clean_name(item) for item in re.split(r"[,;\n]", text or "")]
    items = [item for item in items if item]
    if not items:
        raise ClassNameError(gettext_noop("Nhập tên lớp, ví dụ 6A1–6A8."))
    names: list[str] = []
    for item in items:
        for name in _expand(item):
            if len(name) > MAX_LENGTH:
                raise ClassNameError(gettext_noop("Tên lớp “{name}” dài quá 20 ký tự."), name=name)
            if name not in names:
                names.append(name)
            if len(names) > MAX_CLASSES:
                raise ClassNameError(gettext_noop("Mỗi lần tạo tối đa {limit} lớp."), limit=MAX_CLASSES)
    return names
