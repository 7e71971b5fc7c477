"""Accounts: people by phone number, one-time codes, passwords, logins. Every write is audited."""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import HomeVisit, OneTimeCode, User
from schoolbook import ratelimit
from schoolbook.audit.services import audit_record, client_ip
from schoolbook.forms import phone_error_text
from schoolbook.phones import PhoneError, normalize_phone


class AccountError(ValueError):
    """A user-facing refusal; str() is the message, in the language active when it was raised."""


class TooManyAttempts(AccountError):
    """A refusal because of a rate limit: the page answers 429."""


# How a login code reaches the phone. messaging sits above accounts, so accounts does not import it: the
# composition layer registers the sender at start-up (schoolbook.apps), and no code is issued without one.
_code_senders: list[Callable[..., None]] = []


def code_sender_register(send: Callable[..., None]) -> None:
    """`send(recipient=e164, body=text)` puts one login code on its way; the last one registered is used."""
    _code_senders.append(send)


@dataclass(frozen=True)
class CodeRequest:
    phone: str  # E.164
    legacy_from: str | None


def user_get_or_create(*, phone: str, full_name: str = "", actor=None) -> User:
    e164 = normalize_phone(phone).e164
    user = User.objects.filter(phone=e164).first()
    if user is None:
        user = User.objects.create_user(e164, full_name=full_name.strip())
        audit_record(actor=actor, action="user.create", obj=user, after={"phone": e164})
    elif full_name and not user.full_name:
        user.full_name = full_name.strip()
        user.save(update_fields=["full_name"])
    return user


