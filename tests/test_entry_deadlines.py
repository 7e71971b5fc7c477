"""Entry deadlines and the principal's unlock (issue 4, item 5): who may set them, validation errors in
Vietnamese, audit events, and what the pages list."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from grades.models import EntryDeadline, Unlock
from grades.services import GradeError, entry_deadline_set
from schoolbook.audit.models import AuditEvent
from students.models import Role, SchoolClass, Subject, TeachingAssignment
from tests.gradebook_world import gradebook_base, staff_make

DEADLINES, UNLOCK = "/s/test-a/grades/deadlines/", "/s/test-a/grades/unlock/"


@pytest.fixture
def dl(world):
    """School A: 6A1 where Vũ Giáo Viên teaches Toán; a vice principal."""
    with schema_context(world.school_a.schema_name):
        g = gradebook_base(world)
        g.vice = staff_make(world, "0900000084", "Lý Phó Hiệu Trưởng", roles=[Role.VICE_PRINCIPAL])
        g.a1 = SchoolClass.objects.create(name="6A1", grade=g.grade, year=g.year)
        g.van = Subject.objects.get(level="lower_secondary", code="ngu-van")
        TeachingAssignment.objects.create(teacher=g.teacher, school_class=g.a1, subject=g.toan)
        yield g


def _local(days=0, base=None):
    """A datetime-local form value, `days` after now (or after the date `base`)."""
    moment = timezone.localtime() + timedelta(days=days)
    if base is not None:
        moment = timezone.make_aware(datetime.combine(base, datetime.min.time())) + timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M")


# --- deadlines ------------------------------------------------------------------------------------------


def test_admin_sets_a_general_and_a_subject_deadline_audited(client, dl):
    client.force_login(dl.world.admin_a)
    assert client.get(DEADLINES).status_code == 200
    general = _local(10, base=dl.term1.starts_on)
    assert (
        client.post(DEADLINES, {"term": dl.term1.pk, "subject": "", "deadline": general}).status_code == 302
    )
    subject = _local(20, base=dl.term1.starts_on)
    response = client.post(DEADLINES, {"term": dl.term1.pk, "subject": dl.toan.pk, "deadline": subject})
    assert response.status_code == 302
    rows = {row.subject_id: timezone.localtime(row.deadline) for row in EntryDeadline.objects.all()}
    assert {key: value.strftime("%Y-%m-%dT%H:%M") for key, value in rows.items()} == {
        None: general,
        dl.toan.pk: subject,
    }
    events = AuditEvent.objects.filter(action="grade_entry.deadline").order_by("pk")
    assert [e.after["subject"] for e in events] == [None, dl.toan.pk]
    assert all(e.actor == dl.world.admin_a for e in events)
    page = client.get(DEADLINES).content.decode()
    assert "Tất cả các môn (hạn chung)" in page and "Toán" in page


def test_changing_and_removing_a_deadline(client, dl):
    client.force_login(dl.world.principal_a)
    first, later = _local(5, base=dl.term2.starts_on), _local(9, base=dl.term2.starts_on)
    client.post(DEADLINES, {"term": dl.term2.pk, "subject": "", "deadline": first})
    client.post(DEADLINES, {"term": dl.term2.pk, "subject": "", "deadline": later})
    row = EntryDeadline.objects.get()
    assert timezone.localtime(row.deadline).strftime("%Y-%m-%dT%H:%M") == later
    assert client.post(DEADLINES, {"term": dl.term2.pk, "subject": "", "remove": "1"}).status_code == 302
    assert not EntryDeadline.objects.exists()
    events = AuditEvent.objects.filter(action="grade_entry.deadline").order_by("pk")
    assert events.count() == 3 and events.last().after["deadline"] is None


def test_deadline_validation_errors(client, dl):
    client.force_login(dl.world.admin_a)
    before = _local(-1, base=dl.term2.starts_on)
    response = client.post(DEADLINES, {"term": dl.term2.pk, "subject": "", "deadline": before})
    assert response.status_code == 400
    assert "phải từ ngày" in response.content.decode() and "ngày bắt đầu học kỳ" in response.content.decode()
    missing = client.post(DEADLINES, {"term": dl.term1.pk, "subject": "", "deadline": ""})
    assert missing.status_code == 400 and "Chọn ngày và giờ hết hạn nhập điểm" in missing.content.decode()
    garbage = client.post(DEADLINES, {"term": "999999", "subject": "", "deadline": _local(3)})
    assert garbage.status_code == 400
    assert not EntryDeadline.objects.exists() and not AuditEvent.objects.filter(action="grade_entry.deadline")


def test_who_may_see_and_set_deadlines(client, dl):
    EntryDeadline.objects.create(term=dl.term1, subject=None, deadline=timezone.now() + timedelta(days=3))
    client.force_login(dl.vice.user)  # a manager: sees them, cannot change them
    page = client.get(DEADLINES)
    assert page.status_code == 200 and "Đặt hạn nhập điểm" not in page.content.decode()
    assert client.post(DEADLINES, {"term": dl.term1.pk, "remove": "1"}).status_code == 404
    for user in (dl.world.teacher_a, dl.world.staff_b):
        client.force_login(user)
        assert client.get(DEADLINES).status_code == 404
        assert client.post(DEADLINES, {"term": dl.term1.pk, "remove": "1"}).status_code == 404
    assert EntryDeadline.objects.count() == 1
    with pytest.raises(GradeError, match="Chỉ Quản trị trường hoặc Hiệu trưởng"):
        entry_deadline_set(actor_staff=dl.vice, term=dl.term1, subject=None, deadline=None)


# --- unlock ---------------------------------------------------------------------------------------------


def _unlock_form(dl, **changes):
    data = {
        "school_class": dl.a1.pk, "subject": dl.toan.pk, "term": dl.term1.pk,
        "reason": "Bổ sung điểm kiểm tra lại", "until": _local(2),
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_principal_unlocks_a_class_subject_and_term(client, dl):
    client.force_login(dl.world.principal_a)
    assert "Không có lớp nào đang được mở khóa" in client.get(UNLOCK).content.decode()
    assert client.post(UNLOCK, _unlock_form(dl)).status_code == 302
    unlock = Unlock.objects.get()
    assert (unlock.school_class, unlock.subject, unlock.term, unlock.granted_by) == (
        dl.a1,
        dl.toan,
        dl.term1,
        dl.principal,
    )
    event = AuditEvent.objects.get(action="grade_entry.unlock")
    assert event.after["reason"] == "Bổ sung điểm kiểm tra lại"
    page = client.get(UNLOCK).content.decode()
    assert "Bổ sung điểm kiểm tra lại" in page and "6A1" in page and "Hoàng Hiệu Trưởng" in page


def test_unlock_validation_errors(client, dl):
    client.force_login(dl.world.principal_a)
    cases = [
        (_unlock_form(dl, reason="   "), "Trường này là bắt buộc"),
        (_unlock_form(dl, until=_local(-1)), "Thời hạn mở khóa phải ở sau thời điểm hiện tại"),
        (_unlock_form(dl, subject=dl.van.pk), "Lớp 6A1 không có phân công dạy môn Ngữ văn"),
        (_unlock_form(dl, until="ngày mai"), "Nhập"),
    ]
    for data, message in cases:
        response = client.post(UNLOCK, data)
        assert response.status_code == 400 and message in response.content.decode(), message
    assert not Unlock.objects.exists()


def test_only_the_principal_opens_the_unlock_page(client, dl):
    for user in (dl.world.admin_a, dl.vice.user, dl.world.teacher_a, dl.world.staff_b):
        client.force_login(user)
        assert client.get(UNLOCK).status_code == 404, user
        assert client.post(UNLOCK, _unlock_form(dl)).status_code == 404, user
    assert not Unlock.objects.exists()
