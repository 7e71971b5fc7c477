"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as Google Authenticator and Microsoft
Authenticator compute them: HMAC-SHA1, 30-second steps, 6 digits, base32 secrets. The arithmetic is pyotp's;
this module adds what the 2FA service needs around it: the time step a code belongs to (so a used code is
refused next time), codes typed with spaces, and the otpauth:// URI with every parameter spelled out."""

import base64
import hmac
import time
from urllib.parse import quote, urlencode

import pyotp

STEP_SECONDS = 30
DIGITS = 6
# One step either side: a phone clock off by up to ~30 s, or a code typed just as it rolled over.
WINDOW = 1
SECRET_LENGTH = 32  # base32 characters: 160 bits, the HMAC-SHA1 block-friendly size RFC 4226 recommends


def secret_generate() -> str:
    """A new random secret, base32 without padding (what authenticator apps expect)."""
    return pyotp.random_base32(SECRET_LENGTH)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret.replace(" ", "").upper(), digits=DIGITS, interval=STEP_SECONDS)


def _key(secret: str) -> bytes:
    return _totp(secret).byte_secret()


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226. `digits` other than 6 only for the RFC's 8-digit test vectors."""
    return pyotp.HOTP(base64.b32encode(key).decode("ascii"), digits=digits).at(counter)


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def code_at(secret: str, unix_time: float) -> str:
    return _totp(secret).generate_otp(step_at(unix_time))


def code_step(secret: str, code: str, unix_time: float | None = None) -> int | None:
    """The time step whose code `code` is, within the window around `unix_time`, or None. The caller stores
    the step so the same code (or an older one) is refused next time; pyotp's verify() only says yes or no,
    so the window is walked here."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = step_at(time.time() if unix_time is None else unix_time)
    otp = _totp(secret)
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(otp.generate_otp(step), code):
            return step
    return None


def secret_grouped(secret: str) -> str:
    """'JBSW Y3DP …': easier to type into an app by hand than one long run of letters."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// URI authenticator apps import (Key URI Format). Not pyotp's provisioning_uri(): that one
    leaves the defaults (algorithm, digits, period) out and the label's colon unencoded, and the URI in the QR
    code people scan stays as it was."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS,
                       "period": STEP_SECONDS}, quote_via=quote)  # fmt: skip
    return f"otpauth://totp/{label}?{query}"
