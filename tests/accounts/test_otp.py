"""One-time codes: hashed at rest, 5-minute expiry, 5 tries, resend cooldown, per-phone and per-IP limits."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import OneTimeCode
from accounts.services import AccountError, otp_request, otp_verify, password_set
from messaging.models import Message
from schoolbook.audit.context import origin
from tests.conftest import OTP_RE, without_tokens

PHONE = "0900000013"  # the teacher of school A


def _ask(*, phone, ip="203.0.113.7"):
    """otp_request as a request from `ip` makes it (the address OriginMiddleware would set)."""
    with origin(address=ip):
        return otp_request(phone=phone)


def _sent_code(phone_e164="+84900000013") -> str:
    message = Message.objects.filter(purpose="otp", recipient=phone_e164).latest("created_at")
    return OTP_RE.search(message.body).group(1)


def test_code_is_sent_through_messaging_and_only_its_hash_is_stored(world):
    result = _ask(phone="+84 900 000 013")
    assert result.phone == "+84900000013"
    code = _sent_code()
    stored = OneTimeCode.objects.get(user=world.teacher_a)
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert Message.objects.get(purpose="otp").urgent is True
    assert otp_verify(phone=PHONE, code=code) == world.teacher_a
    with pytest.raises(AccountError):  # a code works once
        otp_verify(phone=PHONE, code=code)


def test_unknown_number_gets_the_same_answer_and_no_message(world):
    result = _ask(phone="0987654321")
    assert result.phone == "+84987654321"
    assert not Message.objects.filter(recipient="+84987654321").exists()


def test_legacy_eleven_digit_number_is_converted_and_reported(world):
    result = _ask(phone="01212345678")
    assert (result.phone, result.legacy_from) == ("+84792345678", "01212345678")


def test_invalid_phone_is_a_clear_error(world):
    with pytest.raises(AccountError, match="không hợp lệ"):
        _ask(phone="12ab")


def test_code_expires_after_five_minutes(world):
    _ask(phone=PHONE)
    code = _sent_code()
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(AccountError, match="hết hạn"):
        otp_verify(phone=PHONE, code=code)


def test_five_wrong_tries_lock_the_code_and_are_counted(world):
    _ask(phone=PHONE)
    code = _sent_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    messages = []
    for _ in range(5):
        with pytest.raises(AccountError) as error:
            otp_verify(phone=PHONE, code=wrong)
        messages.append(str(error.value))
    assert messages[0] == "Mã không đúng hoặc đã hết hạn. Bạn còn 4 lần thử."
    assert "khóa" in messages[-1]
    assert OneTimeCode.objects.get(user=world.teacher_a).attempts == 5
    with pytest.raises(AccountError, match="khóa"):  # even the right code no longer works
        otp_verify(phone=PHONE, code=code)


def test_resend_waits_for_the_cooldown_and_revokes_the_old_code(world):
    _ask(phone=PHONE)
    first = _sent_code()
    with pytest.raises(AccountError, match="đợi"):
        _ask(phone=PHONE)
    from schoolbook import ratelimit

    ratelimit.clear("otp:cooldown:+84900000013")  # the cooldown has passed
    _ask(phone=PHONE)
    second = _sent_code()
    assert OneTimeCode.objects.filter(user=world.teacher_a, revoked_at__isnull=False).count() == 1
    if first != second:
        with pytest.raises(AccountError):
            otp_verify(phone=PHONE, code=first)
    assert otp_verify(phone=PHONE, code=second) == world.teacher_a


@override_settings(OTP_RESEND_COOLDOWN_SECONDS=0, OTP_MAX_PER_PHONE_PER_HOUR=3)
def test_codes_per_phone_per_hour_are_limited(world):
    from schoolbook import ratelimit

    for _ in range(3):
        _ask(phone=PHONE)
        ratelimit.clear("otp:cooldown:+84900000013")
    with pytest.raises(AccountError, match="quá nhiều mã"):
        _ask(phone=PHONE)
    assert Message.objects.filter(purpose="otp").count() == 3


@override_settings(OTP_MAX_PER_IP_PER_HOUR=2)
def test_codes_per_ip_are_limited_across_phones(world):
    _ask(phone="0900000011", ip="198.51.100.1")
    _ask(phone="0900000012", ip="198.51.100.1")
    with pytest.raises(AccountError, match="thiết bị này"):
        _ask(phone="0900000013", ip="198.51.100.1")
    _ask(phone="0900000013", ip="198.51.100.2")  # another address is not blocked


def test_password_rules_are_enforced_and_nothing_is_saved_on_failure(world):
    from django.core.exceptions import ValidationError

    before = world.teacher_a.password
    for weak in ("12345678", "short", "password"):
        with pytest.raises(ValidationError):
            password_set(user=world.teacher_a, password=weak)
    world.teacher_a.refresh_from_db()
    assert world.teacher_a.password == before
    password_set(user=world.teacher_a, password="Trống-đồng-Đông-Sơn")
    world.teacher_a.refresh_from_db()
    assert world.teacher_a.password.startswith("argon2$")
    assert world.teacher_a.check_password("Trống-đồng-Đông-Sơn")


# --- no account enumeration ------------------------------------------------------------------------------

KNOWN, UNKNOWN = "0900000013", "0987654300"  # the teacher of school A; a number nobody has


def _normalized(response, phone) -> str:
    """The page without what must differ: the CSRF token and the number the person typed in."""
    from schoolbook.phones import format_national, normalize_phone

    shown = format_national(normalize_phone(phone).e164)
    page = without_tokens(response)
    return page.replace(shown, "PHONE").replace(quote(shown), "PHONE")


def _statements(queries) -> list[str]:
    """The SQL run, without its values: the same work, whatever row it found or did not."""
    return [re.sub(r"'[^']*'|\"s\d+_x\d+\"|\b\d+\b|\bNULL\b", "?", q["sql"]) for q in queries]


def test_the_code_pages_answer_a_known_and_an_unknown_number_alike(world):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    known, unknown = Client(REMOTE_ADDR="203.0.113.20"), Client(REMOTE_ADDR="203.0.113.21")
    asked = {
        phone: c.post("/login/code/", {"phone": phone}) for phone, c in ((KNOWN, known), (UNKNOWN, unknown))
    }
    assert asked[KNOWN].status_code == asked[UNKNOWN].status_code == 302
    assert asked[KNOWN]["Location"] == asked[UNKNOWN]["Location"] == "/login/code/verify/"
    assert _normalized(known.get("/login/code/verify/"), KNOWN) == _normalized(
        unknown.get("/login/code/verify/"), UNKNOWN
    )
    real = _sent_code()
    wrong = f"{(int(real) + 1) % 10**6:06d}"
    for attempt in range(1, 7):  # 4 left … 1 left, then locked, then still locked: word for word alike
        answers, work = {}, {}
        for phone, client in ((KNOWN, known), (UNKNOWN, unknown)):
            with CaptureQueriesContext(connection) as queries:
                answers[phone] = client.post("/login/code/verify/", {"code": wrong})
            work[phone] = _statements(queries.captured_queries)
        assert answers[KNOWN].status_code == answers[UNKNOWN].status_code == 200
        assert _normalized(answers[KNOWN], KNOWN) == _normalized(answers[UNKNOWN], UNKNOWN), attempt
        assert work[KNOWN] == work[UNKNOWN], attempt
        expected = "khóa" if attempt >= 5 else f"Bạn còn {5 - attempt} lần thử"
        assert expected in answers[UNKNOWN].content.decode()
    # Locked means locked for the real code too.
    assert "khóa" in known.post("/login/code/verify/", {"code": real}).content.decode()


@override_settings(OTP_REQUEST_MIN_SECONDS=0.25)
def test_asking_for_a_code_takes_as_long_for_an_unknown_number(world):
    import time

    taken = {}
    for phone, ip in ((KNOWN, "203.0.113.30"), (UNKNOWN, "203.0.113.31")):
        started = time.monotonic()
        _ask(phone=phone, ip=ip)
        taken[phone] = time.monotonic() - started
    assert Message.objects.filter(purpose="otp").count() == 1  # only the known number got a code
    assert taken[KNOWN] >= 0.25 and taken[UNKNOWN] >= 0.25
    with pytest.raises(AccountError):  # a refusal (here the resend cooldown) waits as long
        started = time.monotonic()
        _ask(phone=KNOWN, ip="203.0.113.30")
    assert time.monotonic() - started >= 0.25
