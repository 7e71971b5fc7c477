"""Conversations about a child: the services (nothing half-saved, one notification per recipient, a retry
written once), the pages, who may see what (404 for everyone else), bad inputs, office hours, attachments,
reports and hiding.

The family: class 6A1 with its homeroom teacher (Lan) and its maths teacher (Toán), a child (An) with two
guardians who can sign in (mother, father), and another child of the same class with their own parent. The
world's teacher_a teaches none of them. The teachers have no office hours unless a test sets them, so no test
depends on the hour it runs at."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import ContactPoint
from conversations import rules
from conversations.models import Conversation, ConversationSettings, Message, MessageRead, OfficeHours, Report
from conversations.services import ConversationError, conversation_start, message_post
from messaging.models import Delivery
from messaging.models import Message as Outgoing
from schoolbook.audit.models import AuditEvent
from students.models import DayOff, SchoolClass, SchoolYear, StaffMember
from tests.conftest import signed_in, without_tokens
from tests.factories import assignment_make, parent_make, staff_make, student_enrol
from tests.fakes.push import new_vapid_keys

BASE = "/s/test-a/conversations"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture
def family(school, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.GATEWAYS = {
        **settings.GATEWAYS,
        "webpush": {**new_vapid_keys(), "vapid_subject": "mailto:a@b.vn"},
    }
    f = SimpleNamespace(world=school)
    f.lan = staff_make(school, "0917100001", "Nguyễn Thị Lan")
    f.toan = staff_make(school, "0917100002", "Trần Văn Toán")
    f.school_class = SchoolClass.objects.get(name="6A1")
    f.school_class.homeroom_teacher = f.lan
    f.school_class.save()
    assignment_make(f.toan, f.school_class, "toan")
    f.child = student_enrol("CV-001", f.school_class, "Phạm Minh An")
    f.mother = parent_make(school, f.child, "0917100003", "Lê Thị Mẹ")
    f.father = parent_make(school, f.child, "0917100004", "Phạm Văn Bố")
    f.other_child = student_enrol("CV-002", f.school_class, "Đỗ Bạn Khác")
    f.other_parent = parent_make(school, f.other_child, "0917100005", "Đỗ Phụ Huynh Khác")
    f.teacher_a = StaffMember.objects.get(user=school.teacher_a)
    for staff in (f.lan, f.toan, f.teacher_a):
        OfficeHours.objects.create(staff=staff, weekdays=[])
    return f


def start(client, child, data):
    return client.post(f"{BASE}/students/{child.pk}/new/", {"client_key": "k-1", **data})


def first_message(family, body="Cô ơi, con bị sốt, hôm nay con nghỉ ạ.", key="k-1") -> Message:
    return conversation_start(
        actor=family.mother, student=family.child, recipients=[family.lan.user_id], body=body, client_key=key
    )


def teacher_has_push(family) -> None:
    """The homeroom teacher turned push on: a parent's message to her makes a delivery."""
    ContactPoint.objects.create(
        user=family.lan.user,
        channel="push",
        gateway="webpush",
        address='{"endpoint": "https://fcm.googleapis.com/x"}',
    )


# --- slice 1: writing, notifying, reading --------------------------------------------------------------


def test_a_parent_writes_to_the_homeroom_teacher_who_is_notified_once_even_on_a_retry(family):
    teacher_has_push(family)
    client = signed_in(family.mother)
    response = start(client, family.child, {"recipients": family.lan.user_id, "body": "Cô ơi, con bị sốt."})
    conversation = Conversation.objects.get(student=family.child)
    assert response.status_code == 302 and response["Location"].endswith(f"/conversations/{conversation.pk}/")
    assert {p.user_id for p in conversation.participants.all()} == {family.mother.pk, family.lan.user_id}
    # The same form posted again (a double tap, a lost answer): the same message, not a second one.
    again = start(client, family.child, {"recipients": family.lan.user_id, "body": "Cô ơi, con bị sốt."})
    assert again.status_code == 302
    [message] = Message.objects.filter(conversation=conversation)
    [outgoing] = Outgoing.objects.filter(reference=f"conversation-message:{message.pk}")
    assert outgoing.user_id == family.lan.user_id and outgoing.channels == ["push"]
    assert "Lê Thị Mẹ nhắn về Phạm Minh An: Cô ơi, con bị sốt." in outgoing.body
    assert outgoing.link.endswith(f"/s/test-a/conversations/{conversation.pk}/")
    assert Delivery.objects.get(message=outgoing).not_before is None  # no office hours: at once
    assert AuditEvent.objects.filter(action="conversation.start", object_id=str(conversation.pk)).exists()


