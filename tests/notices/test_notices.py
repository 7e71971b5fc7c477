"""Notices: who a notice reaches, who may send what (approval), publishing into the messaging
outbox, scheduled publication, attachments and who may open them, and the staff pages."""

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.models import Message, MessagingSettings
from notices.audience import AudienceChoice, audience_resolve
from notices.models import Audience, Category, Notice, NoticeAttachment, NoticeRecipient, Status
from notices.services import (
    NoticeData,
    NoticeError,
    notice_approve,
    notice_cancel,
    notice_reject,
    notice_save,
    notices_publish_due,
)
from notices.tasks import publish_due, publish_due_school
from schoolbook.audit.models import AuditEvent
from students.models import GradeLevel, SchoolClass, SchoolYear, StaffMember, StudentStatus
from tests.conftest import confirm_token
from tests.factories import guardian_account, guardian_link, staff_make, student_enrol

SITE = "https://sobl.example.vn"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


def build(world):
    """School A (call inside its schema): 6A1 (homeroom: Vũ Giáo Viên) with An and Bình, 6A2 with Chi,
    7A1 with Dũng. An's and Chi's mother is one guardian (two children); Bình's father turned
    notifications off; Dũng's guardian is a parent of grade 7. Hải left 6A1 last week (enrolment ended)."""
    year = SchoolYear.objects.get(is_current=True)
    g6, g7 = GradeLevel.objects.get(number=6), GradeLevel.objects.get(number=7)
    n = SimpleNamespace(world=world, year=year, g6=g6, g7=g7)
    n.teacher = StaffMember.objects.get(user=world.teacher_a)
    n.principal = StaffMember.objects.get(user=world.principal_a)
    n.admin = StaffMember.objects.get(user=world.admin_a)
    n.a1 = SchoolClass.objects.create(name="6A1", grade=g6, year=year, homeroom_teacher=n.teacher)
    n.a2 = SchoolClass.objects.create(name="6A2", grade=g6, year=year)
    n.b1 = SchoolClass.objects.create(name="7A1", grade=g7, year=year)
    n.an = student_enrol("NT-AN", n.a1, "Nguyễn Văn An")
    n.binh = student_enrol("NT-BINH", n.a1, "Trần Văn Bình")
    n.chi = student_enrol("NT-CHI", n.a2, "Nguyễn Thị Chi")
    n.dung = student_enrol("NT-DUNG", n.b1, "Lê Văn Dũng")
    n.hai = student_enrol("NT-HAI", n.a1, "Phạm Văn Hải")
    n.hai.enrolments.update(
        starts_on=timezone.localdate() - timedelta(days=30), ends_on=timezone.localdate() - timedelta(days=7)
    )
    n.mother = guardian_link(n.an, "0912000001", full_name="Nguyễn Thị Mẹ")
    guardian_link(n.chi, "0912000001")
    n.father = guardian_link(n.binh, "0912000002", full_name="Trần Văn Bố", notifications=False)
    n.dung_parent = guardian_link(n.dung, "0912000003", full_name="Lê Thị Phụ Huynh")
    n.hai_parent = guardian_link(n.hai, "0912000004", full_name="Phạm Thị Cũ")
    return n


@pytest.fixture
def nw(world, settings, tmp_path):
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path
    settings.GATEWAYS = {}  # no Zalo, no push: plans are SMS and e-mail, whatever the environment says
    with schema_context(world.school_a.schema_name):
        yield build(world)


def data(audience=Audience.CLASSES, *, title="Họp phụ huynh cuối kỳ", body="Kính mời phụ huynh dự họp.",
         category=Category.PARENT_MEETING, **choices) -> NoticeData:  # fmt: skip
    return NoticeData(title=title, body=body, category=category, audience=audience, **choices)


def send(staff, **kwargs) -> Notice:
    """A notice composed and submitted by `staff` in one step, as the compose page's "Gửi" does."""
    uploads = kwargs.pop("uploads", ())
    return notice_save(actor_staff=staff, data=data(**kwargs), uploads=uploads, submit=True)


def reads(captured) -> int:
    """Queries other than switching schemas (a SET whose need depends on the previous request)."""
    return sum(not q["sql"].startswith("SET search_path") for q in captured.captured_queries)


