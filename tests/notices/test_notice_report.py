"""A published notice's delivery report page (/s/<code>/notices/<pk>/report/): who may see it, the counts
and read receipts, the per-recipient list with reasons and its filter, "resend to failed" and the CSV.

The notice is written by the homeroom teacher of 6A1 for its guardians (no approval needed) and published
by notices.services, so the messages are the real ones (console SMS, queued); a few deliveries are then
put in the states a provider would have left them in."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ContactPoint, User
from accounts.roles import Role
from messaging.models import Delivery, Message
from notices.models import Audience, Notice, NoticeRecipient
from notices.services import NoticeData, notice_save
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment, Guardian, SchoolClass, StaffMember, Student, StudentGuardian
from students.services import staff_add
from tenants.services import affiliation_add
from tests.conftest import confirm_token

S = Delivery.Status


@dataclass
class Sent:
    notice: Notice
    url: str
    failed: Message  # Mẹ Bình's SMS failed (invalid number)
    delivered: Message  # Bố An's SMS delivered; he has an account and has read the notice
    queued: Message  # Bà Cường (no account) has read it too: matched by phone
    parent: User  # Bố An: a recipient, not allowed on the report
    other_teacher: User  # a teacher of the school who did not write it


def _family(school_class, k, student_name, guardian_name, *, with_account=False, email=""):
    student = Student.objects.create(
        student_code=f"HS9{k:03d}", full_name=student_name, date_of_birth=date(2014, 1, 1), gender="male"
    )
    Enrolment.objects.create(
        student=student, school_class=school_class, starts_on=school_class.year.starts_on
    )
    phone = f"+8491200{k:04d}"
    user = User.objects.create_user("0" + phone[3:], full_name=guardian_name) if with_account else None
    guardian = Guardian.objects.create(phone=phone, full_name=guardian_name, email=email, user=user)
    StudentGuardian.objects.create(student=student, guardian=guardian, relationship="father")
    return guardian


def _publish(teacher, school_class, title="Họp phụ huynh cuối kỳ"):
    data = NoticeData(
        title=title, body="Mời quý phụ huynh dự họp lúc 8 giờ Chủ nhật.", category="parent_meeting",
        audience=Audience.CLASSES, classes=[school_class],
    )  # fmt: skip
    notice = notice_save(actor_staff=teacher, data=data, submit=True)
    notice.refresh_from_db()
    assert notice.status == "published"
    return notice


def _message(notice, phone) -> Message:
    return Message.objects.get(reference=notice.reference, phone=phone)


def _set(message, status, error=""):
    sent_at = timezone.now() if status in (S.SENT, S.DELIVERED) else None
    message.deliveries.update(status=status, error=error, sent_at=sent_at)


@pytest.fixture
def sent(school, settings) -> Sent:
    settings.SITE_URL = "https://sll.example"
    world = school
    teacher = StaffMember.objects.get(user=world.teacher_a)
    class_6a1 = SchoolClass.objects.get(name="6A1")
    class_6a1.homeroom_teacher = teacher
    class_6a1.save()
    an = _family(class_6a1, 1, "Nguyễn Văn An", "Nguyễn Văn Bố", with_account=True)
    binh = _family(class_6a1, 2, "Trần Thị Bình", "Trần Thị Mẹ")
    cuong = _family(class_6a1, 3, "Lê Văn Cường", "Lê Thị Bà", email="ba.cuong@example.vn")
    affiliation_add(user=an.user, school=world.school_a, is_guardian=True)
    notice = _publish(teacher, class_6a1)
    failed, delivered, queued = (_message(notice, g.phone) for g in (binh, an, cuong))
    _set(failed, S.FAILED, "108 Phone number is invalid")
    _set(delivered, S.DELIVERED)
    NoticeRecipient.objects.filter(notice=notice, guardian__in=[an, cuong]).update(read_at=timezone.now())
    other = staff_add(
        actor=world.admin_a, school=world.school_a, phone="0900000014", full_name="Đinh Giáo Viên Khác",
        roles=[Role.TEACHER],
    )  # fmt: skip
    url = f"/s/test-a/notices/{notice.pk}/report/"
    return Sent(notice, url, failed, delivered, queued, an.user, other.user)


def test_author_and_managers_only(sent, client, world):
    for user in (world.teacher_a, world.principal_a, world.admin_a):
        client.force_login(user)
        assert client.get(sent.url).status_code == 200, user
    csv_url, resend_url = sent.url.replace("report/", "report.csv"), sent.url.replace("report/", "resend/")
    for user in (sent.other_teacher, world.staff_b, sent.parent, world.platform_admin):
        client.force_login(user)
        for url in (sent.url, csv_url):
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(resend_url).status_code == 404, user
    assert Delivery.objects.filter(message=sent.failed).count() == 1  # the refused resend changed nothing
    client.force_login(world.staff_b)
    assert client.get(f"/s/test-b/notices/{sent.notice.pk}/report/").status_code == 404  # not B's notice


def test_a_notice_not_yet_sent_has_no_report(sent, client, world):
    Notice.objects.filter(pk=sent.notice.pk).update(status="cancelled")
    client.force_login(world.principal_a)
    assert client.get(sent.url).status_code == 404


def test_the_page_shows_counts_reads_and_each_recipient_with_the_reason(sent, client, world):
    client.force_login(world.teacher_a)
    page = client.get(sent.url).content.decode()
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', page))
    assert figures == {
        "messages": "3", "reached": "1", "pending": "1", "failed": "1", "unreachable": "0", "read": "2 / 3",
    }  # fmt: skip
    sms_row = re.search(r'<tr data-channel="sms">(.*?)</tr>', page, re.S).group(1)
    # queued, sending, sent, delivered, failed, fallen back, total
    assert re.findall(r'<td class="num">(\d+)</td>', sms_row) == ["1", "0", "0", "1", "1", "0", "3"]
    rows = {int(pk): html for pk, html in re.findall(r'<tr data-message="(\d+)"[^>]*>(.*?)</tr>', page, re.S)}
    assert "108 Phone number is invalid" in rows[sent.failed.pk] and "SMS: Gửi lỗi" in rows[sent.failed.pk]
    assert "0912 000 002" in rows[sent.failed.pk]
    assert "0912 000 003<br>ba.cuong@example.vn" in rows[sent.queued.pk]
    assert "chưa đọc" in rows[sent.failed.pk]
    assert "chưa đọc" not in rows[sent.delivered.pk]  # read, matched by his account
    assert "chưa đọc" not in rows[sent.queued.pk]  # read, matched by phone (no account)
    assert "Gửi lại cho các tin lỗi (1)" in page


def test_each_recipient_is_named_with_their_children_and_classes(sent, client, world):
    # Bố An also has a child in 6A2: the report names both, each with the class of this year.
    sibling = Student.objects.create(
        student_code="HS9100", full_name="Nguyễn Thị Ánh", date_of_birth=date(2016, 1, 1), gender="female"
    )
    class_6a2 = SchoolClass.objects.get(name="6A2")
    Enrolment.objects.create(student=sibling, school_class=class_6a2, starts_on=class_6a2.year.starts_on)
    father = Guardian.objects.get(user=sent.parent)
    StudentGuardian.objects.create(student=sibling, guardian=father, relationship="father")
    client.force_login(world.teacher_a)
    page = client.get(sent.url).content.decode()
    children = dict(re.findall(r'<tr data-message="(\d+)".*?<td data-children>([^<]*)</td>', page, re.S))
    assert children == {
        str(sent.delivered.pk): "Nguyễn Thị Ánh (6A2), Nguyễn Văn An (6A1)",
        str(sent.failed.pk): "Trần Thị Bình (6A1)",
        str(sent.queued.pk): "Lê Văn Cường (6A1)",
    }
    assert '<th scope="col">Phụ huynh của</th>' in page


def test_the_list_filters_by_outcome_and_keeps_the_filter_across_pages(sent, client, world):
    client.force_login(world.principal_a)
    page = client.get(sent.url, {"status": "failed"}).content.decode()
    assert re.findall(r'data-message="(\d+)"', page) == [str(sent.failed.pk)]
    assert '<option value="failed" selected>' in page
    empty = client.get(sent.url, {"status": "unreachable"}).content.decode()
    assert "Không có người nhận nào với kết quả này." in empty
    everyone = client.get(sent.url, {"status": "nonsense"}).content.decode()
    assert len(re.findall(r'data-message="(\d+)"', everyone)) == 3


def test_the_page_costs_the_same_queries_for_3_or_60_recipients(sent, client, world):
    client.force_login(world.teacher_a)
    client.get(sent.url)  # the first request fills the per-process caches (school, URLconf)
    with CaptureQueriesContext(connection) as small:
        client.get(sent.url)
    class_6a2 = SchoolClass.objects.get(name="6A2")
    class_6a2.homeroom_teacher = StaffMember.objects.get(user=world.teacher_a)
    class_6a2.save()
    for k in range(10, 70):
        _family(class_6a2, k, f"Học Sinh {k}", f"Phụ Huynh {k}", with_account=k % 2 == 0)
    big = _publish(StaffMember.objects.get(user=world.teacher_a), class_6a2, title="Lớp 6A2")
    with CaptureQueriesContext(connection) as large:
        response = client.get(f"/s/test-a/notices/{big.pk}/report/")
    assert len(re.findall(r'data-message="(\d+)"', response.content.decode())) == 50  # first page
    assert "Trang 1 / 2" in response.content.decode()
    assert len(large) == len(small)


def test_resend_to_failed_starts_the_failed_ones_over_audited(sent, client, world):
    client.force_login(world.teacher_a)
    resend_url = sent.url.replace("report/", "resend/")
    assert client.get(resend_url).status_code == 405
    preview = client.post(resend_url)  # no confirmation: what would be resent, nothing resent
    assert preview.status_code == 200 and "1 tin của thông báo" in preview.content.decode()
    assert Delivery.objects.filter(message=sent.failed).count() == 1
    assert not AuditEvent.objects.filter(action="notice.resend").exists()
    response = client.post(resend_url, {"confirm": confirm_token(preview)}, follow=True)
    assert response.redirect_chain == [(sent.url, 302)]
    assert [str(m) for m in response.context["messages"]] == ["Đã gửi lại 1 tin."]
    tried = list(Delivery.objects.filter(message=sent.failed).order_by("pk").values_list("status", flat=True))
    assert tried == ["failed", "queued"]  # a new attempt on the first channel of its plan
    assert Delivery.objects.filter(message=sent.delivered).count() == 1  # the others are left alone
    event = AuditEvent.objects.get(action="notice.resend")
    assert (event.actor, event.object_id) == (world.teacher_a, str(sent.notice.pk))
    assert event.after == {"failed": 1, "resent": 1, "deliveries": 1}
    again = client.post(resend_url, follow=True)
    assert [str(m) for m in again.context["messages"]] == ["Không có tin lỗi nào cần gửi lại."]
    assert "Gửi lại cho các tin lỗi" not in again.content.decode()  # nothing failed is left to resend
    assert AuditEvent.objects.filter(action="notice.resend").count() == 1


def test_csv_download(sent, client, world):
    client.force_login(world.admin_a)
    response = client.get(sent.url.replace("report/", "report.csv"))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="bao-cao-thong-bao-{sent.notice.pk}.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffNgười nhận,")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert sorted(row[0] for row in rows[1:]) == ["Lê Thị Bà", "Nguyễn Văn Bố", "Trần Thị Mẹ"]
    assert rows[0][-2:] == ["Phụ huynh của", "Đã đọc lúc"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Trần Thị Mẹ"][3:6] == ["Gửi lỗi", "SMS: Gửi lỗi", "108 Phone number is invalid"]
    assert by_name["Trần Thị Mẹ"][-1] == ""  # not read
    assert [by_name[name][-2] for name in sorted(by_name)] == [
        "Lê Văn Cường (6A1)", "Nguyễn Văn An (6A1)", "Trần Thị Bình (6A1)",
    ]  # fmt: skip
    assert by_name["Nguyễn Văn Bố"][-1].count("/") == 2  # read (his account)
    assert by_name["Lê Thị Bà"][-1].count("/") == 2  # read (her phone: no account)


def test_resend_names_the_failed_ones_no_channel_reaches_any_more(sent, client, world):
    """The gateway marked the number bad when it failed (and she has no e-mail): nothing to resend to."""
    ContactPoint.objects.create(channel="sms", address=sent.failed.phone, is_bad=True, bad_reason="108")
    client.force_login(world.principal_a)
    url = sent.url.replace("report/", "resend/")
    response = client.post(url, {"confirm": confirm_token(client.post(url))}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Đã gửi lại 0 tin. 1 tin không còn kênh nào liên lạc được."
    ]
    assert Delivery.objects.filter(message=sent.failed).count() == 1
    assert AuditEvent.objects.get(action="notice.resend").after == {"failed": 1, "resent": 0, "deliveries": 0}


def test_a_notice_that_reached_nobody_says_so(sent, client, world):
    class_6a2 = SchoolClass.objects.get(name="6A2")  # no students
    class_6a2.homeroom_teacher = StaffMember.objects.get(user=world.teacher_a)
    class_6a2.save()
    empty = _publish(StaffMember.objects.get(user=world.teacher_a), class_6a2, title="Lớp trống")
    client.force_login(world.teacher_a)
    page = client.get(f"/s/test-a/notices/{empty.pk}/report/").content.decode()
    assert "Chưa có tin nào được gửi qua kênh nào." in page
    assert "Thông báo này chưa có người nhận nào." in page
    assert "Gửi lại cho các tin lỗi" not in page and "Tải CSV" not in page
    assert 'data-figure="read">0 / 0<' in page