def test_writing_again_to_the_same_teacher_continues_the_conversation(family):
    first = first_message(family)
    second = first_message(family, body="Con đã đỡ sốt rồi ạ.", key="k-2")
    assert first.conversation_id == second.conversation_id
    assert Conversation.objects.filter(student=family.child).count() == 1


def test_sms_is_never_used_for_chats_unless_the_school_allows_it(family):
    message = conversation_start(
        actor=family.lan.user,
        student=family.child,
        recipients=[family.mother.pk],
        body="Chào chị.",
        client_key="a",
    )
    [outgoing] = Outgoing.objects.filter(reference=f"conversation-message:{message.pk}")
    assert "sms" not in outgoing.channels
    ConversationSettings.objects.create(sms_allowed=True)
    message = message_post(
        actor=family.lan.user, conversation=message.conversation, body="Nhắn lại.", client_key="b"
    )
    [outgoing] = Outgoing.objects.filter(reference=f"conversation-message:{message.pk}")
    assert outgoing.channels == ["sms"]  # the mother has no app subscription and no e-mail: SMS is all


def test_a_teacher_writes_to_all_the_guardians_or_to_one(family):
    client = signed_in(family.lan.user)
    inbox = client.get(f"{BASE}/").content.decode()  # her class's children, to pick one from
    assert f"/conversations/students/{family.child.pk}/new/" in inbox and "Lớp 6A1 (2 học sinh)" in inbox
    assert "6A2" not in inbox
    page = client.get(f"{BASE}/students/{family.child.pk}/new/")
    assert (
        page.status_code == 200
        and "Lê Thị Mẹ" in page.content.decode()
        and "Đỗ Phụ Huynh Khác" not in page.content.decode()
    )
    start(
        client,
        family.child,
        {"recipients": [family.mother.pk, family.father.pk], "body": "Mời họp phụ huynh."},
    )
    conversation = Conversation.objects.get(student=family.child)
    message = conversation.messages.get()
    assert Outgoing.objects.filter(reference=f"conversation-message:{message.pk}").count() == 2
    start(
        client,
        family.child,
        {"recipients": [family.father.pk], "body": "Anh gọi lại giúp em.", "client_key": "k-2"},
    )
    latest = Conversation.objects.filter(student=family.child).order_by("-pk").first()
    assert {p.user_id for p in latest.participants.all()} == {family.lan.user_id, family.father.pk}


def test_messages_newest_last_with_sender_time_and_read_receipts(family):
    message = first_message(family)
    conversation = message.conversation
    teacher = signed_in(family.lan.user)
    assert "Chưa đọc" in teacher.get(f"{BASE}/").content.decode()
    page = teacher.get(f"{BASE}/{conversation.pk}/").content.decode()
    assert "Cô ơi, con bị sốt" in page and "Lê Thị Mẹ" in page
    read = MessageRead.objects.get(message=message)
    assert read.participant.user_id == family.lan.user_id
    assert "Chưa đọc" not in teacher.get(f"{BASE}/").content.decode()
    teacher.post(
        f"{BASE}/{conversation.pk}/reply/", {"body": "Cô biết rồi, chúc con mau khỏe.", "client_key": "r"}
    )
    page = signed_in(family.mother).get(f"{BASE}/{conversation.pk}/").content.decode()
    assert page.index("Cô ơi, con bị sốt") < page.index("Cô biết rồi")  # newest last
    seen = timezone.localtime(read.read_at).strftime("%H:%M %d/%m")
    assert f"Đã xem {seen} · Nguyễn Thị Lan" in page
    # Opening the page again adds no receipt (each is the first time a participant saw the message).
    teacher.get(f"{BASE}/{conversation.pk}/")
    assert MessageRead.objects.filter(message=message).count() == 1


def test_the_inbox_puts_unread_first_and_pages(family, settings):
    from conversations import views

    settings_size = views.PAGE_SIZE
    views.PAGE_SIZE = 2
    try:
        for n, child in enumerate([family.child, family.other_child]):
            parent = family.mother if child == family.child else family.other_parent
            conversation_start(
                actor=parent,
                student=child,
                recipients=[family.lan.user_id],
                body=f"Tin {n}",
                client_key=f"{n}",
            )
        conversation_start(  # Toán's, not Lan's: not in her inbox
            actor=family.father,
            student=family.child,
            recipients=[family.toan.user_id],
            body="Thầy ơi",
            client_key="t",
        )
        conversation_start(
            actor=family.lan.user,
            student=family.child,
            recipients=[family.father.pk],
            body="Chào anh",
            client_key="l",
        )
        client = signed_in(family.lan.user)
        first = client.get(f"{BASE}/").content.decode()
        assert first.count("Chưa đọc") == 2 and "Trang 1 / 2" in first
    finally:
        views.PAGE_SIZE = settings_size


