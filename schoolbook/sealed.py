"""Sealing secrets kept in the database (providers' OAuth tokens), so that a dump of the database alone does
not give them away: Fernet (AES-128-CBC and HMAC-SHA256, with a timestamp) under a key from configuration.

The key is `settings.SEALING_KEY` (a Fernet key: `Fernet.generate_key()`), or, when that is empty, one
derived from SECRET_KEY with HKDF-SHA256, so a deployment works without a second secret. Either way,
changing the key makes what was sealed before unreadable: `unseal` then raises `UnsealError` saying so, and
the provider's token has to be issued again.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

HKDF_INFO = b"schoolbook-sealing"


class UnsealError(ValueError):
    """A sealed value this deployment cannot open: sealed under another key, or damaged."""


def _fernet() -> Fernet:
    # Built on each call, not cached: the key follows settings (tests override them); HKDF takes microseconds.
    if settings.SEALING_KEY:
        try:
            return Fernet(settings.SEALING_KEY)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                "SEALING_KEY must be a Fernet key (32 bytes, url-safe base64): "
                'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            ) from exc
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(text: str) -> str:
    """`text` encrypted and authenticated, as ASCII for a text column. Sealing the same text twice gives two
    different tokens (a random IV), so equal secrets cannot be spotted in a dump."""
    return _fernet().encrypt(text.encode()).decode("ascii")


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise UnsealError(
            "cannot unseal: the value was sealed with another key (SEALING_KEY or SECRET_KEY changed) "
            "or is damaged"
        ) from exc
