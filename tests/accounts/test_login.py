"""Login with phone + password, lockout, and the first-login flow through the pages."""

from django.test import override_settings

from messaging.models import Message
from schoolbook.audit.models import AuditEvent
from tests.conftest import OTP_RE, TEST_PASSWORD


def test_login_accepts_any_written_form_of_the_phone(client, world):
    response = client.post("/login/", {"phone": "+84 900.000.013", "password": TEST_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/home/"
    assert AuditEvent.objects.filter(action="login.succeeded", actor=world.teacher_a).exists()


def test_wrong_password_is_a_clear_error_and_audited(client, world):
    response = client.post("/login/", {"phone": "0900000013", "password": "sai-mat-khau"})
    assert response.status_code == 200
    assert "Số điện thoại hoặc mật khẩu không đúng." in response.content.decode()
    assert AuditEvent.objects.filter(action="login.failed", object_repr="+84900000013").exists()


@override_settings(LOGIN_MAX_FAILURES=3)
def test_repeated_failures_lock_the_phone_even_for_the_right_password(client, world):
    for _ in range(3):
        client.post("/login/", {"phone": "0900000013", "password": "sai"})
    response = client.post("/login/", {"phone": "0900000013", "password": TEST_PASSWORD})
    assert "Đăng nhập sai quá nhiều lần" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_next_is_followed_only_within_the_site(client, world):
    ok = client.post("/login/?next=/s/test-a/", {"phone": "0900000013", "password": TEST_PASSWORD})
    assert ok["Location"] == "/s/test-a/"
    client.logout()
    evil = client.post(
        "/login/?next=https://evil.example/", {"phone": "0900000013", "password": TEST_PASSWORD}
    )
    assert evil["Location"] == "/home/"


def test_staff_first_login_with_a_code_then_a_password(client, world):
    from django_tenants.utils import schema_context

    from accounts.models import User
    from tests.factories import staff_make

    with schema_context(world.school_a.schema_name):
        staff_make(world, "0966 555 444", "Giáo Viên Mới")
    user = User.objects.get(phone="+84966555444")
    assert client.post("/login/", {"phone": "0966555444", "password": "anything"}).status_code == 200
    response = client.post("/login/code/", {"phone": "0966 555 444"})
    assert response["Location"] == "/login/code/verify/"
    assert "0966 555 444" in client.get("/login/code/verify/").content.decode()
    code = OTP_RE.search(Message.objects.get(recipient="+84966555444").body).group(1)
    wrong = client.post("/login/code/verify/", {"code": "000000" if code != "000000" else "111111"})
    assert "Bạn còn 4 lần thử" in wrong.content.decode()
    assert client.post("/login/code/verify/", {"code": code})["Location"] == "/login/password/"
    mismatch = client.post("/login/password/", {"password1": "Hoa-mai-2026", "password2": "Hoa-dao-2026"})
    assert "Hai mật khẩu không khớp." in mismatch.content.decode()
    done = client.post("/login/password/", {"password1": "Hoa-mai-2026", "password2": "Hoa-mai-2026"})
    assert done["Location"] == "/home/"
    user.refresh_from_db()
    assert user.check_password("Hoa-mai-2026")
    assert client.get("/home/")["Location"] == "/s/test-a/"  # a teacher of one school: its home
    assert client.session.get_expire_at_browser_close() is False
    assert client.session.get_expiry_age() < 30 * 24 * 3600  # the default session, not a parent's


def test_a_person_without_a_school_signs_in_with_a_code_alone(client, world):
    from accounts.models import User

    User.objects.create_user("0966 555 445", full_name="Người Mới")
    client.post("/login/code/", {"phone": "0966 555 445"})
    code = OTP_RE.search(Message.objects.get(recipient="+84966555445").body).group(1)
    assert client.post("/login/code/verify/", {"code": code})["Location"] == "/home/"
    empty = client.get("/home/").content.decode()
    assert "chưa thuộc trường nào" in empty  # no school yet: an explained empty state


def test_password_page_needs_a_verified_code(client, world):
    assert client.get("/login/password/")["Location"] == "/login/code/"
    assert client.get("/login/code/verify/")["Location"] == "/login/code/"


def test_logout_is_post_only(client, world):
    client.force_login(world.teacher_a)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/")["Location"] == "/login/"


@override_settings(LOGIN_MAX_FAILURES_PER_IP=30)
def test_one_address_spraying_many_phones_is_stopped_before_any_hashing(client, world, monkeypatch):
    from django.test import Client

    from accounts import services

    hashed = []
    real = services.authenticate
    monkeypatch.setattr(
        services, "authenticate", lambda *a, **kw: hashed.append(kw["phone"]) or real(*a, **kw)
    )
    statuses = [
        client.post("/login/", {"phone": f"0912345{n:03d}", "password": "Mat-khau-1"}).status_code
        for n in range(60)
    ]
    assert statuses == [200] * 30 + [429] * 30
    assert len(hashed) == 30  # the 30 refused tries never reached the password hasher
    # The right password from that address is refused too, with a clear message, and signs nobody in.
    blocked = client.post("/login/", {"phone": "0900000013", "password": TEST_PASSWORD})
    assert blocked.status_code == 429
    assert "Có quá nhiều lần đăng nhập sai từ thiết bị này. Vui lòng thử lại sau 60 phút." in (
        blocked.content.decode()
    )
    assert "_auth_user_id" not in client.session and len(hashed) == 30
    # Another address is not affected.
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert elsewhere.post("/login/", {"phone": "0900000013", "password": TEST_PASSWORD}).status_code == 302


@override_settings(LOGIN_MAX_FAILURES_PER_IP=3)
def test_the_address_limit_uses_the_proxy_header_and_counts_failures_only(client, world):
    for _ in range(5):  # successes do not count: a school's staff behind one address all sign in
        assert client.post("/login/", {"phone": "0900000013", "password": TEST_PASSWORD}).status_code == 302
        client.logout()
    for _ in range(3):
        client.post("/login/", {"phone": "0900000013", "password": "sai"}, HTTP_X_REAL_IP="198.51.100.7")
    proxied = client.post(
        "/login/", {"phone": "0900000012", "password": TEST_PASSWORD}, HTTP_X_REAL_IP="198.51.100.7"
    )
    assert proxied.status_code == 429
    assert client.post("/login/", {"phone": "0900000012", "password": TEST_PASSWORD}).status_code == 302


def test_a_password_hashed_with_older_argon2_parameters_is_rehashed_at_sign_in(client, world):
    """Django's own Argon2 defaults (100 MiB, 8 lanes) were ours before OWASP's (accounts.hashers): such a
    hash still signs in, and is stored again with the new parameters; the next sign-in leaves it alone."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from accounts.models import User

    old = Argon2PasswordHasher()
    user = User.objects.create_user("0966 777 888", full_name="Phụ Huynh Cũ")
    user.password = old.encode(TEST_PASSWORD, old.salt())
    user.save(update_fields=["password"])
    assert "$m=102400,t=2,p=8$" in user.password

    assert client.post("/login/", {"phone": "0966777888", "password": TEST_PASSWORD})["Location"] == "/home/"
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(TEST_PASSWORD)

    rehashed = user.password
    client.logout()
    assert client.post("/login/", {"phone": "0966777888", "password": TEST_PASSWORD})["Location"] == "/home/"
    user.refresh_from_db()
    assert user.password == rehashed


def test_new_passwords_are_hashed_with_owasp_parameters(world):
    from accounts.models import User

    user = User(phone="+84966777889")
    user.set_password(TEST_PASSWORD)
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
