"""What the entry grids (secondary scores, primary ratings and qualities) share with static/js/gradebook.js:
the texts it shows, the refusals of the save endpoints, reading the cells of a save request and the JSON
error it gets back."""

import json

from django.utils.translation import gettext


def grid_messages() -> dict:
    """The texts static/js/gradebook.js shows, in the user's language (rendered with json_script as
    "gradebook-messages" by every grid)."""
    return {
        "saving": gettext("Đang lưu…"),
        "saved": gettext("Đã lưu."),
        "invalid": gettext("Có ô chưa hợp lệ, chưa được lưu: xem lý do bên cạnh ô."),
        "conflict": gettext("Có ô vừa được người khác sửa: hãy chọn giữ giá trị nào."),
        "offline": gettext("Mất kết nối: các ô chưa lưu sẽ được gửi lại ở lần sửa tiếp theo."),
        "failed": gettext("Không lưu được (lỗi máy chủ); các ô vẫn giữ giá trị bạn đã nhập."),
        "useMine": gettext("Dùng giá trị của tôi"),
        "takeTheirs": gettext("Lấy giá trị mới"),
        "noHistory": gettext("Ô này chưa được lưu lần nào nên chưa có lịch sử."),
        "chooseCell": gettext("Hãy chọn một ô trong bảng trước."),
        "loading": gettext("Đang tải…"),
    }


# The refusals of the save endpoints, shown by static/js/gradebook.js (functions: translated per request).


def score_request_invalid() -> str:
    """The secondary grid's body is not {"cells": [...]}."""
    return gettext('Yêu cầu không hợp lệ: cần JSON dạng {"cells": [{"student_id", "column", "text", …}]}.')


def primary_request_invalid() -> str:
    """A primary grid's body is not {"cells": [...]}."""
    return gettext("Dữ liệu gửi lên không đúng định dạng.")


def ratings_refused() -> str:
    return gettext("Chỉ giáo viên dạy môn này ở lớp này mới được nhập đánh giá.")


def qualities_refused() -> str:
    return gettext("Chỉ giáo viên chủ nhiệm của lớp mới được đánh giá phẩm chất, năng lực.")


def cells_of(body: bytes) -> list[dict] | None:
    """The cells of a grid save ({"cells": [{student_id, column, text, version}, …]}), or None when the body
    is not that shape."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        return None
    return cells
