"""Mời phụ huynh: managers choose whom, see the count and the cost, confirm; one
message each with the sign-in link, recorded and audited, never twice the same day; nothing for another
school's guardians; 404 for everyone else."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.models import Message
from schoolbook.audit.models import AuditEvent
from students.invites.selectors import Whom, invite_selection
from students.invites.services import guardians_invite
from students.models import (
    GradeLevel,
    GuardianInvite,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentStatus,
)
from tests.conftest import WORLD_CHILD_A, confirm_token
from tests.factories import guardian_account, guardian_link, student_enrol

URL = "/s/test-a/guardians/invite/"


def _class(name):
    return SchoolClass.objects.create(
        name=name,
        grade=GradeLevel.objects.get(number=6),
        year=SchoolYear.objects.get(is_current=True),
    )


@pytest.fixture
def inv(world, settings):
    """School A: three children of 6A1 with a guardian each (the third's guardian has signed in before), a
    withdrawn child's guardian (not invited); school B: one child with a guardian."""
    settings.SITE_URL = "https://sobl.example.vn"
    settings.SMS_PRICE_PER_SEGMENT_VND = 800
    settings.GATEWAYS = {}
    with schema_context(world.school_b.schema_name):
        guardian_link(
            student_enrol("B001", _class("6B1"), "Ngô Văn Bê"), "0913000099", full_name="Phụ huynh B"
        )
    with schema_context(world.school_a.schema_name):
        # The session world's child (tests.conftest) has left: the counts below are this fixture's.
        Student.objects.filter(student_code=WORLD_CHILD_A[0]).update(status=StudentStatus.TRANSFERRED)
        a1 = _class("6A1")
        kids = [
            student_enrol(f"A00{n}", a1, name) for n, name in enumerate(["Lê An", "Phan Bình", "Trần Chi"])
        ]
        guardians = [
            guardian_link(kid, f"09130000{n:02d}", full_name=f"Phụ huynh {kid.full_name}")
            for n, kid in enumerate(kids)
        ]
        user = guardian_account(world, guardians[2])
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        gone = student_enrol("A009", a1, "Đỗ Đã Nghỉ")
        Student.objects.filter(pk=gone.pk).update(status=StudentStatus.TRANSFERRED)
        guardian_link(gone, "0913000098", full_name="Phụ huynh nghỉ")
        yield world, guardians


def bodies():
    return {m.phone: m.body for m in Message.objects.filter(purpose="invite")}


def test_preview_then_confirm_sends_one_message_each_with_the_login_link(inv, client):
    world, guardians = inv
    client.force_login(world.admin_a)
    page = client.get(URL)  # the default choice: never invited
    text = page.content.decode()
    assert page.status_code == 200 and "Sẽ gửi lời mời cho 3 phụ huynh, mỗi người một tin nhắn." in text
    assert "Phụ huynh nghỉ" not in text and "Phụ huynh B" not in text
    assert "https://sobl.example.vn/login/" in text
    assert not Message.objects.exists()

    posted = client.post(URL, {"whom": Whom.NOT_INVITED})  # no confirmation: the preview, nothing sent
    assert posted.status_code == 200 and not Message.objects.exists() and not GuardianInvite.objects.exists()

    done = client.post(URL, {"whom": Whom.NOT_INVITED, "confirm": confirm_token(page)}, follow=True)
    assert "Đã gửi lời mời cho 3 phụ huynh." in done.content.decode()
    assert bodies() == {
        g.phone: "Trường THCS Thử Nghiệm A mời anh/chị dùng sổ liên lạc điện tử: đăng nhập bằng số "
        f"0913 000 00{n} tại https://sobl.example.vn/login/"
        for n, g in enumerate(guardians)
    }
    staff = StaffMember.objects.get(user=world.admin_a)
    assert set(GuardianInvite.objects.values_list("guardian_id", "invited_by_id")) == {
        (g.pk, staff.pk) for g in guardians
    }
    event = AuditEvent.objects.get(action="guardians.invite")
    assert event.actor == world.admin_a
    assert event.after == {"whom": "not_invited", "invited": 3, "skipped_today": 0}
    with schema_context(world.school_b.schema_name):
        assert not Message.objects.exists()


def test_the_preview_shows_the_cost_that_is_sent(inv, client):
    world, _ = inv
    client.force_login(world.principal_a)
    page = client.get(URL, {"whom": Whom.ALL}).content.decode()
    selection = invite_selection(Whom.ALL, world.school_a.name)
    estimate = selection.estimate
    assert estimate["messages"] == 3 and estimate["by_channel"] == {"sms": 3}
    cost = f"{estimate['sms_cost_vnd']:,}".replace(",", ".") + " đ"
    assert estimate["sms_cost_vnd"] == 3 * estimate["sms_segments"] * 800 > 0
    assert cost in page and "Sẽ gửi lời mời cho 3 phụ huynh" in page


def test_never_signed_in_leaves_out_those_who_did(inv, client):
    world, guardians = inv
    client.force_login(world.admin_a)
    page = client.get(URL, {"whom": Whom.NOT_SIGNED_IN})
    client.post(URL, {"whom": Whom.NOT_SIGNED_IN, "confirm": confirm_token(page)})
    assert set(bodies()) == {guardians[0].phone, guardians[1].phone}


def test_not_twice_the_same_day_and_a_stale_preview_is_shown_again(inv, client):
    world, guardians = inv
    client.force_login(world.admin_a)
    stale = confirm_token(client.get(URL, {"whom": Whom.ALL}))
    guardians_invite(
        actor_staff=StaffMember.objects.get(user=world.admin_a), whom=Whom.NOT_SIGNED_IN,
        school_name=world.school_a.name,
    )  # fmt: skip
    assert Message.objects.count() == 2
    again = client.post(URL, {"whom": Whom.ALL, "confirm": stale})  # the preview said 3: it is 1 now
    text = again.content.decode()
    assert "Số liệu đã thay đổi từ lúc bạn xem." in text and "Sẽ gửi lời mời cho 1 phụ huynh" in text
    assert "2 phụ huynh đã được mời hôm nay nên không gửi lại." in text
    assert Message.objects.count() == 2
    client.post(URL, {"whom": Whom.ALL, "confirm": confirm_token(again)})
    assert Message.objects.count() == 3 and Message.objects.filter(phone=guardians[2].phone).exists()
    # Everyone has been invited today: nothing to send, and saying so.
    page = client.get(URL, {"whom": Whom.ALL}).content.decode()
    assert "Không có phụ huynh nào cần mời trong nhóm này." in page and 'name="confirm"' not in page
    assert client.post(URL, {"whom": Whom.ALL, "confirm": "0" * 24}).status_code == 200
    assert Message.objects.count() == 3
    # The next day they may be invited again.
    GuardianInvite.objects.update(invited_at=timezone.now() - timedelta(days=1))
    assert len(invite_selection(Whom.ALL, "A").guardians) == 3


def test_bad_choice_is_explained_and_sends_nothing(inv, client):
    world, _ = inv
    client.force_login(world.admin_a)
    for data in ({"whom": "everyone"}, {}):
        response = client.post(URL, {**data, "confirm": "0" * 24})
        assert response.status_code == 400
        text = response.content.decode()
        assert "Lựa chọn không hợp lệ." in text or "Hãy chọn mời ai." in text
    assert not Message.objects.exists() and not GuardianInvite.objects.exists()


def test_only_managers_of_the_school(inv, client):
    world, guardians = inv
    client.force_login(world.admin_a)
    token = confirm_token(client.get(URL, {"whom": Whom.ALL}))
    parent = guardians[2].user
    for user in (world.teacher_a, world.staff_b, parent):
        client.force_login(user)
        assert client.get(URL).status_code == 404, user
        assert client.post(URL, {"whom": Whom.ALL, "confirm": token}).status_code == 404, user
    client.logout()
    assert client.get(URL).status_code in (302, 404)
    assert client.post(URL, {"whom": Whom.ALL, "confirm": token}).status_code in (302, 404)
    assert not Message.objects.exists() and not GuardianInvite.objects.exists()
    client.force_login(world.principal_a)
    assert client.get(URL).status_code == 200
