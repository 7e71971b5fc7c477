"""An office's head manages its staff in the browser: the list (with who set up 2FA), adding a specialist
(who then signs in as staff do: a code the first time, a password, 2FA), removing a colleague after a
confirmation; never oneself, never the last head; every change audited. A specialist, another office's
staff, a school's staff and parents get 404; the link is in the head's navigation only."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import TwoFactor, User
from messaging.models import Message
from offices.models import EducationOffice, OfficeStaff
from offices.services import OfficeError, office_staff_remove
from schoolbook.audit.models import AuditEvent
from tests.conftest import OTP_RE, assert_refused, confirm_token, signed_in, without_tokens


@pytest.fixture
def office(world):
    """An office with a head (2FA set up) and a specialist (not yet)."""
    office = EducationOffice.objects.create(
        code="phong-dong-da",
        name="Phòng GD&ĐT Đống Đa",
        kind="district",
        province="Hà Nội",
        district="Đống Đa",
    )
    head = User.objects.create_user("0912000001", full_name="Nguyễn Trưởng Phòng")
    specialist = User.objects.create_user("0912000002", full_name="Trần Chuyên Viên")
    TwoFactor.objects.create(user=head, secret_sealed="-", confirmed_at=timezone.now())
    seats = {
        "head": OfficeStaff.objects.create(office=office, user=head, role="head"),
        "specialist": OfficeStaff.objects.create(office=office, user=specialist, role="specialist"),
    }
    return office, seats


def test_the_head_sees_the_staff_and_the_link_to_them(world, office):
    office, seats = office
    client = signed_in(seats["head"].user)
    page = client.get(f"/office/{office.code}/staff/")
    assert page.status_code == 200
    text = without_tokens(page)
    # Heads first; each with the phone as people dial it, the role and whether 2FA is set up.
    assert text.index("Nguyễn Trưởng Phòng") < text.index("Trần Chuyên Viên")
    assert "0912 000 001" in text and "0912 000 002" in text
    assert text.count("Đã thiết lập") == 1 and text.count("Chưa thiết lập") == 1
    # No way to remove oneself from the list; the colleague has one.
    assert f"/staff/{seats['head'].pk}/remove/" not in text
    assert f"/staff/{seats['specialist'].pk}/remove/" in text
    nav = f'href="/office/{office.code}/staff/"'
    assert nav in client.get(f"/office/{office.code}/").content.decode()
    assert nav not in signed_in(seats["specialist"].user).get(f"/office/{office.code}/").content.decode()


def test_nobody_but_the_offices_heads_opens_its_staff_pages(world, office):
    office, seats = office
    other = EducationOffice.objects.create(code="so-hue", name="Sở Huế", kind="province", province="Huế")
    other_head = User.objects.create_user("0912000009")
    OfficeStaff.objects.create(office=other, user=other_head, role="head")
    remove = f"/office/{office.code}/staff/{seats['specialist'].pk}/remove/"
    requests = [
        (f"/office/{office.code}/staff/", {"full_name": "Kẻ Lạ", "phone": "0912000077"}),
        (remove, {"confirm": "x"}),
        ("/office/khong-co/staff/", {}),
    ]
    for user in (seats["specialist"].user, other_head, world.admin_a, world.principal_a, world.teacher_a,
                 world.staff_b, world.parent, world.platform_admin):  # fmt: skip
        assert_refused(signed_in(user), user, requests)
    assert_refused(Client(), None, requests[:2])
    assert not User.objects.filter(phone="+84912000077").exists()
    assert OfficeStaff.objects.filter(pk=seats["specialist"].pk).exists()
    # Another office's seat is not found under this office, even by its own head.
    other_seat = OfficeStaff.objects.create(office=other, user=world.teacher_a)
    head = signed_in(seats["head"].user)
    assert head.get(f"/office/{office.code}/staff/{other_seat.pk}/remove/").status_code == 404


def test_the_head_adds_a_specialist_who_signs_in_as_staff_do(world, office):
    office, seats = office
    head = signed_in(seats["head"].user)
    empty = head.post(f"/office/{office.code}/staff/", {"full_name": "", "phone": "12"})
    assert empty.status_code == 400 and "Số điện thoại" in empty.content.decode()
    response = head.post(f"/office/{office.code}/staff/", {"full_name": "Lê Thu Hà", "phone": "0966 555 446"})
    assert response.status_code == 302 and response["Location"] == f"/office/{office.code}/staff/"
    added = User.objects.get(phone="+84966555446")
    assert OfficeStaff.objects.get(office=office, user=added).role == "specialist"
    listed = head.get(response["Location"]).content.decode()
    assert "Đã thêm Lê Thu Hà" in listed and "0966 555 446" in listed
    assert AuditEvent.objects.filter(
        action="office.staff_add", actor=seats["head"].user, object_id=str(office.pk),
        after={"user": added.pk, "role": "specialist"},
    ).exists()  # fmt: skip
    assert AuditEvent.objects.filter(action="user.create", actor=seats["head"].user, object_id=str(added.pk))
    # The role is not the head's to choose: a posted one is ignored.
    head.post(f"/office/{office.code}/staff/", {"full_name": "Ai Đó", "phone": "0966555447", "role": "head"})
    assert OfficeStaff.objects.get(user__phone="+84966555447").role == "specialist"
    again = head.post(f"/office/{office.code}/staff/", {"full_name": "Lê Thu Hà", "phone": "0966555446"})
    assert again.status_code == 400 and "đã là cán bộ của đơn vị" in again.content.decode()

    # Their first sign-in: a code, then a password (as a school's staff, not a parent's code-only session).
    person = Client()
    person.post("/login/code/", {"phone": "0966 555 446"})
    code = OTP_RE.search(Message.objects.get(recipient="+84966555446").body).group(1)
    assert person.post("/login/code/verify/", {"code": code})["Location"] == "/login/password/"
    done = person.post("/login/password/", {"password1": "Hoa-mai-2026", "password2": "Hoa-mai-2026"})
    assert done["Location"] == "/home/"
    assert person.session.get_expiry_age() < 30 * 24 * 3600
    assert person.get("/office/")["Location"] == f"/office/{office.code}/"


def test_the_head_removes_a_specialist_after_a_confirmation(world, office):
    office, seats = office
    head = signed_in(seats["head"].user)
    path = f"/office/{office.code}/staff/{seats['specialist'].pk}/remove/"
    preview = head.get(path)
    assert preview.status_code == 200
    assert "Gỡ Trần Chuyên Viên khỏi đơn vị?" in preview.content.decode()
    assert head.post(path).status_code == 200  # no confirmation: the preview again, nothing done
    assert OfficeStaff.objects.filter(pk=seats["specialist"].pk).exists()
    response = head.post(path, {"confirm": confirm_token(preview)})
    assert response.status_code == 302 and response["Location"] == f"/office/{office.code}/staff/"
    assert not OfficeStaff.objects.filter(pk=seats["specialist"].pk).exists()
    assert User.objects.filter(pk=seats["specialist"].user_id).exists()  # the account stays
    assert "Đã gỡ Trần Chuyên Viên khỏi đơn vị." in head.get(response["Location"]).content.decode()
    assert AuditEvent.objects.filter(
        action="office.staff_remove", actor=seats["head"].user, object_id=str(office.pk),
        before={"user": seats["specialist"].user_id, "role": "specialist"},
    ).exists()  # fmt: skip
    assert signed_in(seats["specialist"].user).get(f"/office/{office.code}/").status_code == 404


def test_a_head_cannot_remove_himself_and_the_last_head_stays(world, office):
    office, seats = office
    head = signed_in(seats["head"].user)
    own = f"/office/{office.code}/staff/{seats['head'].pk}/remove/"
    response = head.post(own, {"confirm": confirm_token(head.get(own))})
    assert response.status_code == 302
    assert "Bạn không thể tự gỡ mình khỏi đơn vị." in head.get(response["Location"]).content.decode()
    assert OfficeStaff.objects.filter(pk=seats["head"].pk).exists()
    # Two heads removing each other: the first succeeds, the second finds the last head (the service
    # decides under the office's row lock, whatever page the request came from).
    deputy = OfficeStaff.objects.create(
        office=office, user=User.objects.create_user("0912000003", full_name="Phó Phòng"), role="head"
    )
    office_staff_remove(actor=seats["head"].user, office=office, seat_id=deputy.pk)
    with pytest.raises(OfficeError, match="lãnh đạo duy nhất"):
        office_staff_remove(actor=deputy.user, office=office, seat_id=seats["head"].pk)
    # The console too keeps the last head: the platform admin adds another first.
    console = signed_in(world.platform_admin)
    response = console.post(f"/console/offices/{office.code}/staff/{seats['head'].pk}/remove/")
    assert response.status_code == 302
    assert "lãnh đạo duy nhất" in console.get(response["Location"]).content.decode()
    assert OfficeStaff.objects.filter(pk=seats["head"].pk).exists()
    assert AuditEvent.objects.filter(action="office.staff_remove").count() == 1  # the deputy's only


def test_an_office_without_specialists_shows_its_head_and_the_next_step(world, office):
    office, seats = office
    seats["specialist"].delete()
    page = signed_in(seats["head"].user).get(f"/office/{office.code}/staff/").content.decode()
    assert "Nguyễn Trưởng Phòng" in page and "Đơn vị chưa có chuyên viên nào." in page
    assert 'name="phone"' in page
