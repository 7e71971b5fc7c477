"""The idempotency key a provider gets for each delivery, minted when the pipeline sends it and read back
when a receipt comes in: which schema it belongs to, and which delivery."""

import base64

from django.db import connection
from django.utils.crypto import salted_hmac

# The HMAC's salt, named after the module that first minted keys: changing it would orphan the receipts of
# every delivery already sent.
DELIVERY_KEY_PURPOSE = "messaging.services.delivery_key"
SCHEMA_TAG_LENGTH, KEY_LENGTH = 8, 24


def _digest(text: str) -> str:
    """Base32 (A–Z, 2–7) of an HMAC of `text` keyed from SECRET_KEY: letters and digits only."""
    mac = salted_hmac(DELIVERY_KEY_PURPOSE, text, algorithm="sha256").digest()
    return base64.b32encode(mac).decode().rstrip("=")


def schema_tag(schema: str) -> str:
    """The first characters of every key of a schema's deliveries: which schema a receipt is for."""
    return _digest(schema)[:SCHEMA_TAG_LENGTH]


def delivery_key(pk: int, schema: str | None = None) -> str:
    """The idempotency key a provider gets for a delivery (eSMS RequestId, Zalo tracking_id, the push
    receipt): 24 letters and digits, within eSMS's 50 and Zalo's 48 characters whatever the schema's name,
    and unguessable. The schema's tag, then a hash of schema and id: ids are per schema and schools share
    provider accounts, so a bare id would make one school's message a "duplicate" of another's (eSMS
    answers 124 and never sends it). Kept on the Delivery (`provider_key`) when it is sent: receipts find
    deliveries by it."""
    schema = schema or connection.schema_name
    return (schema_tag(schema) + _digest(f"{schema}-{pk}"))[:KEY_LENGTH]
