"""The class-name range syntax of bulk creation and the imports (students.class_names), by table."""

import pytest

from students.class_names import ClassNameError, leading_grade, parse_class_names


@pytest.mark.parametrize(
    "text, names",
    [
        ("6A1–6A8", ["6A1", "6A2", "6A3", "6A4", "6A5", "6A6", "6A7", "6A8"]),
        ("6A1-6A3", ["6A1", "6A2", "6A3"]),
        ("6a1 - 6a3", ["6A1", "6A2", "6A3"]),
        ("6A1—6A2", ["6A1", "6A2"]),
        ("6A1", ["6A1"]),
        ("6A9-6A11", ["6A9", "6A10", "6A11"]),
        ("6A01-6A03", ["6A01", "6A02", "6A03"]),
        ("10CB1-10CB2", ["10CB1", "10CB2"]),
        ("6/1-6/3", ["6/1", "6/2", "6/3"]),
        ("6A1-6A2, 7B1; 8C", ["6A1", "6A2", "7B1", "8C"]),
        ("6A1, 6A1-6A2", ["6A1", "6A2"]),
        ("6Đ1-6Đ2", ["6Đ1", "6Đ2"]),
    ],
)
def test_parse_class_names(text, names):
    assert parse_class_names(text) == names


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "Nhập tên lớp"),
        (" , ", "Nhập tên lớp"),
        ("A1", "không phải tên lớp"),
        ("61", "không phải tên lớp"),
        ("6A1-7A3", "cùng khối và cùng chữ"),
        ("6A1-6B3", "cùng khối và cùng chữ"),
        ("6A5-6A1", "lớp cuối đứng trước lớp đầu"),
        ("6A-6C", "phải kết thúc bằng số thứ tự"),
        ("6A1-", "thiếu lớp đầu hoặc lớp cuối"),
        ("6A1-6A2-6A3", "nhiều hơn một dấu gạch nối"),
        ("6A1-6A99", "tối đa 60 lớp"),
        ("6ABCDEFGHIJKLMNOPQRSTU1", "dài quá 20 ký tự"),
    ],
)
def test_parse_class_names_refuses(text, reason):
    with pytest.raises(ClassNameError) as error:
        parse_class_names(text)
    assert reason in str(error.value)


@pytest.mark.parametrize(
    "name, grade", [("6A1", 6), ("10CB2", 10), ("12A", 12), (" 7/2", 7), ("A1", None), ("", None)]
)
def test_leading_grade(name, grade):
    assert leading_grade(name) == grade
