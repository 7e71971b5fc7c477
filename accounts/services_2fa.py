"""Staff two-factor authentication (TOTP): setup, verification, recovery codes, and who must pass it.

Enforced where the pages are (the school access middleware, the platform console), not at login, so every
way of logging in (password, SMS code then a new password) meets the same check. Passing is remembered in
the session for that user only (`SESSION_KEY` holds the user's pk)."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts import totp
from accounts.models import TwoFactor, User
from schoolbook import ratelimit
from schoolbook.audit.services import audit_record
from schoolbook.sealed import seal, unseal

SESSION_KEY = "2fa_user"
ISSUER = "Schoolbook"
RECOVERY_CODE_COUNT = 10
MAX_FAILURES = 5
LOCKOUT_SECONDS = 900


class TwoFactorError(ValueError):
    """A user-facing refusal; str() is the message."""


@dataclass(frozen=True)
class Enrolment:
    secret: str
    secret_grouped: str
    uri: str


def required_for_console(user) -> bool:
    return settings.STAFF_2FA_REQUIRED and user.is_platform_admin


def session_passed(session, user) -> bool:
    """Whether this session passed the authenticator check for this user (views write SESSION_KEY)."""
    return session.get(SESSION_KEY) == user.pk


def is_confirmed(user: User) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def setup_begin(*, user: User) -> Enrolment:
    """The secret to show while setting up. Reloading the page keeps the same secret, so an app that already
    scanned it still works; a confirmed setup is never replaced here."""
    two_factor, _ = TwoFactor.objects.get_or_create(
        user=user, defaults={"secret_sealed": seal(totp.secret_generate())}
    )
    if two_factor.confirmed_at is not None:
        raise TwoFactorError(gettext("Xác thực hai lớp đã được thiết lập cho tài khoản này."))
    secret = unseal(two_factor.secret_sealed)
    return Enrolment(
        secret=secret,
        secret_grouped=totp.secret_grouped(secret),
        uri=totp.provisioning_uri(secret, account=user.phone, issuer=ISSUER),
    )


def setup_confirm(*, user: User, code: str) -> list[str]:
    """The first correct code confirms the setup. Returns the recovery codes, in clear this once only."""
    _refuse_if_locked(user)
    with transaction.atomic():
        two_factor = TwoFactor.objects.select_for_update().filter(user=user, confirmed_at=None).first()
        if two_factor is None:
            raise TwoFactorError(gettext("Phiên thiết lập đã hết. Vui lòng tải lại trang."))
        step = totp.code_step(unseal(two_factor.secret_sealed), code)
        if step is not None:
            recovery_codes = [_recovery_code_new() for _ in range(RECOVERY_CODE_COUNT)]
            two_factor.confirmed_at = timezone.now()
            two_factor.last_step = step
            two_factor.recovery_hashes = [_recovery_hash(user.pk, c) for c in recovery_codes]
            two_factor.save(update_fields=["confirmed_at", "last_step", "recovery_hashes"])
            audit_record(actor=user, action="two_factor.setup", obj=two_factor)
    if step is None:
        _failed(user, two_factor)
    _passed(user)
    return recovery_codes


def verify(*, user: User, code: str) -> None:
    """A current authenticator code (each accepted once) or an unused recovery code (then spent)."""
    _refuse_if_locked(user)
    with transaction.atomic():
        two_factor = (
            TwoFactor.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
        )
        if two_factor is None:
            raise TwoFactorError(gettext("Tài khoản chưa thiết lập xác thực hai lớp."))
        step = totp.code_step(unseal(two_factor.secret_sealed), code)
        accepted = step is not None and (two_factor.last_step is None or step > two_factor.last_step)
        if accepted:
            two_factor.last_step = step
            two_factor.save(update_fields=["last_step"])
            audit_record(actor=user, action="two_factor.verified", obj=two_factor)
        elif step is None and (hashed := _recovery_hash(user.pk, code)) in two_factor.recovery_hashes:
            accepted = True
            two_factor.recovery_hashes.remove(hashed)
            two_factor.save(update_fields=["recovery_hashes"])
            audit_record(
                actor=user,
                action="two_factor.recovery_used",
                obj=two_factor,
                after={"recovery_codes_left": len(two_factor.recovery_hashes)},
            )
    if not accepted:
        _failed(user, two_factor, replayed=step is not None)
    _passed(user)


@transaction.atomic
def reset(*, actor: User, user: User) -> bool:
    """Remove a user's 2FA (lost phone and recovery codes): they set it up again at their next staff page."""
    deleted, _ = TwoFactor.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=actor, action="two_factor.reset", obj=user)
    return bool(deleted)


def _fail_key(user: User) -> str:
    return f"2fa:fail:{user.pk}"


def _refuse_if_locked(user: User) -> None:
    key = _fail_key(user)
    if ratelimit.count(key) >= MAX_FAILURES:
        minutes = max(ratelimit.seconds_left(key) // 60, 1)
        raise TwoFactorError(
            ngettext(
                "Nhập sai mã quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút.",
                "Nhập sai mã quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút.",
                minutes,
            )
            % {"minutes": minutes}
        )


def _failed(user: User, two_factor: TwoFactor, replayed: bool = False) -> None:
    """Count the failure (outside the transaction, so it stays counted), audit it, raise the message."""
    failures = ratelimit.hit(_fail_key(user), LOCKOUT_SECONDS)
    audit_record(actor=user, action="two_factor.failed", obj=two_factor, after={"replayed": replayed})
    if failures >= MAX_FAILURES:
        _refuse_if_locked(user)
    if replayed:
        message = gettext("Mã này đã được dùng. Vui lòng đợi mã mới trên ứng dụng xác thực.")
    else:
        message = gettext("Mã không đúng. Kiểm tra lại mã trên ứng dụng xác thực (mã đổi sau mỗi 30 giây).")
    left = MAX_FAILURES - failures
    raise TwoFactorError(
        message
        + " "
        + ngettext("Bạn còn %(left)d lần thử.", "Bạn còn %(left)d lần thử.", left) % {"left": left}
    )


def _passed(user: User) -> None:
    ratelimit.clear(_fail_key(user))


def _recovery_code_new() -> str:
    """Ten characters from an alphabet without look-alikes, shown as 'xxxxx-xxxxx'."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _recovery_hash(user_id: int, code: str) -> str:
    normalized = "".join(ch for ch in code.lower() if ch.isalnum())
    message = f"2fa-recovery:{user_id}:{normalized}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
