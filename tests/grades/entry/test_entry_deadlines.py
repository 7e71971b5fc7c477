"""Entry deadlines and the principal's unlock: who may set them, validation errors in
Vietnamese, audit events, and what the pages list."""

from datetime import datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import Role
from grades.cells import GradeError
from grades.entry.services import entry_deadline_set
from grades.locks import lock_state
from grades.models import EntryDeadline, Unlock
from schoolbook.audit.models import AuditEvent
from students.models import GradeLevel, SchoolClass, Subject, TeachingAssignment
from students.services import catalogue_seed
from tests.factories import staff_make
from tests.gradebook_world import gradebook_base, page_queries

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


# --- unlocking a primary class's homeroom assessments (qualities, competencies, general comment) ----------

HOMEROOM_OPTION = '<option value="homeroom">Phẩm chất, năng lực và nhận xét chung (tiểu học)</option>'


def _primary_class(dl):
    """A primary class 4A (the primary catalogue seeded into school A) led by Vũ Giáo Viên."""
    catalogue_seed(levels=["primary"], today=timezone.localdate())
    grade4 = GradeLevel.objects.get(number=4)
    return SchoolClass.objects.create(name="4A", grade=grade4, year=dl.year, homeroom_teacher=dl.teacher)


def test_a_school_without_primary_classes_is_not_offered_the_homeroom_choice(client, dl):
    client.force_login(dl.world.principal_a)
    assert HOMEROOM_OPTION not in client.get(UNLOCK).content.decode()
    assert client.post(UNLOCK, _unlock_form(dl, subject="homeroom")).status_code == 400
    assert not Unlock.objects.exists()


def test_the_principal_unlocks_a_primary_class_homeroom_assessments(client, dl):
    c4 = _primary_class(dl)
    client.force_login(dl.world.principal_a)
    assert HOMEROOM_OPTION in client.get(UNLOCK).content.decode()
    form = _unlock_form(dl, school_class=c4.pk, subject="homeroom", reason="Bổ sung nhận xét chung")
    assert client.post(UNLOCK, form).status_code == 302
    unlock = Unlock.objects.get()
    assert (unlock.school_class, unlock.subject, unlock.term, unlock.granted_by) == (
        c4,
        None,
        dl.term1,
        dl.principal,
    )
    event = AuditEvent.objects.get(action="grade_entry.unlock")
    assert event.after["subject"] is None and event.after["reason"] == "Bổ sung nhận xét chung"
    table = client.get(UNLOCK).content.decode().split('id="unlocks"')[1]
    assert "<td>4A</td><td>Phẩm chất, năng lực và nhận xét chung (tiểu học)</td>" in table


def test_homeroom_unlock_validation_and_access(client, dl):
    c4 = _primary_class(dl)
    client.force_login(dl.world.principal_a)
    cases = [
        (_unlock_form(dl, subject="homeroom"), "Lớp 6A1 không phải lớp tiểu học"),
        (_unlock_form(dl, school_class=c4.pk), "Lớp 4A không có phân công dạy môn Toán"),
        (_unlock_form(dl, school_class=c4.pk, subject="homeroom", reason=""), "Trường này là bắt buộc"),
    ]
    for data, message in cases:
        response = client.post(UNLOCK, data)
        assert response.status_code == 400 and message in response.content.decode(), message
    for user in (dl.world.admin_a, dl.vice.user, dl.world.teacher_a, dl.world.staff_b):
        client.force_login(user)
        assert (
            client.post(UNLOCK, _unlock_form(dl, school_class=c4.pk, subject="homeroom")).status_code == 404
        )
    assert not Unlock.objects.exists()


def test_the_unlock_list_takes_the_same_queries_for_more_unlocks(client, dl):
    c4 = _primary_class(dl)
    until = timezone.now() + timedelta(days=2)
    made = {"term": dl.term1, "granted_by": dl.principal, "reason": "Bổ sung", "until": until}
    Unlock.objects.create(school_class=dl.a1, subject=dl.toan, **made)
    client.force_login(dl.world.principal_a)
    page_queries(client, UNLOCK)  # warm-up: the first request caches the school and the access check
    one = page_queries(client, UNLOCK)
    Unlock.objects.create(school_class=c4, subject=None, **made)
    Unlock.objects.create(school_class=c4, subject=None, **(made | {"term": dl.term2}))
    Unlock.objects.create(school_class=dl.a1, subject=dl.toan, **(made | {"term": dl.term2}))
    assert page_queries(client, UNLOCK) == one


def test_the_lock_state_names_the_homeroom_assessments(dl):
    now = timezone.now()
    EntryDeadline.objects.create(term=dl.term1, subject=None, deadline=now - timedelta(days=1))
    lock = lock_state(term=dl.term1, subject=None, school_class=dl.a1, now=now)
    homeroom = render_to_string("grades/entry_lock_state.html", {"lock": lock, "homeroom": True})
    assert "data-locked" in homeroom and "phẩm chất, năng lực và nhận xét chung chỉ được sửa" in homeroom
    assert "Hạn nhập đánh giá" in homeroom and "điểm chỉ được sửa" not in homeroom
    grid = render_to_string("grades/entry_lock_state.html", {"lock": lock})
    assert "Đã quá hạn nhập điểm: điểm chỉ được sửa" in grid


def test_primary_subjects_are_offered_named_with_their_level(client, dl):
    """Deadlines and unlocks cover primary subjects too; "Toán" exists at both levels, so each is named with
    its level."""
    c4 = _primary_class(dl)
    primary_math = Subject.objects.get(level="primary", code="toan")
    TeachingAssignment.objects.create(teacher=dl.teacher, school_class=c4, subject=primary_math)
    client.force_login(dl.world.principal_a)
    page = client.get(UNLOCK).content.decode()
    assert f'<option value="{primary_math.pk}">Toán · Tiểu học</option>' in page
    assert f'<option value="{dl.toan.pk}">Toán · Trung học cơ sở</option>' in page
    form = _unlock_form(dl, school_class=c4.pk, subject=primary_math.pk, reason="Chấm lại bài kiểm tra")
    assert client.post(UNLOCK, form).status_code == 302
    assert Unlock.objects.get().subject == primary_math
    client.force_login(dl.world.admin_a)
    assert (
        f'<option value="{primary_math.pk}">Toán · Tiểu học</option>'
        in client.get(DEADLINES).content.decode()
    )