def test_the_other_guardian_reads_the_childs_conversation_and_joins_by_writing(family):
    conversation = first_message(family).conversation
    father = signed_in(family.father)
    assert "Cô ơi, con bị sốt" in father.get(f"{BASE}/{conversation.pk}/").content.decode()
    father.post(f"{BASE}/{conversation.pk}/reply/", {"body": "Bố cháu cũng xin phép cô.", "client_key": "f"})
    assert conversation.participants.filter(user=family.father).exists()
    message = conversation.messages.order_by("-pk").first()
    recipients = set(
        Outgoing.objects.filter(reference=f"conversation-message:{message.pk}").values_list(
            "user_id", flat=True
        )
    )
    assert recipients == {family.mother.pk, family.lan.user_id}


def test_the_parent_hub_links_to_the_childs_messages(family):
    home = signed_in(family.mother).get("/home/").content.decode()
    assert f"/s/test-a/conversations/students/{family.child.pk}/" in home and "Nhắn thầy cô" in home
    child_page = signed_in(family.mother).get(f"{BASE}/students/{family.child.pk}/").content.decode()
    assert (
        "Nguyễn Thị Lan" in child_page
        and "Giáo viên chủ nhiệm" in child_page
        and "Trần Văn Toán" in child_page
    )
    assert "Đặng" not in child_page and family.teacher_a.full_name not in child_page


def test_the_bottom_bars_messages_lead_a_parent_of_one_school_to_its_conversations(family):
    client = signed_in(family.mother)
    page = client.get(f"{BASE}/").content.decode()
    assert 'href="/messages/" aria-current="page"' in page  # the bar's "Tin nhắn", current here
    response = client.get("/messages/")
    assert response.status_code == 302 and response["Location"] == f"{BASE}/"


# --- who may see what ---------------------------------------------------------------------------------


def test_everyone_else_gets_404(family, world):
    conversation = first_message(family).conversation
    message = conversation.messages.get()
    paths = [
        f"{BASE}/{conversation.pk}/",
        f"{BASE}/{conversation.pk}/reply/",
        f"{BASE}/students/{family.child.pk}/",
        f"{BASE}/students/{family.child.pk}/new/",
        f"{BASE}/messages/{message.pk}/report/",
        f"{BASE}/messages/{message.pk}/file/",
    ]
    for user in (
        family.other_parent,
        family.teacher_a.user,
        family.toan.user,
        world.staff_b,
        world.outsider_parent,
        world.principal_a,
    ):
        client = signed_in(user)
        # Toán teaches the child (its page and "write to the guardians" are his), but is not in this one.
        for path in paths[:2] + paths[4:] if user == family.toan.user else paths:
            # A POST-only page answers a GET with 405, which shows nothing either.
            assert client.get(path).status_code in (404, 405), (user, path)
            assert client.post(path, {"body": "x", "client_key": "z", "reason": "x"}).status_code == 404, (
                user,
                path,
            )
    assert conversation.messages.count() == 1 and not Report.objects.exists()


def test_a_parent_cannot_write_to_another_parent_nor_to_a_teacher_who_does_not_teach_the_child(family):
    client = signed_in(family.mother)
    for to in (family.other_parent.pk, family.father.pk, family.teacher_a.user_id):
        response = start(client, family.child, {"recipients": to, "body": "Xin chào"})
        assert response.status_code == 200 and "field-error" in response.content.decode()
    with pytest.raises(ConversationError):
        conversation_start(
            actor=family.mother, student=family.child, recipients=[family.father.pk], body="x", client_key="x"
        )
    with pytest.raises(ConversationError):
        conversation_start(
            actor=family.teacher_a.user,
            student=family.child,
            recipients=[family.mother.pk],
            body="x",
            client_key="x",
        )
    assert not Conversation.objects.exists()