def names(addressees):
    return sorted(a.name for a in addressees)


# --- audience -------------------------------------------------------------------------------------------


def test_each_guardian_once_and_notifications_off_skipped(nw):
    choice = AudienceChoice(Audience.CLASSES, class_ids=frozenset({nw.a1.pk, nw.a2.pk}))
    # The mother of An (6A1) and Chi (6A2) once; Bình's father turned notifications off; Hải has left.
    assert names(audience_resolve(choice)) == ["Nguyễn Thị Mẹ"]
    school = audience_resolve(AudienceChoice(Audience.SCHOOL))
    assert names(school) == ["Lê Thị Phụ Huynh", "Nguyễn Thị Mẹ"]
    grade7 = AudienceChoice(Audience.GRADES, grade_ids=frozenset({nw.g7.pk}))
    assert names(audience_resolve(grade7)) == ["Lê Thị Phụ Huynh"]
    chosen = AudienceChoice(Audience.STUDENTS, student_ids=frozenset({nw.binh.pk, nw.hai.pk}))
    assert audience_resolve(chosen) == []


def test_an_emergency_reaches_guardians_who_turned_notifications_off(nw):
    choice = AudienceChoice(Audience.CLASSES, class_ids=frozenset({nw.a1.pk}), emergency=True)
    assert names(audience_resolve(choice)) == ["Nguyễn Thị Mẹ", "Trần Văn Bố"]


def test_students_who_left_are_not_in_the_audience(nw):
    nw.dung.status = StudentStatus.TRANSFERRED
    nw.dung.save()
    assert names(audience_resolve(AudienceChoice(Audience.SCHOOL))) == ["Nguyễn Thị Mẹ"]


def test_staff_audience_is_the_active_staff(nw):
    leaver = staff_make(nw.world, "0912000099", "Đinh Đã Nghỉ")
    StaffMember.objects.filter(pk=leaver.pk).update(is_active=False)
    staff = audience_resolve(AudienceChoice(Audience.STAFF))
    assert names(staff) == ["Hoàng Hiệu Trưởng", "Lê Quản Trị A", "Vũ Giáo Viên"]
    assert {a.phone for a in staff} == {"+84900000011", "+84900000012", "+84900000013"}
    assert all(a.staff_id and a.guardian_id is None for a in staff)


def test_audience_takes_one_query_whatever_its_size(nw):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            found = audience_resolve(AudienceChoice(Audience.SCHOOL))
        return len(captured), len(found)

    small = queries()
    for n in range(30):
        child = student_enrol(f"NT-X{n}", nw.a2, f"Học Sinh {n}")
        guardian_link(child, f"09130000{n:02d}")
        guardian_link(child, "0912000001")  # the mother again: still once
    large = queries()
    assert small == (1, 2) and large == (1, 32)


# --- who may send what ----------------------------------------------------------------------------------


def test_a_teacher_reaches_their_homeroom_class_without_approval(nw):
    notice = send(nw.teacher, classes=[nw.a1])
    assert notice.status == Status.PUBLISHED and notice.published_at is not None
    chosen = send(nw.teacher, audience=Audience.STUDENTS, students=[nw.an])
    assert chosen.status == Status.PUBLISHED


def test_wider_notices_wait_for_the_principal(nw):
    for choices in (
        {"classes": [nw.a1, nw.a2]},
        {"audience": Audience.GRADES, "grades": [nw.g6]},
        {"audience": Audience.SCHOOL},
        {"audience": Audience.STAFF},
        {"audience": Audience.STUDENTS, "students": [nw.an, nw.chi]},
    ):
        notice = send(nw.teacher, **choices)
        assert notice.status == Status.PENDING_APPROVAL, choices
        assert not Message.objects.filter(reference=notice.reference).exists()
    assert send(nw.principal, audience=Audience.SCHOOL).status == Status.PUBLISHED
    assert send(nw.admin, audience=Audience.STAFF).status == Status.PUBLISHED


def test_without_the_school_setting_teachers_send_wider_notices_directly(nw):
    MessagingSettings.objects.update(teacher_notices_need_approval=False)
    assert send(nw.teacher, audience=Audience.SCHOOL).status == Status.PUBLISHED