def _code_hash(user_id: int, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def otp_request(*, phone: str) -> CodeRequest:
    """Send a 6-digit code to a known, active user. The answer is the same for unknown numbers, so the
    page cannot be used to find out who has an account; the limits apply to both, and so does the time it
    takes: sending a code costs a few queries an unknown number does not, so every answer waits until
    OTP_REQUEST_MIN_SECONDS have passed."""
    started = time.monotonic()
    try:
        return _otp_request(phone)
    finally:
        time.sleep(max(0.0, started + settings.OTP_REQUEST_MIN_SECONDS - time.monotonic()))


def _otp_request(phone: str) -> CodeRequest:
    try:
        normalized = normalize_phone(phone)
    except PhoneError as error:
        raise AccountError(phone_error_text(error)) from error
    e164 = normalized.e164
    ip = client_ip() or "unknown"
    if ratelimit.hit(f"otp:ip:{ip}", 3600) > settings.OTP_MAX_PER_IP_PER_HOUR:
        raise AccountError(gettext("Có quá nhiều yêu cầu mã từ thiết bị này. Vui lòng thử lại sau một giờ."))
    cooldown_key = f"otp:cooldown:{e164}"
    if not ratelimit.start_cooldown(cooldown_key, settings.OTP_RESEND_COOLDOWN_SECONDS):
        wait = ratelimit.seconds_left(cooldown_key)
        raise AccountError(
            ngettext(
                "Mã vừa được gửi. Vui lòng đợi %(wait)d giây trước khi gửi lại.",
                "Mã vừa được gửi. Vui lòng đợi %(wait)d giây trước khi gửi lại.",
                wait,
            )
            % {"wait": wait}
        )
    if ratelimit.hit(f"otp:phone:{e164}", 3600) > settings.OTP_MAX_PER_PHONE_PER_HOUR:
        raise AccountError(
            gettext("Số điện thoại này đã nhận quá nhiều mã trong một giờ. Vui lòng thử lại sau.")
        )
    ratelimit.clear(_tries_key(e164))  # a new code, new tries: for every number, known or not
    user = User.objects.filter(phone=e164, is_active=True).first()
    if user is not None:
        _issue_code(user)
    return CodeRequest(phone=e164, legacy_from=normalized.legacy_from)


@transaction.atomic
def _issue_code(user: User) -> None:
    now = timezone.now()
    OneTimeCode.objects.filter(user=user, used_at=None, revoked_at=None).update(revoked_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    otp = OneTimeCode.objects.create(
        user=user,
        purpose=OneTimeCode.Purpose.SET_PASSWORD,
        code_hash=_code_hash(user.pk, code),
        expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
    )
    # Plain ASCII on purpose: one GSM-7 segment instead of two UCS-2 ones. In the language of the person
    # who asked for the code (the language active during their request).
    minutes = settings.OTP_TTL_SECONDS // 60
    body = ngettext(
        # Translators: an SMS. Plain ASCII only (no accents, no curly quotes); keep "Schoolbook: %(code)s".
        "Ma xac thuc Schoolbook: %(code)s. Hieu luc %(minutes)d phut. Khong chia se ma nay cho bat ky ai.",
        "Ma xac thuc Schoolbook: %(code)s. Hieu luc %(minutes)d phut. Khong chia se ma nay cho bat ky ai.",
        minutes,
    ) % {"code": code, "minutes": minutes}
    if not _code_senders:
        raise ImproperlyConfigured("No login code sender registered (schoolbook.apps registers messaging's).")
    _code_senders[-1](recipient=user.phone, body=body)
    audit_record(actor=user, action="otp.sent", obj=otp, object_repr=user.phone)


def otp_verify(*, phone: str, code: str) -> User:
    """Check a code. A wrong guess is counted (committed) before the error is raised. A number without an
    account (or without a live code) gets the same words, the same count of tries left and the same
    queries as a wrong guess at a real code, so this page cannot tell who has an account either."""
    code = "".join(ch for ch in code if not ch.isspace())
    try:
        e164 = normalize_phone(phone).e164
    except PhoneError:
        e164 = None
    with transaction.atomic():
        user, error = _check_code(e164, code) if e164 else (None, None)
    if user is None:
        raise AccountError(
            error or gettext("Mã không đúng hoặc đã hết hạn. Vui lòng kiểm tra lại hoặc yêu cầu mã mới.")
        )
    return user


def _tries_key(e164: str) -> str:
    return f"otp:tries:{e164}"


def _check_code(e164: str, code: str) -> tuple[User | None, str | None]:
    """Every path does the same work whether `e164` has an account: one locking SELECT, one HMAC, one
    Redis count, then on a wrong code one UPDATE (of no row, id 0, when there is no code), one audit row
    and one Redis increment. Tries are counted per number in Redis (reset by each code request), so an unknown
    number runs out of tries exactly like a known one; the code's own `attempts` stays as a second lock."""
    otp = (
        OneTimeCode.objects.select_for_update()
        .select_related("user")
        .filter(user__phone=e164, used_at=None, revoked_at=None)
        .order_by("-created_at")
        .first()
    )
    tries_key = _tries_key(e164)
    locked = gettext("Mã này đã bị khóa vì nhập sai quá nhiều lần. Vui lòng yêu cầu mã mới.")
    well_formed = len(code) == 6 and code.isdigit()
    matches = hmac.compare_digest(otp.code_hash if otp else "", _code_hash(otp.user_id if otp else 0, code))
    if ratelimit.count(tries_key) >= settings.OTP_MAX_ATTEMPTS or (
        otp is not None and otp.attempts >= settings.OTP_MAX_ATTEMPTS
    ):
        return None, locked
    if otp is not None and otp.expires_at > timezone.now() and well_formed and matches:
        otp.used_at = timezone.now()
        otp.save(update_fields=["used_at"])
        ratelimit.clear(tries_key)
        audit_record(actor=otp.user, action="otp.verified", obj=otp, object_repr=e164)
        return otp.user, None
    OneTimeCode.objects.filter(pk=otp.pk if otp else 0).update(attempts=F("attempts") + 1)  # 0: no row
    audit_record(actor=otp.user if otp else None, action="otp.failed", obj=otp, object_repr=e164)
    left = settings.OTP_MAX_ATTEMPTS - ratelimit.hit(tries_key, settings.OTP_TTL_SECONDS)
    if left <= 0:
        return None, locked
    return None, ngettext(
        "Mã không đúng hoặc đã hết hạn. Bạn còn %(left)d lần thử.",
        "Mã không đúng hoặc đã hết hạn. Bạn còn %(left)d lần thử.",
        left,
    ) % {"left": left}


@transaction.atomic
def password_set(*, user: User, password: str) -> None:
    """Raises django.core.exceptions.ValidationError with the validators' messages (active language)."""
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    ratelimit.clear(f"login:fail:{user.phone}")
    audit_record(actor=user, action="password.set", obj=user)


def login_check(*, phone: str, password: str) -> User:
    """Phone + password, with a lockout after repeated failures. Returns the user to log in."""
    wrong = AccountError(gettext("Số điện thoại hoặc mật khẩu không đúng."))
    # Per address first, before any password is hashed: one address trying one password on many phones
    # (each a fresh Argon2 hash) is stopped here whatever the phones are.
    ip_key = f"login:ip:{client_ip() or 'unknown'}"
    if ratelimit.count(ip_key) >= settings.LOGIN_MAX_FAILURES_PER_IP:
        minutes = max(-(-ratelimit.seconds_left(ip_key) // 60), 1)  # rounded up
        raise TooManyAttempts(
            ngettext(
                "Có quá nhiều lần đăng nhập sai từ thiết bị này. Vui lòng thử lại sau %(minutes)d phút.",
                "Có quá nhiều lần đăng nhập sai từ thiết bị này. Vui lòng thử lại sau %(minutes)d phút.",
                minutes,
            )
            % {"minutes": minutes}
        )
    try:
        e164 = normalize_phone(phone).e164
    except PhoneError as error:
        raise AccountError(phone_error_text(error)) from error
    fail_key = f"login:fail:{e164}"
    if ratelimit.count(fail_key) >= settings.LOGIN_MAX_FAILURES:
        minutes = max(ratelimit.seconds_left(fail_key) // 60, 1)
        raise TooManyAttempts(
            ngettext(
                "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút "
                "hoặc dùng “Quên mật khẩu”.",
                "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút "
                "hoặc dùng “Quên mật khẩu”.",
                minutes,
            )
            % {"minutes": minutes}
        )
    user = authenticate(None, phone=e164, password=password)
    if user is None:
        ratelimit.hit(fail_key, settings.LOGIN_LOCKOUT_SECONDS)
        ratelimit.hit(ip_key, settings.LOGIN_IP_WINDOW_SECONDS)
        audit_record(actor=None, action="login.failed", object_repr=e164)
        raise wrong
    ratelimit.clear(fail_key)
    audit_record(actor=user, action="login.succeeded", obj=user)
    return user


HOME_VISIT_TOUCH = timedelta(minutes=1)


def home_visit_record(*, user: User, now=None):
    """Records a view of the home page and answers "new since when" for the parent hub: the last view of the
    previous visit, or FIRST_VISIT_NEWS ago on a first visit. A view less than HOME_VISIT_GAP after the one
    before belongs to the same visit (reloading the page keeps the news marked new). Not audited: a read
    receipt like last_login, not a change anyone made.

    A view less than HOME_VISIT_TOUCH after the recorded one writes nothing (a parent going back and forth
    between home and a child's pages would write on every tap): the recorded last view may be up to a
    minute early, against a gap of HOME_VISIT_GAP."""
    now = now or timezone.now()
    # Read on every view of the parent's home: plain SQL skips building the query and the model instance,
    # most of a simple read's cost.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT last_seen_at, news_since FROM {HomeVisit._meta.db_table} WHERE user_id = %s", [user.pk]
        )
        seen = cursor.fetchone()
    if seen is not None and timedelta(0) <= now - seen[0] < HOME_VISIT_TOUCH:
        return seen[1]
    with transaction.atomic():
        visit = HomeVisit.objects.select_for_update().filter(user=user).first()
        if visit is None:
            visit = HomeVisit(user=user, news_since=now - settings.FIRST_VISIT_NEWS)
        elif now - visit.last_seen_at > settings.HOME_VISIT_GAP:
            visit.news_since = visit.last_seen_at
        visit.last_seen_at = now
        visit.save()
    return visit.news_since
