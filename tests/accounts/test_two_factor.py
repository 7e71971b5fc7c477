"""Staff two-factor authentication (TOTP): the RFC arithmetic, setup, verification, replay, recovery codes,
the rate limit, who is asked, and where (school pages, the console). The setting is on in this file only."""

import re
import time

import pytest
import segno
from django_tenants.utils import schema_context

from accounts import services_2fa, totp
from accounts.models import TwoFactor
from schoolbook.audit.models import AuditEvent
from schoolbook.sealed import unseal
from tests.conftest import OTP_RE

# RFC 6238 Appendix B, SHA-1 rows: the ASCII key "12345678901234567890", 8 digits.
RFC_KEY = b"12345678901234567890"
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.fixture(autouse=True)
def two_factor_on(_staff_2fa_off, settings):
    settings.STAFF_2FA_REQUIRED = True


@pytest.mark.parametrize(("unix_time", "expected"), RFC_VECTORS)
def test_rfc6238_appendix_b_vectors(unix_time, expected):
    assert totp.hotp(RFC_KEY, totp.step_at(unix_time), digits=8) == expected


def test_codes_are_accepted_one_step_either_side_only():
    secret = totp.secret_generate()
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    now = 1_700_000_015.0
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        code = totp.code_at(secret, now + offset * 30)
        assert totp.code_step(secret, code, now) == step + offset
        assert totp.code_step(secret, f"{code[:3]} {code[3:]}", now) == step + offset  # typed with a space
    neighbours = {totp.code_at(secret, now + k * 30) for k in (-1, 0, 1)}
    far = totp.code_at(secret, now - 90)
    if far not in neighbours:
        assert totp.code_step(secret, far, now) is None
    assert totp.code_step(secret, "12345", now) is None
    assert totp.code_step(secret, "abcdef", now) is None


def test_uri_and_grouped_secret_for_manual_entry():
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert totp.secret_grouped(secret) == "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
    assert totp.provisioning_uri(secret, account="+84900000012", issuer="Schoolbook") == (
        "otpauth://totp/Schoolbook%3A%2B84900000012?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        "&issuer=Schoolbook&algorithm=SHA1&digits=6&period=30"
    )
    assert totp.code_at(secret, 0) == totp.hotp(totp._key(secret.lower()), 0)


QR_PATH_RE = re.compile(
    r'<figure class="two-factor-qr"[^>]*><svg role="img"[^>]*>.*?<path class="qrline"[^>]* d="([^"]+)"'
)


def _qr_path(data):
    """The module path segno draws for `data` (the symbol itself, whatever the styling around it)."""
    svg = segno.make(data, error="m").svg_inline(scale=5)
    return re.search(r'd="(M[^"]+)"', svg.split('class="qrline"')[1]).group(1)


def test_setup_page_shows_a_qr_code_of_the_otpauth_uri(client, world):
    client.force_login(world.admin_a)
    setup = client.get("/account/2fa/")
    enrolment = setup.context["enrolment"]
    page = setup.content.decode()
    shown = QR_PATH_RE.search(page)
    assert shown, "an inline SVG QR code beside the secret"
    assert shown.group(1) == _qr_path(enrolment.uri)
    assert "<title>Mã QR thiết lập xác thực hai lớp</title>" in page
    # Another secret draws another symbol: the picture is this account's URI, not a decoration.
    other = totp.provisioning_uri(totp.secret_generate(), account=world.admin_a.phone, issuer="Schoolbook")
    assert _qr_path(other) != shown.group(1)
    assert enrolment.secret_grouped in page  # the manual key stays for apps that cannot scan


def _wrong_code(secret):
    valid = {totp.code_at(secret, time.time() + k * 30) for k in (-2, -1, 0, 1, 2)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in valid)


def _enrol(user):
    """A confirmed setup, as the setup page makes it: (secret, recovery codes, the code used)."""
    secret = services_2fa.setup_begin(user=user).secret
    code = totp.code_at(secret, time.time())
    return secret, services_2fa.setup_confirm(user=user, code=code), code


def _audits(action, user, **filters):
    """2FA belongs to the person, not to a school: its events are in the public schema's audit log."""
    with schema_context("public"):
        return AuditEvent.objects.filter(action=action, actor=user, **filters).count()