def test_approve_publishes_and_is_audited(nw):
    notice = send(nw.teacher, classes=[nw.a2])
    with pytest.raises(NoticeError):
        notice_approve(actor_staff=nw.teacher, notice=notice)  # not theirs to decide
    notice = notice_approve(actor_staff=nw.principal, notice=notice)
    assert notice.status == Status.PUBLISHED and notice.decided_by == nw.principal
    assert Message.objects.filter(reference=notice.reference).count() == 1
    with pytest.raises(NoticeError):
        notice_approve(actor_staff=nw.principal, notice=notice)  # decided already
    actions = list(
        AuditEvent.objects.filter(object_id=str(notice.pk), object_type="notices.notice")
        .order_by("pk")
        .values_list("action", "actor")
    )
    assert actions == [
        ("notice.submit", nw.world.teacher_a.pk),
        ("notice.publish", None),
        ("notice.approve", nw.world.principal_a.pk),
    ]


def test_reject_needs_a_reason_and_the_author_edits_and_resubmits(nw):
    notice = send(nw.teacher, audience=Audience.SCHOOL)
    with pytest.raises(NoticeError, match="lý do"):
        notice_reject(actor_staff=nw.principal, notice=notice, reason="  ")
    notice = notice_reject(actor_staff=nw.principal, notice=notice, reason="Sai ngày họp")
    assert notice.status == Status.REJECTED and notice.rejection_reason == "Sai ngày họp"
    with pytest.raises(NoticeError):
        notice_save(actor_staff=nw.principal, notice=notice, data=data())  # only the author edits
    notice = notice_save(actor_staff=nw.teacher, notice=notice, data=data(classes=[nw.a1]), submit=True)
    assert notice.status == Status.PUBLISHED and notice.rejection_reason == ""
    with pytest.raises(NoticeError):
        notice_save(actor_staff=nw.teacher, notice=notice, data=data(classes=[nw.a1]))  # published
    assert AuditEvent.objects.filter(action="notice.reject", object_id=str(notice.pk)).count() == 1


# --- publish --------------------------------------------------------------------------------------------


def test_publish_writes_one_message_per_recipient_with_the_reference(nw):
    nw.mother.email = "me@example.vn"
    nw.mother.save()
    notice = send(nw.principal, audience=Audience.SCHOOL, body="Nghỉ học ngày 2/9.")
    messages = list(Message.objects.filter(reference=f"notice:{notice.pk}").order_by("recipient"))
    assert [m.recipient for m in messages] == ["Lê Thị Phụ Huynh", "Nguyễn Thị Mẹ"]
    link = f"{SITE}/s/test-a/notices/{notice.pk}/"
    assert all(m.purpose == "notice" and m.link == link and m.bulk and not m.urgent for m in messages)
    assert messages[0].body == "Trường THCS Thử Nghiệm A: Họp phụ huynh cuối kỳ\nNghỉ học ngày 2/9."
    assert messages[1].channels == ["sms", "email"] and messages[1].email == "me@example.vn"
    assert set(NoticeRecipient.objects.filter(notice=notice).values_list("guardian", flat=True)) == {
        nw.mother.pk,
        nw.dung_parent.pk,
    }
    sms_only = send(nw.principal, audience=Audience.SCHOOL, channels=["email"])
    assert [m.channels for m in Message.objects.filter(reference=sms_only.reference)] in (
        [["email"], []],
        [[], ["email"]],
    )  # the mother has e-mail; Dũng's guardian has none, so nothing reaches them (the report says so)


def test_an_emergency_is_urgent_and_reaches_everyone(nw):
    notice = send(nw.principal, classes=[nw.a1], category=Category.EMERGENCY, title="Nghỉ học do bão")
    messages = Message.objects.filter(reference=notice.reference)
    assert sorted(m.recipient for m in messages) == ["Nguyễn Thị Mẹ", "Trần Văn Bố"]
    assert all(m.urgent and not m.bulk for m in messages)


def test_attachments_put_the_link_in_the_text(nw):
    upload = SimpleUploadedFile("lich-thi.pdf", PDF, content_type="application/pdf")
    notice = send(nw.teacher, classes=[nw.a1], uploads=[upload])
    (message,) = Message.objects.filter(reference=notice.reference)
    assert message.body.endswith(f"\nXem: {SITE}/s/test-a/notices/{notice.pk}/")


