"""Leave requests: a guardian asks for a child, the homeroom teacher decides, a long leave goes on to the
principal, an approval marks the sessions already taken P, the family is told each decision; the errors a
parent can make, the doctor's note, and who may see what (404 for everyone else)."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import Role
from attendance.leave.selectors import leave_waiting_count
from attendance.leave.services import LeaveError, leave_cancel, leave_decide, leave_request
from attendance.marks.selectors import approved_leave_student_ids
from attendance.models import AttendanceMark, AttendanceSettings, LeaveRequest, RollCall
from attendance.roll_call.services import roll_call_save
from messaging.models import Message
from schoolbook.audit.models import AuditEvent
from students.models import GradeLevel, SchoolClass, SchoolYear, StaffMember
from tests.factories import guardian_link, parent_make, staff_make, student_enrol

SITE = "https://sobl.example.vn"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
GIF = b"GIF89a" + b"\x00" * 40
BASE = "/s/test-a/attendance/leave"
TODAY = timezone.localdate


def build(world):
    """School A (inside its schema): 6A1 (homeroom: Vũ Giáo Viên) with An and Bình, 6A2 (homeroom: Giáo Viên
    6A2) with Chi. An's mother has an account and also a son Hải who left 6A1 last week; An's father has
    turned notifications off. Chi's mother is another parent with an account. Everyone was enrolled a month
    ago, so past roll calls can be taken."""
    year = SchoolYear.objects.get(is_current=True)
    grade = GradeLevel.objects.get(number=6)
    n = SimpleNamespace(world=world)
    n.teacher = StaffMember.objects.get(user=world.teacher_a)
    n.principal = StaffMember.objects.get(user=world.principal_a)
    n.admin = StaffMember.objects.get(user=world.admin_a)
    n.other_teacher = staff_make(world, "0915000001", "Giáo Viên 6A2")
    n.a1 = SchoolClass.objects.create(name="6A1", grade=grade, year=year, homeroom_teacher=n.teacher)
    n.a2 = SchoolClass.objects.create(name="6A2", grade=grade, year=year, homeroom_teacher=n.other_teacher)
    n.an = student_enrol("LV-AN", n.a1, "Nguyễn Văn An")
    n.binh = student_enrol("LV-BINH", n.a1, "Trần Văn Bình")
    n.chi = student_enrol("LV-CHI", n.a2, "Lê Thị Chi")
    n.hai = student_enrol("LV-HAI", n.a1, "Nguyễn Văn Hải")
    month_ago = TODAY() - datetime.timedelta(days=30)
    for student in (n.an, n.binh, n.chi, n.hai):
        student.enrolments.update(starts_on=month_ago)
    n.hai.enrolments.update(ends_on=TODAY() - datetime.timedelta(days=7))
    n.mother_user = parent_make(world, n.an, "0915000010", "Nguyễn Thị Mẹ")
    n.mother = n.an.guardian_links.get().guardian
    guardian_link(n.hai, "0915000010")
    n.father = guardian_link(n.an, "0915000011", full_name="Nguyễn Văn Bố", notifications=False)
    n.chi_parent_user = parent_make(world, n.chi, "0915000020", "Lê Văn Phụ Huynh")
    n.chi_parent = n.chi.guardian_links.get().guardian
    return n


@pytest.fixture
def lw(world, settings, tmp_path):
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path
    settings.GATEWAYS = {}  # no Zalo, no push: plans are SMS and e-mail, whatever the environment says
    with schema_context(world.school_a.schema_name):
        yield build(world)


def ask(n, student=None, *, start=0, days=1, sessions="all_day", reason="Con bị sốt.", guardian=None, **kw):
    """A request `start` days from today for `days` days, by An's mother unless told."""
    first = TODAY() + datetime.timedelta(days=start)
    return leave_request(
        actor=n.mother_user,
        guardian=guardian or n.mother,
        student=student or n.an,
        start_date=first,
        end_date=first + datetime.timedelta(days=days - 1),
        sessions=sessions,
        reason=reason,
        **kw,
    )