def test_principal_sets_up_2fa_and_sees_recovery_codes_once(client, world):
    client.force_login(world.principal_a)
    response = client.get("/s/test-a/staff/?q=V%C5%A9")
    assert response.status_code == 302
    assert response["Location"] == "/account/2fa/?next=%2Fs%2Ftest-a%2Fstaff%2F%3Fq%3DV%25C5%25A9"
    setup = client.get(response["Location"])
    page = setup.content.decode()
    enrolment = setup.context["enrolment"]
    assert "Thiết lập xác thực hai lớp" in page
    assert enrolment.secret_grouped in page and "otpauth://totp/Schoolbook" in page
    # Reloading keeps the secret (an app that scanned it still works); the database holds it sealed only.
    assert client.get(response["Location"]).context["enrolment"].secret == enrolment.secret
    stored = TwoFactor.objects.get(user=world.principal_a)
    assert enrolment.secret not in stored.secret_sealed and unseal(stored.secret_sealed) == enrolment.secret

    wrong = client.post(response["Location"], {"code": _wrong_code(enrolment.secret)})
    assert "Mã không đúng" in wrong.content.decode() and "Bạn còn 4 lần thử" in wrong.content.decode()
    assert client.get("/s/test-a/staff/").status_code == 302  # still not passed

    done = client.post(response["Location"], {"code": totp.code_at(enrolment.secret, time.time())})
    assert done.status_code == 200
    codes = done.context["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    body = done.content.decode()
    assert all(code in body for code in codes) and "chỉ hiện một lần" in body
    assert 'href="/s/test-a/staff/?q=V%C5%A9"' in body
    stored.refresh_from_db()
    assert stored.confirmed_at is not None and len(stored.recovery_hashes) == 10
    assert not any(code in str(stored.recovery_hashes) for code in codes)
    assert client.session["2fa_user"] == world.principal_a.pk
    assert client.get("/s/test-a/staff/").status_code == 200
    assert _audits("two_factor.setup", world.principal_a) == 1
    assert _audits("two_factor.failed", world.principal_a) == 1
    # Set up: the page now asks for a code, never shows the secret again.
    other = client.__class__()
    other.force_login(world.principal_a)
    again = other.get("/account/2fa/").content.decode()
    assert "Xác thực hai lớp" in again and enrolment.secret_grouped not in again


def test_school_admin_verifies_and_a_code_is_accepted_once(client, world):
    secret, _, setup_code = _enrol(world.admin_a)
    client.force_login(world.admin_a)
    assert client.get("/s/test-a/")["Location"] == "/account/2fa/?next=%2Fs%2Ftest-a%2F"
    replay = client.post("/account/2fa/?next=/s/test-a/", {"code": setup_code})
    assert "Mã này đã được dùng" in replay.content.decode()
    fresh = totp.code_at(secret, time.time() + 30)  # the next step: inside the window, never used
    ok = client.post("/account/2fa/", {"code": fresh, "next": "/s/test-a/"})
    assert ok["Location"] == "/s/test-a/"
    assert client.get("/s/test-a/").status_code == 200
    # The same code again, from another browser: refused.
    other = client.__class__()
    other.force_login(world.admin_a)
    assert "Mã này đã được dùng" in other.post("/account/2fa/", {"code": fresh}).content.decode()
    assert _audits("two_factor.verified", world.admin_a) == 1
    assert _audits("two_factor.failed", world.admin_a, after={"replayed": True}) == 2


def test_recovery_code_works_once(client, world):
    _, recovery_codes, _ = _enrol(world.principal_a)
    client.force_login(world.principal_a)
    typed = recovery_codes[3].upper().replace("-", " ")  # case and separators do not matter
    assert client.post("/account/2fa/", {"code": typed, "next": "/s/test-a/"})["Location"] == "/s/test-a/"
    assert len(TwoFactor.objects.get(user=world.principal_a).recovery_hashes) == 9
    assert _audits("two_factor.recovery_used", world.principal_a, after={"recovery_codes_left": 9}) == 1
    other = client.__class__()
    other.force_login(world.principal_a)
    assert "Mã không đúng" in other.post("/account/2fa/", {"code": recovery_codes[3]}).content.decode()
    assert other.get("/s/test-a/").status_code == 302


def test_five_wrong_codes_lock_even_the_right_code_out(client, world):
    secret, _, _ = _enrol(world.principal_a)
    client.force_login(world.principal_a)
    wrong = _wrong_code(secret)
    for left in (4, 3, 2, 1):
        page = client.post("/account/2fa/", {"code": wrong}).content.decode()
        assert f"Bạn còn {left} lần thử" in page
    fifth = client.post("/account/2fa/", {"code": wrong}).content.decode()
    assert "Nhập sai mã quá nhiều lần. Vui lòng thử lại sau 15 phút." in fifth
    right = client.post("/account/2fa/", {"code": totp.code_at(secret, time.time() + 30)})
    assert right.status_code == 200 and "quá nhiều lần" in right.content.decode()
    assert "2fa_user" not in client.session
    assert _audits("two_factor.failed", world.principal_a) == 5
    assert _audits("two_factor.verified", world.principal_a) == 0


def test_teachers_and_parents_are_never_asked(client, world):
    from students.models import SchoolClass, SchoolYear
    from tests.factories import parent_make, student_enrol

    client.force_login(world.teacher_a)
    assert client.get("/s/test-a/").status_code == 200
    with schema_context(world.school_a.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        from students.models import GradeLevel

        school_class = SchoolClass.objects.create(
            name="6A9", grade=GradeLevel.objects.get(number=6), year=year
        )
        child = student_enrol("HS2FA", school_class, "Nguyễn Con")
        parent = parent_make(world, child, "0966111222", "Nguyễn Mẹ")
    client.force_login(parent)
    assert client.get("/s/test-a/").status_code == 200
    assert client.get("/home/").status_code == 200
    assert not TwoFactor.objects.filter(user__in=[world.teacher_a, parent]).exists()


def test_next_must_stay_on_the_site(client, world):
    secret, _, _ = _enrol(world.admin_a)
    client.force_login(world.admin_a)
    evil = "/account/2fa/?next=https://evil.example/steal"
    assert 'value="/home/"' in client.get(evil).content.decode()
    done = client.post(evil, {"code": totp.code_at(secret, time.time() + 30)})
    assert done["Location"] == "/home/"
    # Already passed: the page just sends the user on, to a safe place only.
    assert client.get("/account/2fa/?next=//evil.example/")["Location"] == "/home/"
    assert client.get("/account/2fa/?next=/s/test-a/")["Location"] == "/s/test-a/"


def test_console_asks_platform_admins_and_hides_from_others(client, world):
    client.force_login(world.teacher_a)
    assert client.get("/console/").status_code == 404  # not an admin: no page, no 2FA prompt
    client.force_login(world.platform_admin)
    assert client.get("/console/")["Location"] == "/account/2fa/?next=%2Fconsole%2F"
    assert client.post("/console/schools/test-b/suspend/", {"reason": "x"}).status_code == 302
    assert world.school_b.__class__.objects.get(pk=world.school_b.pk).is_active  # nothing happened
    setup = client.get("/account/2fa/?next=/console/")
    secret = setup.context["enrolment"].secret
    assert (
        client.post("/account/2fa/?next=/console/", {"code": totp.code_at(secret, time.time())}).status_code
        == 200
    )
    assert client.get("/console/").status_code == 200


def test_session_flag_belongs_to_one_user(client, world):
    _enrol(world.admin_a)
    client.force_login(world.admin_a)
    session = client.session
    session["2fa_user"] = world.principal_a.pk  # another user passed in this browser earlier
    session.save()
    assert client.get("/s/test-a/").status_code == 302
    session["2fa_user"] = world.admin_a.pk
    session.save()
    assert client.get("/s/test-a/").status_code == 200


def test_code_login_meets_the_same_check(client, world):
    from messaging.models import Message

    client.post("/login/code/", {"phone": "0900000012"})
    code = OTP_RE.search(Message.objects.filter(recipient="+84900000012").latest("pk").body).group(1)
    client.post("/login/code/verify/", {"code": code})
    done = client.post("/login/password/", {"password1": "Hoa-mai-2026", "password2": "Hoa-mai-2026"})
    assert done["Location"] == "/home/"
    assert client.get("/s/test-a/")["Location"] == "/account/2fa/?next=%2Fs%2Ftest-a%2F"


def test_setting_off_asks_nobody(client, world, settings):
    settings.STAFF_2FA_REQUIRED = False
    client.force_login(world.principal_a)
    assert client.get("/s/test-a/").status_code == 200
    client.force_login(world.platform_admin)
    assert client.get("/console/").status_code == 200


def test_platform_admin_resets_a_lost_2fa(client, world):
    _enrol(world.principal_a)
    client.force_login(world.teacher_a)
    assert client.get("/console/two-factor/").status_code == 404
    client.force_login(world.platform_admin)
    assert client.get("/console/two-factor/")["Location"] == "/account/2fa/?next=%2Fconsole%2Ftwo-factor%2F"
    session = client.session
    session["2fa_user"] = world.platform_admin.pk
    session.save()
    unknown = client.post("/console/two-factor/", {"phone": "0977000111"}).content.decode()
    assert "Không có tài khoản nào với số điện thoại này." in unknown
    none = client.post("/console/two-factor/", {"phone": "0900000013"}).content.decode()
    assert "chưa thiết lập xác thực hai lớp" in none
    done = client.post("/console/two-factor/", {"phone": "0900 000 012"}, follow=True)
    assert "Đã đặt lại xác thực hai lớp của Hoàng Hiệu Trưởng" in done.content.decode()
    assert not TwoFactor.objects.filter(user=world.principal_a).exists()
    assert _audits("two_factor.reset", world.platform_admin) == 1
    principal = client.__class__()
    principal.force_login(world.principal_a)
    setup = principal.get(principal.get("/s/test-a/")["Location"])
    assert "Thiết lập xác thực hai lớp" in setup.content.decode()


def _school_paths():
    """Every page of a school's URLconf as a path under /s/test-a/ (numbers for the converters: the
    middleware answers before any view looks the object up). Generated, so a new page is covered."""
    from django.urls import URLPattern, URLResolver

    from schoolbook import urls_school
    from schoolbook.access import MACHINE_PATHS

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                yield re.sub(r"<(?:\w+:)?\w+>", "1", route)

    return sorted({p for p in walk(urls_school.urlpatterns, "") if not p.startswith(MACHINE_PATHS)})


def test_2fa_follows_the_manager_and_money_permissions_for_every_role():
    from accounts.roles import Role
    from payments.permissions import FEE_MANAGERS
    from schoolbook.access import required_for_staff
    from students.models import StaffMember
    from students.permissions import MANAGERS

    for role in Role:
        expected = role in MANAGERS or role in FEE_MANAGERS
        assert required_for_staff(StaffMember(roles=[role])) == expected, role
    assert required_for_staff(StaffMember(roles=[Role.ACCOUNTANT]))
    assert not required_for_staff(None)


def test_vice_principal_is_sent_to_2fa_setup_on_every_manager_page(client, world):
    from accounts.roles import Role
    from tests.factories import staff_make

    with schema_context(world.school_a.schema_name):
        vice = staff_make(world, "0966 222 333", "Phó Hiệu Trưởng", roles=[Role.VICE_PRINCIPAL]).user
    client.force_login(vice)
    paths = _school_paths()
    assert {"staff/", "classes/rollover/", "students/1/transfer/"} <= set(paths)
    assert len(paths) > 60
    for path in paths:
        full = f"/s/test-a/{path}"
        for response in (client.get(full), client.post(full, {"confirm": "x"})):
            assert response.status_code == 302, full
            assert response["Location"].startswith("/account/2fa/?next="), full
    setup = client.get("/account/2fa/?next=/s/test-a/staff/")
    assert "Thiết lập xác thực hai lớp" in setup.content.decode()
    secret = setup.context["enrolment"].secret
    client.post("/account/2fa/?next=/s/test-a/staff/", {"code": totp.code_at(secret, time.time())})
    assert client.get("/s/test-a/staff/").status_code == 200  # a manager page, reached once 2FA is passed
    with schema_context(world.school_a.schema_name):  # none of the POSTs before 2FA changed anything
        assert not AuditEvent.objects.filter(actor=vice).exists()