def test_the_board_reads_only_where_the_school_allows_it_and_is_told_so(family, world):
    conversation = first_message(family).conversation
    principal = signed_in(world.principal_a)
    assert principal.get(f"{BASE}/{conversation.pk}/").status_code == 404
    principal.post(f"{BASE}/settings/", {"principal_reads": "on"})
    assert ConversationSettings.current().principal_reads
    assert AuditEvent.objects.filter(action="conversation.settings").exists()
    page = principal.get(f"{BASE}/{conversation.pk}/").content.decode()
    assert "Cô ơi, con bị sốt" in page and "với tư cách ban giám hiệu" in page and 'id="reply"' not in page
    principal.post(f"{BASE}/{conversation.pk}/reply/", {"body": "x", "client_key": "p"})
    assert conversation.messages.count() == 1  # reads, does not write
    assert (
        "ban giám hiệu xem được"
        in signed_in(family.mother).get(f"{BASE}/students/{family.child.pk}/").content.decode()
    )
    assert not MessageRead.objects.exists()  # a reader who is not a participant leaves no receipt
    # but each reading is written down: the page, and the page again after the refused reply
    reads = AuditEvent.objects.filter(action="conversation.board_read")
    assert {(read.actor, read.object_id) for read in reads} == {(world.principal_a, str(conversation.pk))}
    assert reads.count() == 2 and reads[0].action_label == "đọc một cuộc trò chuyện theo quy định của trường"


# --- bad inputs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [("", "Hãy viết tin nhắn."), ("   \n ", "Hãy viết tin nhắn."), ("x" * 2001, "2000")],
)
def test_an_empty_or_too_long_message_is_refused_and_nothing_is_saved(family, body, error):
    response = start(signed_in(family.mother), family.child, {"recipients": family.lan.user_id, "body": body})
    assert response.status_code == 200 and error in response.content.decode()
    assert not Conversation.objects.exists() and not Outgoing.objects.filter(purpose="conversation").exists()
    with pytest.raises(ConversationError):
        first_message(family, body=body)
    assert not Conversation.objects.exists()


def test_a_script_in_a_message_is_shown_as_text(family):
    conversation = first_message(family, body='<script>alert("x")</script> <b>đậm</b>').conversation
    page = without_tokens(signed_in(family.lan.user).get(f"{BASE}/{conversation.pk}/"))
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>đậm</b>" not in page


# --- office hours ------------------------------------------------------------------------------------------


def test_a_day_off_is_not_an_opening(family):
    """The teacher works only tomorrow, and tomorrow the school is off: the parent's message waits a week."""
    teacher_has_push(family)
    now = timezone.localtime()
    tomorrow = now.date() + datetime.timedelta(days=1)
    year = SchoolYear.objects.get(is_current=True)
    DayOff.objects.create(year=year, name="Nghỉ lễ", first_day=tomorrow, last_day=tomorrow)
    OfficeHours.objects.filter(staff=family.lan).update(
        weekdays=[tomorrow.weekday()], opens=datetime.time(7), closes=datetime.time(17)
    )
    client = signed_in(family.mother)
    start(client, family.child, {"recipients": family.lan.user_id, "body": "Em nhắn trước kỳ nghỉ."})
    message = Message.objects.get()
    delivery = Delivery.objects.get(message__reference=f"conversation-message:{message.pk}")
    week_later = datetime.datetime.combine(tomorrow + datetime.timedelta(days=7), datetime.time(7))
    assert delivery.not_before == timezone.make_aware(week_later)


def test_outside_office_hours_a_parents_message_is_kept_at_once_and_notified_at_the_next_opening(family):
    teacher_has_push(family)
    now = timezone.localtime()
    tomorrow = (now.weekday() + 1) % 7
    OfficeHours.objects.filter(staff=family.lan).update(
        weekdays=[tomorrow], opens=datetime.time(7), closes=datetime.time(17)
    )
    expected = rules.next_opening(now, [tomorrow], datetime.time(7), datetime.time(17))
    client = signed_in(family.mother)
    form = client.get(f"{BASE}/students/{family.child.pk}/new/?to={family.lan.user_id}").content.decode()
    assert (
        "Thầy/cô Nguyễn Thị Lan sẽ trả lời trong giờ làm việc: " in form
        and "sẽ được báo cho thầy/cô lúc" in form
    )
    start(client, family.child, {"recipients": family.lan.user_id, "body": "Tối rồi, em nhắn trước."})
    message = Message.objects.get()  # kept at once
    delivery = Delivery.objects.get(message__reference=f"conversation-message:{message.pk}")
    assert delivery.status == "queued" and delivery.not_before == expected
    # The teacher's answer reaches the parent at once: office hours hold only what parents send.
    reply = message_post(
        actor=family.lan.user, conversation=message.conversation, body="Cô đã đọc.", client_key="r"
    )
    assert not Delivery.objects.filter(
        message__reference=f"conversation-message:{reply.pk}", not_before__isnull=False
    ).exists()