def leave_messages(leave):
    return list(Message.objects.filter(purpose="leave", reference=f"leave:{leave.pk}").order_by("pk"))


def actions(leave):
    return list(
        AuditEvent.objects.filter(object_type="attendance.leaverequest", object_id=str(leave.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def reads(captured) -> int:
    """Queries other than switching schemas (a SET whose need depends on the previous request)."""
    return sum(not q["sql"].startswith("SET search_path") for q in captured.captured_queries)


def day(offset: int) -> str:
    return (TODAY() + datetime.timedelta(days=offset)).strftime("%d/%m/%Y")


# --- the workflow ---------------------------------------------------------------------------------------


def test_short_leave_from_the_parent_page_to_the_teachers_approval(lw, client):
    client.force_login(lw.mother_user)
    form = client.get(f"{BASE}/new/?student={lw.an.pk}").content.decode()
    assert "Xin nghỉ học" in form and "Nguyễn Văn An – lớp 6A1" in form and "Cả ngày" in form
    start, end = TODAY() + datetime.timedelta(days=1), TODAY() + datetime.timedelta(days=2)
    response = client.post(f"{BASE}/new/", {
        "student": lw.an.pk, "start_date": start.isoformat(), "end_date": end.isoformat(),
        "sessions": "morning", "reason": "Khám răng định kỳ.",
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"{BASE}/mine/"
    leave = LeaveRequest.objects.get()
    assert (leave.student, leave.requested_by, leave.status) == (lw.an, lw.mother_user, "pending")
    assert (leave.start_date, leave.end_date, leave.sessions) == (start, end, "morning")
    mine = client.get(f"{BASE}/mine/").content.decode()
    assert "Đã gửi đơn xin nghỉ." in mine and "Chờ giáo viên chủ nhiệm duyệt" in mine and "Hủy đơn" in mine

    client.force_login(lw.world.teacher_a)
    waiting = client.get(f"{BASE}/").content.decode()
    assert "Nguyễn Văn An" in waiting and "Khám răng định kỳ." in waiting
    detail = client.get(f"{BASE}/{leave.pk}/").content.decode()
    assert "Duyệt" in detail and "Không duyệt" in detail
    response = client.post(f"{BASE}/{leave.pk}/decide/", {"action": "approve", "comment": "Cô đã biết."})
    assert response.status_code == 302 and response["Location"] == f"{BASE}/"
    leave.refresh_from_db()
    assert leave.status == "approved" and leave.decided_by == lw.teacher and leave.comment == "Cô đã biết."
    assert leave.teacher_decided_by == lw.teacher and leave.decided_at is not None
    assert "Không có đơn nào chờ bạn duyệt." in client.get(f"{BASE}/").content.decode()

    # The mother asked: she is told (the father turned notifications off), with the dates and the comment.
    [message] = leave_messages(leave)
    assert message.phone == "+84915000010"
    assert message.body == (
        f"Trường THCS Thử Nghiệm A: Đơn xin nghỉ của con Nguyễn Văn An từ {day(1)} đến {day(2)} "
        "(buổi sáng) đã được duyệt.\nÝ kiến của Vũ Giáo Viên: Cô đã biết."
    )
    assert message.link == f"{SITE}/s/test-a/attendance/leave/{leave.pk}/"
    assert actions(leave) == ["leave.request", "leave.approve"]
    client.force_login(lw.mother_user)
    mine = client.get(f"{BASE}/mine/").content.decode()
    assert "Đã duyệt" in mine and "Vũ Giáo Viên: Cô đã biết." in mine and "Hủy đơn" not in mine


def test_a_long_leave_goes_on_to_the_principal(lw, client):
    leave = ask(lw, start=1, days=4)  # longer than the default 3 days
    client.force_login(lw.world.teacher_a)
    detail = client.get(f"{BASE}/{leave.pk}/").content.decode()
    assert "Đơn nghỉ dài hơn 3 ngày" in detail
    client.post(f"{BASE}/{leave.pk}/decide/", {"action": "approve", "comment": "Đồng ý."})
    leave.refresh_from_db()
    assert leave.status == "pending_principal" and leave.teacher_decided_by == lw.teacher
    assert leave.teacher_comment == "Đồng ý." and leave.decided_by is None
    [forwarded] = leave_messages(leave)
    assert "Giáo viên chủ nhiệm đã đồng ý đơn xin nghỉ của con Nguyễn Văn An" in forwarded.body
    assert "đang chờ hiệu trưởng duyệt" in forwarded.body
    # The teacher has decided their part: a second decision is explained, not taken.
    response = client.post(
        f"{BASE}/{leave.pk}/decide/", {"action": "reject", "comment": "Đổi ý."}, follow=True
    )
    assert "không còn chờ bạn duyệt" in response.content.decode()
    assert LeaveRequest.objects.get(pk=leave.pk).status == "pending_principal"

    client.force_login(lw.world.principal_a)
    waiting = client.get(f"{BASE}/").content.decode()
    assert "Nguyễn Văn An" in waiting and "Chờ hiệu trưởng duyệt" in waiting
    detail = client.get(f"{BASE}/{leave.pk}/").content.decode()
    assert "Vũ Giáo Viên đồng ý: Đồng ý." in detail
    client.post(f"{BASE}/{leave.pk}/decide/", {"action": "approve", "comment": ""})
    leave.refresh_from_db()
    assert leave.status == "approved" and leave.decided_by == lw.principal
    _forwarded, approved = leave_messages(leave)
    assert approved.body == (
        f"Trường THCS Thử Nghiệm A: Đơn xin nghỉ của con Nguyễn Văn An từ {day(1)} đến {day(4)} "
        "(cả ngày) đã được duyệt."
    )
    assert actions(leave) == ["leave.request", "leave.approve", "leave.approve"]


def test_the_schools_setting_decides_what_is_long_and_the_principal_may_reject(lw):
    AttendanceSettings.objects.create(long_leave_days=1)
    leave = ask(lw, start=0, days=2)
    leave_decide(actor_staff=lw.teacher, leave=leave, approve=True)
    leave.refresh_from_db()
    assert leave.status == "pending_principal"
    with pytest.raises(LeaveError, match="Hãy ghi lý do không duyệt"):
        leave_decide(actor_staff=lw.principal, leave=leave, approve=False, comment="  ")
    leave_decide(
        actor_staff=lw.principal, leave=leave, approve=False, comment="Nghỉ quá dài, mời phụ huynh lên."
    )
    leave.refresh_from_db()
    assert leave.status == "rejected" and leave.comment == "Nghỉ quá dài, mời phụ huynh lên."
    rejected = leave_messages(leave)[-1]
    assert "không được duyệt" in rejected.body
    assert "Ý kiến của Hoàng Hiệu Trưởng: Nghỉ quá dài, mời phụ huynh lên." in rejected.body
    assert actions(leave) == ["leave.request", "leave.approve", "leave.reject"]
    assert approved_leave_student_ids([lw.an.pk], TODAY(), "morning") == set()


def test_a_principal_deciding_a_pending_request_decides_for_good(lw):
    leave = ask(lw, start=0, days=5)
    leave_decide(actor_staff=lw.admin, leave=leave, approve=True)
    leave.refresh_from_db()
    assert leave.status == "approved" and leave.decided_by == lw.admin


def test_a_teacher_rejects_with_a_reason_and_every_guardian_with_notifications_hears(lw):
    # Both parents receive notifications now; the requester is told once, not twice.
    lw.an.guardian_links.update(receives_notifications=True)
    leave = ask(lw, start=1)
    with pytest.raises(LeaveError, match="Hãy ghi lý do"):
        leave_decide(actor_staff=lw.teacher, leave=leave, approve=False)
    leave_decide(actor_staff=lw.teacher, leave=leave, approve=False, comment="Hôm đó con có bài kiểm tra.")
    messages = leave_messages(leave)
    assert sorted(m.phone for m in messages) == ["+84915000010", "+84915000011"]
    assert {m.body for m in messages} == {
        f"Trường THCS Thử Nghiệm A: Đơn xin nghỉ của con Nguyễn Văn An ngày {day(1)} (cả ngày) không được "
        "duyệt.\nÝ kiến của Vũ Giáo Viên: Hôm đó con có bài kiểm tra."
    }


def test_the_parent_cancels_a_waiting_request(lw, client):
    leave = ask(lw, start=1)
    client.force_login(lw.mother_user)
    response = client.post(f"{BASE}/{leave.pk}/cancel/", follow=True)
    assert "Đã hủy đơn xin nghỉ." in response.content.decode()
    leave.refresh_from_db()
    assert leave.status == "cancelled" and actions(leave) == ["leave.request", "leave.cancel"]
    assert leave_messages(leave) == []
    # A cancelled request no longer holds its days; a decided one cannot be cancelled.
    again = ask(lw, start=1)
    leave_decide(actor_staff=lw.teacher, leave=again, approve=True)
    response = client.post(f"{BASE}/{again.pk}/cancel/", follow=True)
    assert "đã được xử lý, không hủy được nữa" in response.content.decode()
    assert LeaveRequest.objects.get(pk=again.pk).status == "approved"
    with pytest.raises(LeaveError, match="không còn chờ bạn duyệt"):
        leave_decide(actor_staff=lw.teacher, leave=leave, approve=True)


# --- errors ---------------------------------------------------------------------------------------------


def test_reversed_past_and_blank_requests_are_refused(lw):
    with pytest.raises(LeaveError, match="Ngày kết thúc phải trùng hoặc sau ngày bắt đầu") as error:
        leave_request(
            actor=lw.mother_user, guardian=lw.mother, student=lw.an, sessions="all_day", reason="Ốm.",
            start_date=TODAY() + datetime.timedelta(days=2), end_date=TODAY() + datetime.timedelta(days=1),
        )  # fmt: skip
    assert error.value.field == "end_date"
    with pytest.raises(LeaveError, match=f"ngày đã qua: hãy chọn từ hôm nay \\({day(0)}\\)") as error:
        ask(lw, start=-1, days=2)
    assert error.value.field == "start_date"
    with pytest.raises(LeaveError, match="Hãy ghi lý do xin nghỉ"):
        ask(lw, reason="   ")
    assert ask(lw, start=0).status == "pending"  # today is allowed


def test_a_child_not_enrolled_then_cannot_be_asked_for(lw):
    with pytest.raises(
        LeaveError, match=f"Nguyễn Văn Hải không có tên trong lớp nào của trường vào ngày {day(0)}"
    ):
        ask(lw, lw.hai)
    with pytest.raises(LeaveError, match="không phải phụ huynh"):
        ask(lw, lw.chi)
    assert not LeaveRequest.objects.exists()


def test_overlapping_requests_are_refused_unless_the_sessions_differ(lw):
    held = ask(lw, start=2, days=3, sessions="morning")
    with pytest.raises(LeaveError, match=f"Con đã có đơn xin nghỉ từ {day(2)} đến {day(4)} \\(buổi sáng\\)"):
        ask(lw, start=4, days=2, sessions="morning")
    with pytest.raises(LeaveError, match="chờ giáo viên chủ nhiệm duyệt"):
        ask(lw, start=0, days=3, sessions="all_day")
    afternoon = ask(lw, start=3, sessions="afternoon")  # the other half of the day is free
    leave_decide(actor_staff=lw.teacher, leave=afternoon, approve=True)
    with pytest.raises(
        LeaveError, match=f"ngày {day(3)} \\(buổi chiều\\) trùng với thời gian này \\(đã duyệt\\)"
    ):
        ask(lw, start=3, sessions="afternoon")
    assert ask(lw, start=5, days=2).status == "pending"  # after the held days
    assert ask(lw, start=0, days=2).status == "pending"  # before them
    leave_decide(actor_staff=lw.teacher, leave=held, approve=False, comment="Không rõ lý do.")
    assert ask(lw, start=2, days=1, sessions="morning").status == "pending"  # a rejected one holds nothing


def test_the_form_shows_each_error_next_to_its_field(lw, client):
    client.force_login(lw.mother_user)
    yesterday = (TODAY() - datetime.timedelta(days=1)).isoformat()
    response = client.post(f"{BASE}/new/", {
        "student": lw.an.pk, "start_date": yesterday, "end_date": TODAY().isoformat(),
        "sessions": "all_day", "reason": "Ốm.",
    })  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and "Không thể xin nghỉ cho ngày đã qua" in page
    response = client.post(f"{BASE}/new/", {
        "student": lw.chi.pk, "start_date": TODAY().isoformat(), "end_date": TODAY().isoformat(),
        "sessions": "all_day", "reason": "Ốm.",
    })  # fmt: skip
    assert "Hãy chọn một lựa chọn hợp lệ" in response.content.decode()  # not her child: not a choice
    assert not LeaveRequest.objects.exists()


# --- marks ----------------------------------------------------------------------------------------------


def test_approval_marks_the_sessions_already_taken_and_nothing_else(lw):
    """An's leave covers two days ago to tomorrow (asked two days ago, approved today). Roll calls: two days
    ago morning (An K, Bình K), yesterday morning (An late: he came after all) and afternoon (An present),
    today morning (An K). Tomorrow has no roll call yet: the roll call pre-fills it."""
    leave = ask(lw, start=0, days=2)
    LeaveRequest.objects.filter(pk=leave.pk).update(start_date=TODAY() - datetime.timedelta(days=2))
    leave.refresh_from_db()
    two_days_ago, yesterday = TODAY() - datetime.timedelta(days=2), TODAY() - datetime.timedelta(days=1)
    save = lambda day, session, marks: roll_call_save(  # noqa: E731
        actor_staff=lw.principal, school_class=lw.a1, day=day, session=session, marks=marks
    )
    save(two_days_ago, "morning", {lw.an.pk: ("K", ""), lw.binh.pk: ("K", "")})
    save(yesterday, "morning", {lw.an.pk: ("late", "")})
    save(yesterday, "afternoon", {})
    save(TODAY(), "morning", {lw.an.pk: ("K", "")})
    leave_decide(actor_staff=lw.principal, leave=leave, approve=True)

    marks = {
        (m.roll_call.date, m.roll_call.session, m.student_id): (m.mark, m.source)
        for m in AttendanceMark.objects.select_related("roll_call")
    }
    assert marks == {
        (two_days_ago, "morning", lw.an.pk): ("P", "leave"),
        (two_days_ago, "morning", lw.binh.pk): ("K", "teacher"),  # not Bình's leave
        (yesterday, "morning", lw.an.pk): ("late", "teacher"),
        (yesterday, "afternoon", lw.an.pk): ("P", "leave"),
        (TODAY(), "morning", lw.an.pk): ("P", "leave"),
    }
    note = AttendanceMark.objects.get(roll_call__date=TODAY(), student=lw.an).note
    assert note == "Đơn xin nghỉ: Con bị sốt."
    assert AuditEvent.objects.get(action="leave.approve").after["marked"] == 3
    tomorrow = TODAY() + datetime.timedelta(days=1)
    assert approved_leave_student_ids([lw.an.pk, lw.binh.pk], tomorrow, "afternoon") == {lw.an.pk}
    assert not RollCall.objects.filter(date=tomorrow).exists()


def test_a_half_day_leave_marks_only_its_session(lw):
    roll_call_save(actor_staff=lw.teacher, school_class=lw.a1, day=TODAY(), session="morning", marks={})
    roll_call_save(actor_staff=lw.teacher, school_class=lw.a1, day=TODAY(), session="afternoon", marks={})
    leave = ask(lw, sessions="afternoon")
    leave_decide(actor_staff=lw.teacher, leave=leave, approve=True)
    assert list(AttendanceMark.objects.values_list("roll_call__session", "mark", "student")) == [
        ("afternoon", "P", lw.an.pk)
    ]


# --- the doctor's note ----------------------------------------------------------------------------------


def test_the_note_is_checked_by_its_bytes_and_size(lw, settings):
    leave = ask(lw, attachment=SimpleUploadedFile("giay-kham.JPG", PNG, content_type="image/jpeg"))
    # Named after what the bytes are (a PNG), never the uploader's ".JPG".
    assert leave.attachment.name.startswith("leave/school_test_a/") and leave.attachment.name.endswith(".png")
    assert leave.attachment.read() == PNG
    with pytest.raises(LeaveError, match=r"“anh\.gif” không phải tệp PDF, JPEG hoặc PNG") as error:
        ask(lw, start=1, attachment=SimpleUploadedFile("anh.gif", GIF, content_type="image/png"))
    assert error.value.field == "attachment"
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(LeaveError, match=r"“to\.pdf” quá lớn"):
        ask(lw, start=1, attachment=SimpleUploadedFile("to.pdf", PDF + b"\x00" * 1024))
    assert LeaveRequest.objects.count() == 1


def test_a_stored_note_never_keeps_the_uploaders_extension(lw):
    leave = ask(lw, attachment=SimpleUploadedFile("x.php.jpg", PNG))
    name = leave.attachment.name.rsplit("/", 1)[1]
    assert name.endswith(".png") and ".php" not in name and ".jpg" not in name


def test_the_note_is_served_only_to_who_may_see_the_request(lw, client):
    leave = ask(lw, attachment=SimpleUploadedFile("don.png", PNG))
    url = f"{BASE}/{leave.pk}/attachment/"
    for user in (lw.mother_user, lw.world.teacher_a, lw.world.principal_a):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png" and response["Cache-Control"] == "private, no-store"
    for user in (lw.chi_parent_user, lw.other_teacher.user, lw.world.staff_b):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(lw.mother_user)
    assert client.get(f"{BASE}/{ask(lw, start=1).pk}/attachment/").status_code == 404  # none attached


def test_the_form_uploads_a_pdf_note(lw, client):
    client.force_login(lw.mother_user)
    client.post(f"{BASE}/new/", {
        "student": lw.an.pk, "start_date": TODAY().isoformat(), "end_date": TODAY().isoformat(),
        "sessions": "all_day", "reason": "Đi khám.", "attachment": SimpleUploadedFile("kham.pdf", PDF),
    })  # fmt: skip
    leave = LeaveRequest.objects.get()
    response = client.get(f"{BASE}/{leave.pk}/attachment/")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="don-xin-nghi-{leave.pk}.pdf"'
    tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()
    page = client.post(f"{BASE}/new/", {
        "student": lw.an.pk, "start_date": tomorrow, "end_date": tomorrow, "sessions": "afternoon",
        "reason": "Đi khám.", "attachment": SimpleUploadedFile("a.gif", GIF),
    }).content.decode()  # fmt: skip
    assert "“a.gif” không phải tệp PDF, JPEG hoặc PNG." in page


# --- who sees what --------------------------------------------------------------------------------------


def test_outsiders_get_404_on_every_page(lw, client):
    leave = ask(lw, start=1)
    pages = [f"{BASE}/{leave.pk}/"]
    posts = [f"{BASE}/{leave.pk}/decide/", f"{BASE}/{leave.pk}/cancel/"]
    for user in (lw.chi_parent_user, lw.other_teacher.user, lw.world.staff_b):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 404, (user, url)
        for url in posts:
            assert client.post(url, {"action": "approve"}).status_code == 404, (user, url)
    assert LeaveRequest.objects.get(pk=leave.pk).status == "pending"
    client.force_login(lw.world.staff_b)
    for url in (f"{BASE}/", f"{BASE}/mine/", f"{BASE}/new/"):
        assert client.get(url).status_code == 404
    client.force_login(lw.chi_parent_user)  # a parent: not the staff's list
    assert client.get(f"{BASE}/").status_code == 404
    client.force_login(lw.world.teacher_a)  # staff but no child here: not the parents' pages
    assert client.get(f"{BASE}/mine/").status_code == 404 and client.get(f"{BASE}/new/").status_code == 404
    assert client.post(f"{BASE}/{leave.pk}/cancel/").status_code == 404  # the teacher cannot cancel it
    client.force_login(lw.mother_user)
    assert client.post(f"{BASE}/{leave.pk}/decide/", {"action": "approve"}).status_code == 404


def test_each_list_shows_only_what_its_reader_may_see(lw, client):
    ask(lw, start=1, reason="Đơn của An")
    ask(lw, lw.chi, start=1, guardian=lw.chi_parent, reason="Đơn của Chi")
    pages = {
        lw.world.teacher_a: ({"Đơn của An"}, {"Đơn của An"}),
        lw.other_teacher.user: ({"Đơn của Chi"}, {"Đơn của Chi"}),
        lw.world.principal_a: (set(), {"Đơn của An", "Đơn của Chi"}),  # nothing long waits for her
    }
    for user, (waiting, everything) in pages.items():
        client.force_login(user)
        for url, expected in ((f"{BASE}/", waiting), (f"{BASE}/?tab=all", everything)):
            page = client.get(url).content.decode()
            assert {r for r in ("Đơn của An", "Đơn của Chi") if r in page} == expected, (user, url)
    client.force_login(lw.chi_parent_user)
    page = client.get(f"{BASE}/mine/").content.decode()
    assert "Lê Thị Chi" in page and "Nguyễn Văn An" not in page
    counts = [leave_waiting_count(s) for s in (lw.teacher, lw.other_teacher, lw.principal, lw.admin)]
    assert counts == [1, 1, 0, 0]
    # A class without a homeroom teacher: its requests wait for the principal and the school admin.
    SchoolClass.objects.filter(pk=lw.a2.pk).update(homeroom_teacher=None)
    counts = [leave_waiting_count(s) for s in (lw.teacher, lw.other_teacher, lw.principal, lw.admin)]
    assert counts == [1, 0, 1, 1]
    client.force_login(lw.world.principal_a)
    assert "Đơn của Chi" in client.get(f"{BASE}/").content.decode()
    assert 'Chờ tôi duyệt <span class="badge">1</span>' in client.get(f"{BASE}/?tab=all").content.decode()


def test_filters_pagination_and_constant_queries(lw, client):
    def make(count, student, guardian, start):
        for n in range(count):
            leave = ask(lw, student, start=start + n, guardian=guardian, reason=f"Lý do {student.pk}-{n}")
            leave_decide(actor_staff=lw.principal, leave=leave, approve=n % 2 == 0, comment="Ghi chú.")

    def queries(user, url):
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return reads(captured)

    urls = [
        (lw.world.principal_a, f"{BASE}/?tab=all"),
        (lw.world.teacher_a, f"{BASE}/"),
        (lw.mother_user, f"{BASE}/mine/"),
    ]
    make(2, lw.an, lw.mother, 1)
    ask(lw, start=40)
    [queries(user, url) for user, url in urls]  # the first visits fill the per-user caches
    few = [queries(user, url) for user, url in urls]
    make(12, lw.an, lw.mother, 3)
    make(14, lw.chi, lw.chi_parent, 1)
    for n in range(3):
        ask(lw, start=41 + n)
    # The family's list is kept under a version of its rows (parent_leaves): built again once, in one query
    # whatever the number of requests, then read from the cache.
    assert [queries(user, url) for user, url in urls] == [few[0], few[1], few[2] + 1]
    assert queries(lw.mother_user, f"{BASE}/mine/") == few[2]

    client.force_login(lw.world.principal_a)
    page = client.get(f"{BASE}/?tab=all").content.decode()
    assert page.count("<tr>") == 26 and "Trang 1 / 2" in page  # 28 + 4 requests, 25 a page
    assert "page=2" in page and "tab=all" in page
    chi_only = client.get(f"{BASE}/?tab=all&school_class={lw.a2.pk}&page=1").content.decode()
    assert chi_only.count("Lê Thị Chi") == 14 and "Nguyễn Văn An" not in chi_only
    rejected = client.get(f"{BASE}/?tab=all&status=rejected&school_class={lw.a2.pk}").content.decode()
    assert rejected.count("<tr>") == 1 + 7
    first = (TODAY() + datetime.timedelta(days=40)).isoformat()
    later = client.get(f"{BASE}/?tab=all&date_from={first}").content.decode()
    assert later.count("<tr>") == 1 + 4
    none = client.get(f"{BASE}/?tab=all&status=cancelled").content.decode()
    assert "Không có đơn nào khớp bộ lọc." in none
    client.force_login(lw.world.teacher_a)  # a teacher's filter offers their class only
    page = client.get(f"{BASE}/?tab=all").content.decode()
    assert f'value="{lw.a1.pk}"' in page and f'value="{lw.a2.pk}"' not in page


def test_the_parents_list_follows_every_row_it_shows(lw, client):
    """Kept under a version of its rows (attendance.leave.selectors.parent_leaves): a decision, a class's new
    name, a teacher's new name, a new link to a child show at the next view, even written without signals."""
    leave = ask(lw, start=1)
    client.force_login(lw.mother_user)
    mine = f"{BASE}/mine/"
    assert "Chờ giáo viên chủ nhiệm duyệt" in client.get(mine).content.decode()
    leave_decide(actor_staff=lw.teacher, leave=leave, approve=False, comment="Không đủ lý do.")
    page = client.get(mine).content.decode()
    assert "Không đủ lý do." in page and "Vũ Giáo Viên" in page
    SchoolClass.objects.filter(pk=lw.a1.pk).update(name="6A9")
    StaffMember.objects.filter(pk=lw.teacher.pk).update(full_name="Vũ Giáo Viên Mới")
    page = client.get(mine).content.decode()
    assert "Lớp 6A9" in page and "Vũ Giáo Viên Mới" in page
    ask(lw, lw.chi, start=2, guardian=lw.chi_parent, reason="Đơn của Chi")
    assert "Lê Thị Chi" not in client.get(mine).content.decode()
    guardian_link(lw.chi, "0915000010")  # the mother becomes Chi's guardian too
    assert "Lê Thị Chi" in client.get(mine).content.decode()


def test_a_vice_principal_sees_everything_but_decides_nothing(lw, client):
    vice = staff_make(lw.world, "0915000030", "Phó Hiệu Trưởng", roles=(Role.VICE_PRINCIPAL,))
    leave = ask(lw, start=1, days=5)
    leave_decide(actor_staff=lw.teacher, leave=leave, approve=True)
    client.force_login(vice.user)
    assert "Nguyễn Văn An" in client.get(f"{BASE}/?tab=all").content.decode()
    detail = client.get(f"{BASE}/{leave.pk}/").content.decode()
    assert "Nguyễn Văn An" in detail and "Không duyệt" not in detail
    assert client.post(f"{BASE}/{leave.pk}/decide/", {"action": "approve"}).status_code == 404


def test_cancel_by_another_guardian_of_the_child_is_allowed_but_not_by_others(lw):
    leave = ask(lw, start=1)
    with pytest.raises(LeaveError, match="không phải phụ huynh"):
        leave_cancel(actor=lw.chi_parent_user, guardian=lw.chi_parent, leave=leave)
    leave_cancel(actor=None, guardian=lw.father, leave=leave)
    assert LeaveRequest.objects.get(pk=leave.pk).status == "cancelled"
