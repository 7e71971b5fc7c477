"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as Google Authenticator and Microsoft
Authenticator compute them: HMAC-SHA1, 30-second steps, 6 digits, base32 secrets. Plain Python, no Django,
so the arithmetic is tested against the RFC's own vectors."""

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
# One step either side: a phone clock off by up to ~30 s, or a code typed just as it rolled over.
WINDOW = 1
SECRET_BYTES = 20  # 160 bits, the HMAC-SHA1 block-friendly size RFC 4226 recommends


def secret_generate() -> str:
    """A new random secret, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226. `digits` other than 6 only for the RFC's 8-digit test vectors."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def code_at(secret: str, unix_time: float) -> str:
    return hotp(_key(secret), step_at(unix_time))


def code_step(secret: str, code: str, unix_time: float | None = None) -> int | None:
    """The time step whose code `code` is, within the window around `unix_time`, or None. The caller stores
    the step so the same code (or an older one) is refused next time."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = step_at(time.time() if unix_time is None else unix_time)
    key = _key(secret)
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def secret_grouped(secret: str) -> str:
    """'JBSW Y3DP …': easier to type into an app by hand than one long run of letters."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// URI authenticator apps import (Key URI Format)."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS,
                       "period": STEP_SECONDS}, quote_via=quote)  # fmt: skip
    return f"otpauth://totp/{label}?{query}"
