"""The education sector database's spreadsheet layouts (CSDL ngành, csdl.moet.gov.vn and the provinces'
systems), as far as public documents show them: column headers, value wording, date format. No Django here.

What is known and from where (docs/integrations.md, "Sector database exchange", keeps the list):
- The sector database's student list (its "Học sinh → Xuất Excel" file, C1-HocSinh; Hồ Chí Minh City's
  class lists) heads its columns "STT", "Mã lớp", "Mã học sinh" or "Mã định danh Bộ GD&ĐT" (the sector
  identifier, 10 digits in the published examples), "Họ tên", "Ngày sinh", "Giới tính", "Dân tộc",
  "Trạng thái HS", "Số định danh cá nhân" (the 12-digit personal number, a column of its own), and keeps its
  data on the first sheet, "Sheet1", with its category sheets after it.
- Its import guide asks for dates as dd/mm/yyyy, "Giới tính" as "Nam" or "Nữ", and names from its own
  categories (DAN_TOC, QUOC_TICH, TINH…) for ethnicity, nationality and address: Schoolbook holds none of
  those, so the school completes them there.
- Its staff list (CSDL_GiaoVien, 72 columns) heads "Họ tên", "Email", "Trạng thái CB", "Vị trí việc làm",
  "Nhóm chức vụ", "Môn dạy"; a serving member's status reads "Đang làm việc".
- No public document describes a class list: its layout here is assumed, with the same headers where the
  student list has them ("Mã lớp")."""

from __future__ import annotations

import datetime as dt

SHEET = "Sheet1"
DATE_FORMAT = "%d/%m/%Y"

# Student status → "Trạng thái HS" (the sector's wording; only current students are exported).
STUDYING = "Đang học"
STAFF_SERVING = "Đang làm việc"
GENDER = {"male": "Nam", "female": "Nữ"}

# A school role → ("Vị trí việc làm", "Nhóm chức vụ"), most senior first: a principal who also teaches is
# exported as the principal. The wording is the sector's where its files show it (Giáo viên, Hiệu trưởng,
# Phó hiệu trưởng); "Kế toán" and "Nhân viên" are assumed.
ROLE_WORDING = [
    ("principal", "Cán bộ quản lý", "Hiệu trưởng"),
    ("vice_principal", "Cán bộ quản lý", "Phó hiệu trưởng"),
    ("teacher", "Giáo viên", "Giáo viên"),
    ("accountant", "Nhân viên", "Kế toán"),
    ("school_admin", "Nhân viên", "Nhân viên"),
]

# (header, width, text column): text columns hold identifiers, written and formatted as text so that Excel
# keeps their leading zeros and all their digits.
STUDENT_COLUMNS = [
    ("STT", 6, False),
    ("Mã lớp", 10, True),
    ("Mã định danh Bộ GD&ĐT", 22, True),
    ("Họ tên", 28, False),
    ("Ngày sinh", 12, True),
    ("Giới tính", 10, False),
    ("Dân tộc", 12, False),
    ("Quốc tịch", 12, False),
    ("Số định danh cá nhân", 18, True),
    ("Trạng thái HS", 14, False),
    ("Khối học", 10, False),
]
CLASS_COLUMNS = [
    ("STT", 6, False),
    ("Mã lớp", 10, True),
    ("Khối học", 10, False),
    ("Năm học", 12, True),
    ("Giáo viên chủ nhiệm", 28, False),
    ("Số học sinh", 12, False),
]
STAFF_COLUMNS = [
    ("STT", 6, False),
    ("Họ tên", 28, False),
    ("Số điện thoại", 14, True),
    ("Email", 28, False),
    ("Trạng thái CB", 16, False),
    ("Vị trí việc làm", 18, False),
    ("Nhóm chức vụ", 18, False),
    ("Môn dạy", 30, False),
]


def date_text(value: dt.date | None) -> str:
    return value.strftime(DATE_FORMAT) if value else ""


def grade_text(number: int) -> str:
    return f"Khối {number}"


def role_wording(roles: list[str]) -> tuple[str, str]:
    """("Vị trí việc làm", "Nhóm chức vụ") of the most senior of `roles`."""
    for role, position, group in ROLE_WORDING:
        if role in roles:
            return position, group
    return "", ""