def test_a_scheduled_notice_is_published_once_when_due(nw):
    at = timezone.now() + timedelta(hours=2)
    notice = send(nw.principal, audience=Audience.SCHOOL, scheduled_at=at)
    assert notice.status == Status.SCHEDULED
    assert notices_publish_due(now=at - timedelta(minutes=1)) == 0
    assert notices_publish_due(now=at) == 1
    assert notices_publish_due(now=at + timedelta(minutes=1)) == 0  # the next minute's run
    notice.refresh_from_db()
    assert notice.status == Status.PUBLISHED and notice.published_at == at
    assert Message.objects.filter(reference=notice.reference).count() == 2
    assert NoticeRecipient.objects.filter(notice=notice).count() == 2


def test_a_cancelled_scheduled_notice_is_never_sent(nw):
    at = timezone.now() + timedelta(hours=2)
    notice = send(nw.teacher, classes=[nw.a1], scheduled_at=at)
    assert notice.status == Status.SCHEDULED
    with pytest.raises(NoticeError):
        notice_cancel(actor_staff=staff_make(nw.world, "0912000098", "Giáo Viên Khác"), notice=notice)
    notice_cancel(actor_staff=nw.teacher, notice=notice)
    assert notices_publish_due(now=at + timedelta(minutes=5)) == 0
    assert not Message.objects.filter(reference=notice.reference).exists()