def test_a_teacher_sets_office_hours(family):
    client = signed_in(family.lan.user)
    assert client.get(f"{BASE}/office-hours/").status_code == 200
    response = client.post(
        f"{BASE}/office-hours/", {"weekdays": ["0", "2"], "opens": "13:30", "closes": "16:00"}
    )
    assert response.status_code == 302
    hours = OfficeHours.objects.get(staff=family.lan)
    assert hours.weekdays == [0, 2] and hours.opens == datetime.time(13, 30)
    bad = client.post(f"{BASE}/office-hours/", {"weekdays": ["0"], "opens": "16:00", "closes": "13:00"})
    assert "Giờ kết thúc phải sau giờ bắt đầu." in bad.content.decode()
    assert OfficeHours.objects.get(staff=family.lan).opens == datetime.time(13, 30)
    assert signed_in(family.mother).get(f"{BASE}/office-hours/").status_code == 404


# --- attachments, reports, hiding -----------------------------------------------------------------------


def test_a_photo_is_kept_and_served_only_to_those_who_may_read(family):
    client = signed_in(family.mother)
    start(
        client,
        family.child,
        {
            "recipients": family.lan.user_id,
            "body": "",
            "attachment": SimpleUploadedFile("don.png", PNG, "image/png"),
        },
    )
    message = Message.objects.get()
    assert message.attachment_type == "image/png" and message.attachment.name.endswith(".png")
    served = signed_in(family.lan.user).get(f"{BASE}/messages/{message.pk}/file/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert signed_in(family.other_parent).get(f"{BASE}/messages/{message.pk}/file/").status_code == 404


def test_a_file_that_is_not_a_photo_or_pdf_or_too_large_is_refused_and_nothing_saved(family, settings):
    client = signed_in(family.mother)
    fake = SimpleUploadedFile("anh.jpg", b"<html>not a photo</html>", "image/jpeg")
    response = start(
        client, family.child, {"recipients": family.lan.user_id, "body": "Ảnh", "attachment": fake}
    )
    assert "không phải tệp PDF, JPEG hoặc PNG" in response.content.decode()
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 20
    response = start(
        client,
        family.child,
        {"recipients": family.lan.user_id, "body": "Ảnh", "attachment": SimpleUploadedFile("a.png", PNG)},
    )
    assert "quá lớn" in response.content.decode()
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_a_30_mb_photo_is_refused_before_its_body_is_read(family):
    response = signed_in(family.mother).generic(
        "POST", f"{BASE}/students/{family.child.pk}/new/", b"",
        CONTENT_TYPE="multipart/form-data; boundary=x", CONTENT_LENGTH=str(30 * 2**20),
    )  # fmt: skip
    assert response.status_code == 413 and "quá lớn" in response.content.decode()
    assert not Conversation.objects.exists()


def test_a_participant_reports_a_message_and_a_manager_hides_it_audited(family, world):
    message = conversation_start(
        actor=family.lan.user,
        student=family.child,
        recipients=[family.mother.pk],
        body="Lời lẽ không hay",
        client_key="l",
    )
    mother = signed_in(family.mother)
    mother.post(f"{BASE}/messages/{message.pk}/report/", {"reason": "Không phù hợp"})
    assert Report.objects.get().reason == "Không phù hợp"
    assert signed_in(family.lan.user).get(f"{BASE}/reported/").status_code == 404  # not a manager
    principal = signed_in(world.principal_a)
    assert "Lời lẽ không hay" in principal.get(f"{BASE}/reported/").content.decode()
    assert principal.post(f"{BASE}/messages/{message.pk}/hide/", {"reason": ""}).status_code == 200
    principal.post(f"{BASE}/messages/{message.pk}/hide/", {"reason": "Ngôn từ không phù hợp"})
    message.refresh_from_db()
    assert message.hidden_at and message.hidden_reason == "Ngôn từ không phù hợp"
    event = AuditEvent.objects.get(action="conversation.hide")
    assert event.actor_id == world.principal_a.pk and event.after["reason"] == "Ngôn từ không phù hợp"
    page = mother.get(f"{BASE}/{message.conversation_id}/").content.decode()
    assert "Lời lẽ không hay" not in page and "Ngôn từ không phù hợp" in page


def test_a_message_nobody_reported_cannot_be_hidden(family, world):
    message = first_message(family)
    assert (
        signed_in(world.principal_a).post(f"{BASE}/messages/{message.pk}/hide/", {"reason": "x"}).status_code
        == 404
    )
    message.refresh_from_db()
    assert message.hidden_at is None
