"""Applying the receipt a service worker sends back once it has shown a notification: the delivery it
names becomes delivered, through messaging's receipts (accounts.push checks the token's form)."""

from django.utils.crypto import constant_time_compare

from accounts.push import GATEWAY, receipt_token
from messaging.gateways.base import Receipt, ReceiptStatus
from messaging.receipts.services import receipts_apply_by_schema


class ReceiptRefused(Exception):
    """The token does not match the key: nothing was changed."""


def push_receipt_apply(*, key: str, token: str) -> int:
    """A service worker showed the notification of delivery `key`: that delivery is delivered (in the
    schema the key names). Idempotent: a replay finds it delivered already and changes nothing."""
    if not (isinstance(key, str) and isinstance(token, str) and key and token):
        raise ReceiptRefused("key and receipt are required")
    if not constant_time_compare(token, receipt_token(key)):
        raise ReceiptRefused("receipt token does not match the key")
    return receipts_apply_by_schema([Receipt(ReceiptStatus.DELIVERED, idempotency_key=key)], gateway=GATEWAY)
