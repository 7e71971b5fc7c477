"""schoolbook.sealed: what is sealed opens only under the same key, whether the key is SEALING_KEY or derived
from SECRET_KEY, and never shows the secret."""

import base64

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from schoolbook.sealed import UnsealError, seal, unseal

KEY_1, KEY_2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
SECRET_1, SECRET_2 = "secret-key-one-" + "x" * 40, "secret-key-two-" + "y" * 40


@pytest.mark.parametrize(
    "text",
    ["zalo-access-token-AbC_123", "", "Sổ liên lạc điện tử: mật khẩu", "x" * 5000, "line\nbreak\ttab"],
)
@pytest.mark.parametrize("key", [KEY_1, ""], ids=["SEALING_KEY", "derived from SECRET_KEY"])
def test_seal_round_trip_hides_the_text(text, key):
    with override_settings(SEALING_KEY=key, SECRET_KEY=SECRET_1):
        token = seal(text)
        assert unseal(token) == text
        assert token.isascii()
        if text:
            assert text not in token
        assert seal(text) != token  # a random IV: equal secrets are not spotted in a dump


def test_the_derived_key_is_hkdf_sha256_of_secret_key():
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"schoolbook-sealing").derive(
        SECRET_1.encode()
    )
    token = Fernet(base64.urlsafe_b64encode(derived)).encrypt(b"from elsewhere").decode()
    with override_settings(SEALING_KEY="", SECRET_KEY=SECRET_1):
        assert unseal(token) == "from elsewhere"


@pytest.mark.parametrize(
    ("sealed_with", "opened_with"),
    [
        ({"SEALING_KEY": KEY_1}, {"SEALING_KEY": KEY_2}),
        ({"SEALING_KEY": "", "SECRET_KEY": SECRET_1}, {"SEALING_KEY": "", "SECRET_KEY": SECRET_2}),
        ({"SEALING_KEY": "", "SECRET_KEY": SECRET_1}, {"SEALING_KEY": KEY_1, "SECRET_KEY": SECRET_1}),
        ({"SEALING_KEY": KEY_1, "SECRET_KEY": SECRET_1}, {"SEALING_KEY": "", "SECRET_KEY": SECRET_1}),
    ],
    ids=["other SEALING_KEY", "other SECRET_KEY", "key set later", "key removed"],
)
def test_unseal_with_another_key_says_so(sealed_with, opened_with):
    with override_settings(**sealed_with):
        token = seal("zalo-refresh-token")
    with override_settings(**opened_with), pytest.raises(UnsealError, match="sealed with another key"):
        unseal(token)


@pytest.mark.parametrize(
    "token", ["", "not-a-token", "gAAAAABbroken", Fernet(KEY_1).encrypt(b"x").decode()[:-4]]
)
def test_unseal_of_damaged_tokens_raises_unseal_error(token):
    with override_settings(SEALING_KEY=KEY_1), pytest.raises(UnsealError):
        unseal(token)


@pytest.mark.parametrize("bad_key", ["short", "x" * 44, "not base64 at all!"])
def test_a_malformed_sealing_key_is_a_configuration_error(bad_key):
    with override_settings(SEALING_KEY=bad_key), pytest.raises(ImproperlyConfigured, match="SEALING_KEY"):
        seal("anything")