def test_approval_after_the_scheduled_time_publishes_at_once(nw):
    at = timezone.now() + timedelta(minutes=30)
    notice = send(nw.teacher, audience=Audience.SCHOOL, scheduled_at=at)
    assert notice.status == Status.PENDING_APPROVAL
    Notice.objects.filter(pk=notice.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    assert notice_approve(actor_staff=nw.principal, notice=notice).status == Status.PUBLISHED


def test_the_beat_task_fans_out_one_task_per_school(nw, published):
    with schema_context("public"):
        assert publish_due() == 2
    sent = [(name, schema) for name, _, schema, _ in published]
    assert sorted(sent) == [
        ("notices.tasks.publish_due_school", "school_test_a"),
        ("notices.tasks.publish_due_school", "school_test_b"),
    ]
    at = timezone.now() - timedelta(seconds=1)
    notice = send(nw.principal, audience=Audience.SCHOOL)
    Notice.objects.filter(pk=notice.pk).update(status=Status.SCHEDULED, published_at=None, scheduled_at=at)
    NoticeRecipient.objects.filter(notice=notice).delete()
    assert publish_due_school.run() == 1 and publish_due_school.run() == 0


# --- attachments ----------------------------------------------------------------------------------------


def test_a_stored_attachment_never_keeps_the_uploaders_extension(nw):
    uploads = [SimpleUploadedFile("x.html", PDF), SimpleUploadedFile("x.php.jpg", PNG)]
    notice = send(nw.teacher, classes=[nw.a1], uploads=uploads)
    stored = [(a.original_name, a.file.name.rsplit("/", 1)[1]) for a in notice.attachments.order_by("pk")]
    assert [(name, stored_as[-4:]) for name, stored_as in stored] == [
        ("x.html", ".pdf"),
        ("x.php.jpg", ".png"),
    ]
    assert not [stored_as for _, stored_as in stored if "x" in stored_as.split(".")[0] or ".php" in stored_as]


def test_attachments_are_recognised_by_their_bytes(nw):
    named_wrong = SimpleUploadedFile("anh.png", PDF, content_type="image/png")
    image = SimpleUploadedFile("so-do.JPG", JPEG, content_type="application/octet-stream")
    notice = send(nw.teacher, classes=[nw.a1], uploads=[named_wrong, image])
    stored = list(notice.attachments.values_list("original_name", "content_type", "size"))
    assert stored == [("anh.png", "application/pdf", len(PDF)), ("so-do.JPG", "image/jpeg", len(JPEG))]
    paths = [a.file.name for a in notice.attachments.order_by("pk")]
    # Stored under the extension of what the bytes are, never the uploader's.
    assert paths[0].startswith(f"notices/school_test_a/{notice.pk}/") and paths[0].endswith(".pdf")
    assert paths[1].endswith(".jpg")
    program = SimpleUploadedFile("thoi-khoa-bieu.pdf", b"MZ\x90\x00" + b"\x00" * 60)
    with pytest.raises(NoticeError, match="không phải tệp PDF, JPEG hoặc PNG"):
        send(nw.teacher, classes=[nw.a1], uploads=[program])


def test_attachment_size_and_count_limits(nw, settings):
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 1024
    settings.NOTICE_ATTACHMENTS_MAX = 2
    big = SimpleUploadedFile("lon.pdf", PDF + b"\x00" * 1024)
    with pytest.raises(NoticeError, match="quá lớn"):
        send(nw.teacher, classes=[nw.a1], uploads=[big])
    files = [SimpleUploadedFile(f"{n}.png", PNG) for n in range(3)]
    with pytest.raises(NoticeError, match="tối đa 2 tệp"):
        send(nw.teacher, classes=[nw.a1], uploads=files)
    draft = notice_save(actor_staff=nw.teacher, data=data(classes=[nw.a1]), uploads=files[:2])
    with pytest.raises(NoticeError, match="tối đa 2 tệp"):
        notice_save(actor_staff=nw.teacher, notice=draft, data=data(classes=[nw.a1]), uploads=[files[2]])
    removed = draft.attachments.first()
    notice_save(
        actor_staff=nw.teacher, notice=draft, data=data(classes=[nw.a1]), uploads=[files[2]], remove=[removed]
    )
    assert draft.attachments.count() == 2 and not NoticeAttachment.objects.filter(pk=removed.pk).exists()


def test_attachments_are_served_only_to_who_may_open_the_notice(nw, client):
    upload = SimpleUploadedFile("lich-thi.pdf", PDF)
    notice = send(nw.teacher, classes=[nw.a1], uploads=[upload])
    attachment = notice.attachments.get()
    url = f"/s/test-a/notices/{notice.pk}/attachments/{attachment.pk}/"
    mother = guardian_account(nw.world, nw.mother)
    client.force_login(mother)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="lich-thi.pdf"'
    outsider_parent = guardian_account(nw.world, nw.dung_parent)  # a parent of grade 7: not addressed
    for user in (outsider_parent, nw.world.staff_b):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(f"/s/test-a/notices/{notice.pk}/").status_code == 404
    client.force_login(nw.world.principal_a)
    assert client.get(url).status_code == 200
    client.force_login(mother)
    other = f"/s/test-a/notices/{notice.pk}/attachments/{attachment.pk + 1000}/"
    assert client.get(other).status_code == 404


# --- pages ----------------------------------------------------------------------------------------------


def form(**fields):
    base = {"title": "Lịch thi học kỳ I", "body": "Thi từ ngày 15/12.", "category": "exam_schedule",
            "audience": "classes", "classes": []}  # fmt: skip
    return {**base, **fields}


def test_compose_page_publishes_for_a_homeroom_teacher(nw, client):
    client.force_login(nw.world.teacher_a)
    page = client.get("/s/test-a/notices/new/").content.decode()
    assert "Soạn thông báo" in page and "Ước tính trước khi gửi" not in page and "6A1" in page
    upload = SimpleUploadedFile("lich.pdf", PDF)
    response = client.post(
        "/s/test-a/notices/new/", {**form(classes=[nw.a1.pk]), "attachments": [upload], "submit": ""}
    )
    notice = Notice.objects.get(title="Lịch thi học kỳ I")
    send_url = f"/s/test-a/notices/{notice.pk}/send/"
    # "Gửi" saves the draft and asks first: nothing is sent until the preview is confirmed.
    assert response.status_code == 302 and response["Location"] == send_url
    assert notice.status == Status.DRAFT and notice.attachments.count() == 1
    assert not Message.objects.exists()
    preview = client.get(send_url)
    assert (
        "sẽ được gửi ngay tới" in preview.content.decode()
        and "Ước tính trước khi gửi" in preview.content.decode()
    )
    assert client.post(send_url).status_code == 200 and not Message.objects.exists()  # no token: the preview
    response = client.post(send_url, {"confirm": confirm_token(preview)})
    assert response.status_code == 302 and response["Location"] == f"/s/test-a/notices/{notice.pk}/"
    notice.refresh_from_db()
    assert notice.status == Status.PUBLISHED
    page = client.get(response["Location"]).content.decode()
    assert "Đã gửi thông báo." in page and "lich.pdf" in page and "Thi từ ngày 15/12." in page


def test_compose_page_explains_what_is_wrong(nw, client):
    client.force_login(nw.world.teacher_a)
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    bad = io.BytesIO(b"GIF89a....")
    bad.name = "anh.gif"
    response = client.post(
        "/s/test-a/notices/new/",
        {**form(title=""), "scheduled_at": past, "attachments": [bad], "submit": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Hãy chọn ít nhất một mục để biết gửi cho ai." in page
    assert "Thời điểm hẹn gửi đã qua." in page
    assert "“anh.gif” không phải tệp PDF, JPEG hoặc PNG." in page
    assert not Notice.objects.exists()


def test_draft_then_edit_then_submit_for_approval(nw, client):
    client.force_login(nw.world.teacher_a)
    client.post("/s/test-a/notices/new/", {**form(audience="school"), "draft": ""})
    notice = Notice.objects.get()
    assert notice.status == Status.DRAFT
    edit = f"/s/test-a/notices/{notice.pk}/edit/"
    assert "Lịch thi học kỳ I" in client.get(edit).content.decode()
    response = client.post(edit, {**form(audience="school", title="Lịch thi (sửa)"), "submit": ""})
    notice.refresh_from_db()
    assert response.status_code == 302 and notice.status == Status.PENDING_APPROVAL
    assert notice.title == "Lịch thi (sửa)"
    page = client.get(f"/s/test-a/notices/{notice.pk}/").content.decode()
    assert "Đã gửi để hiệu trưởng duyệt." in page and "Duyệt và gửi" not in page
    assert client.post(f"/s/test-a/notices/{notice.pk}/approve/").status_code == 404
    client.force_login(nw.world.principal_a)
    page = client.get(f"/s/test-a/notices/{notice.pk}/").content.decode()
    assert "Duyệt và gửi" in page
    assert client.get(edit).status_code == 404  # the principal decides, the author edits
    client.post(f"/s/test-a/notices/{notice.pk}/reject/", {"reason": ""})
    notice.refresh_from_db()
    assert notice.status == Status.PENDING_APPROVAL
    preview = client.post(f"/s/test-a/notices/{notice.pk}/approve/")  # approving sends: the preview first
    notice.refresh_from_db()
    assert notice.status == Status.PENDING_APPROVAL and not Message.objects.exists()
    assert "Gửi thông báo?" in preview.content.decode()
    client.post(f"/s/test-a/notices/{notice.pk}/approve/", {"confirm": confirm_token(preview)})
    notice.refresh_from_db()
    assert notice.status == Status.PUBLISHED and Message.objects.exists()
    client.force_login(nw.world.teacher_a)
    response = client.get(edit)
    assert response.status_code == 302  # published: nobody edits it
    assert "không còn sửa được" in client.get(response["Location"]).content.decode()


def test_outsiders_get_404_on_every_page(nw, client):
    notice = send(nw.teacher, classes=[nw.a1])
    other = staff_make(nw.world, "0912000097", "Giáo Viên Khác")
    pages = [f"/s/test-a/notices/{notice.pk}/", f"/s/test-a/notices/{notice.pk}/edit/"]
    posts = [f"/s/test-a/notices/{notice.pk}/{action}/" for action in ("approve", "reject", "cancel")]
    parent = guardian_account(nw.world, nw.dung_parent)
    for user in (nw.world.staff_b, other.user, parent):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 404, (user, url)
        for url in posts:
            assert client.post(url).status_code == 404, (user, url)
    client.force_login(parent)
    assert client.get("/s/test-a/notices/").status_code == 404  # the staff list
    assert client.get("/s/test-a/notices/new/").status_code == 404
    client.force_login(other.user)
    assert client.get("/s/test-a/notices/?tab=all").status_code == 404


def test_only_the_author_sends_a_draft_and_the_preview_counts_what_goes_out(nw, client, settings):
    settings.SMS_PRICE_PER_SEGMENT_VND = 800
    draft = notice_save(actor_staff=nw.teacher, data=data(classes=[nw.a1]))
    url = f"/s/test-a/notices/{draft.pk}/send/"
    client.force_login(nw.world.teacher_a)
    preview = client.get(url)
    token = confirm_token(preview)
    other = staff_make(nw.world, "0912000097", "Giáo Viên Khác")
    parent = guardian_account(nw.world, nw.dung_parent)
    for user in (nw.world.staff_b, other.user, parent, nw.world.principal_a):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert client.post(url, {"confirm": token}).status_code == 404, user
    client.logout()
    assert client.post(url, {"confirm": token}).status_code in (302, 404)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and not Message.objects.exists()
    client.force_login(nw.world.teacher_a)
    client.post(url, {"confirm": token})
    sent = Message.objects.filter(reference=draft.reference)
    page = preview.content.decode()
    assert f"tới {sent.count()} người nhận" in page  # the preview's count is what went out
    cost = 800 * sum(1 for m in sent if m.channels and m.channels[0] == "sms")
    assert f"{cost:,}".replace(",", ".") + " đ" in page


def make_notices(staff, count, **choices):
    for n in range(count):
        notice_save(actor_staff=staff, data=data(title=f"Thông báo {n}", **choices), submit=True)


def test_list_tabs_filters_and_constant_queries(nw, client):
    make_notices(nw.teacher, 2, classes=[nw.a1])
    make_notices(nw.teacher, 1, audience=Audience.SCHOOL)  # waits for approval
    make_notices(nw.principal, 1, audience=Audience.STAFF, category=Category.FEES)
    client.force_login(nw.world.teacher_a)
    page = client.get("/s/test-a/notices/").content.decode()
    assert page.count("Thông báo 0") == 2 and "Chờ duyệt" in page  # mine: 2 + 1
    assert "?tab=all" not in page
    inbox = client.get("/s/test-a/notices/?tab=inbox").content.decode()
    assert "Thông báo 0" in inbox and "Học phí" in inbox  # the staff notice reached the teacher
    client.force_login(nw.world.principal_a)
    pending = client.get("/s/test-a/notices/?tab=approve").content.decode()
    assert pending.count("<tr>") == 2  # header + the one waiting
    fees = client.get("/s/test-a/notices/?tab=all&category=fees").content.decode()
    assert fees.count("<tr>") == 2
    assert (
        "Không có thông báo nào khớp bộ lọc."
        in client.get("/s/test-a/notices/?tab=all&status=cancelled").content.decode()
    )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/s/test-a/notices/?tab=all").status_code == 200
        return reads(captured)

    few = queries()
    make_notices(nw.teacher, 12, classes=[nw.a1])
    assert queries() == few


def test_only_the_sender_sees_whom_a_notice_went_to_and_its_report(nw, client):
    notice = send(nw.teacher, audience=Audience.STUDENTS, students=[nw.an])
    url = f"/s/test-a/notices/{notice.pk}/"
    report = f'href="/s/test-a/notices/{notice.pk}/report/"'  # the delivery report (notices/views_report.py)
    for user in (nw.world.teacher_a, nw.world.principal_a):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "Phụ huynh của học sinh được chọn · Nguyễn Văn An" in page and report in page
    client.force_login(guardian_account(nw.world, nw.mother))
    page = client.get(url).content.decode()
    assert "Họp phụ huynh cuối kỳ" in page and "Phụ huynh của học sinh được chọn" not in page
    assert report not in page


def test_the_edit_page_removes_and_adds_attachments(nw, client):
    draft = notice_save(
        actor_staff=nw.teacher, data=data(classes=[nw.a1]), uploads=[SimpleUploadedFile("cu.pdf", PDF)]
    )
    old = draft.attachments.get()
    client.force_login(nw.world.teacher_a)
    fields = form(classes=[nw.a1.pk], remove_attachments=[old.pk])
    upload = SimpleUploadedFile("moi.png", PNG)
    response = client.post(
        f"/s/test-a/notices/{draft.pk}/edit/", {**fields, "attachments": [upload], "draft": ""}
    )
    assert response.status_code == 302
    assert list(draft.attachments.values_list("original_name", flat=True)) == ["moi.png"]
