"""What the roll call page posts: for each student shown, `mark-<id>` ("" present, P, K, late) and
`note-<id>`; `leave` lists the students the page showed with an approved leave; `version` is the roll
call's version when the page was opened ("" before the first save)."""

from django.utils.translation import gettext

from attendance.marks.services import AttendanceError
from attendance.models import Mark


def _ids(values) -> set[int]:
    try:
        return {int(value) for value in values}
    except ValueError:
        raise AttendanceError(gettext("Dữ liệu điểm danh không hợp lệ.")) from None


def roll_call_marks(post) -> dict[int, tuple[str | None, str]]:
    """The exceptions to save: every student with a mark, and a student shown on leave whom the teacher set
    to present (None: present on purpose, so the leave does not mark them P). Students left present are
    not sent, so a leave approved while the page was open still counts."""
    marks = {}
    on_leave = _ids(post.getlist("leave"))
    for student_id in _ids(post.getlist("student")):
        mark = post.get(f"mark-{student_id}", "")
        if mark and mark not in Mark.values:
            raise AttendanceError(gettext("Dữ liệu điểm danh không hợp lệ."))
        if mark or student_id in on_leave:
            marks[student_id] = (mark or None, post.get(f"note-{student_id}", ""))
    return marks


def roll_call_version(post) -> int | None:
    value = post.get("version", "")
    return int(value) if value.isdigit() else None
