"""The figures of each kind of report: their keys in order and how people read them. Pure. A school's
submission stores {key: integer}; statistics have keys per grade ("grade_6_students"), whatever grades the
school teaches."""

import re

from django.utils.translation import gettext_lazy as _

LABELS = {
    "classes": _("Số lớp"),
    "students": _("Số học sinh"),
    "students_female": _("Học sinh nữ"),
    "staff": _("Cán bộ, giáo viên, nhân viên"),
    "teachers": _("Giáo viên"),
    "managers": _("Cán bộ quản lý"),
    "school_days": _("Số ngày có điểm danh"),
    "marks": _("Lượt điểm danh"),
    "present": _("Có mặt"),
    "late": _("Đi muộn"),
    "absent_excused": _("Vắng có phép"),
    "absent_unexcused": _("Vắng không phép"),
    "invoices": _("Số phiếu thu"),
    "due": _("Phải thu (đồng)"),
    "paid": _("Đã thu (đồng)"),
    "paid_in_full": _("Phiếu đã nộp đủ"),
}
GRADE_KEY = re.compile(r"^grade_(\d{1,2})_(classes|students|female)$")
GRADE_LABELS = {"classes": _("Khối %(grade)s: số lớp"), "students": _("Khối %(grade)s: học sinh"),
                "female": _("Khối %(grade)s: học sinh nữ")}  # fmt: skip
KEYS = {
    "statistics": ["classes", "students", "students_female", "staff", "teachers", "managers"],
    "attendance": ["school_days", "marks", "present", "late", "absent_excused", "absent_unexcused"],
    "fees": ["invoices", "due", "paid", "paid_in_full"],
    "file": [],
}


def label(key: str) -> str:
    found = GRADE_KEY.match(key)
    if found:
        return str(GRADE_LABELS[found.group(2)]) % {"grade": found.group(1)}
    return str(LABELS.get(key, key))


def known(key: str, kind: str) -> bool:
    return key in KEYS[kind] or (kind == "statistics" and GRADE_KEY.match(key) is not None)


def ordered(keys, kind: str) -> list[str]:
    """The kind's own keys first, in their order, then the grades' by grade number."""
    keys = set(keys)
    fixed = [key for key in KEYS[kind] if key in keys]
    parts = {"classes": 0, "students": 1, "female": 2}

    def position(key: str) -> tuple[int, int]:
        grade, part = GRADE_KEY.match(key).groups()
        return int(grade), parts[part]

    return fixed + sorted((key for key in keys if GRADE_KEY.match(key)), key=position)
