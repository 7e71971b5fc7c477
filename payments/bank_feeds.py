"""Bank-transaction feeds: what SePay and Casso post when money reaches a school's account, checked and
turned into one shape. Pure rules, no Django; the webhooks that call them are payments.feeds.views.

SePay (developer.sepay.vn; ../shared/DOMAIN.md §8): a JSON POST with `id, gateway, transactionDate,
accountNumber, code, content, transferType ("in"/"out"), transferAmount, accumulated, subAccount,
referenceCode`, authenticated here by the header `Authorization: Apikey <key>` (SePay's other modes, HMAC,
OAuth2 or none, are not offered); SePay expects `{"success": true}` and retries up to 7 times, so the same
`id` may come again.

Casso, webhook v2 (DOMAIN.md §8; CassoHQ/casso-webhook-v2-verify-signature): `{"error": 0, "data": {id,
reference, description, amount, runningBalance, transactionDateTime, accountNumber, bankName, …}}`, signed in
`X-Casso-Signature: t=<ms>,v1=<hex>`: HMAC-SHA512 with the webhook's key over `<t>.<the body with its keys
sorted at every level, compact JSON>`. Casso's samples serialise with Python's json (non-ASCII escaped) and
JavaScript's (not escaped); both forms are accepted, and a timestamp older than TOLERANCE is refused so a
captured request cannot be replayed later. An outgoing transfer (a negative amount) is not a payment.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass

TOLERANCE_MS = 5 * 60 * 1000


class FeedRefused(ValueError):
    """A feed request that is not authentic or not a transaction we can read; the message says why."""


@dataclass(frozen=True)
class BankTransaction:
    """Money in, as a feed reports it: stored once by (provider, provider_id)."""

    provider: str
    provider_id: str
    amount: int  # whole đồng, > 0
    note: str  # the transfer note as the bank delivered it (payments.codes searches it)
    account: str  # the receiving account number
    reference: str  # the bank's own reference
    occurred_at: str  # as the feed wrote it, "YYYY-MM-DD HH:MM:SS", Vietnam time


def sepay_authorised(authorization: str, api_key: str) -> bool:
    """Whether an `Authorization` header carries this school's SePay API key ("Apikey <key>")."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    return bool(api_key) and scheme.lower() == "apikey" and hmac.compare_digest(given.strip(), api_key)


def sepay_transaction(payload) -> BankTransaction | None:
    """The incoming transfer in a SePay body; None for an outgoing one; FeedRefused if unreadable."""
    if not isinstance(payload, dict):
        raise FeedRefused("the body is not a JSON object")
    if payload.get("transferType") == "out":
        return None
    if payload.get("transferType") != "in":
        raise FeedRefused("transferType must be 'in' or 'out'")
    return BankTransaction(
        provider="sepay",
        provider_id=_identifier(payload.get("id")),
        amount=_amount(payload.get("transferAmount")),
        note=str(payload.get("content") or ""),
        account=str(payload.get("accountNumber") or ""),
        reference=str(payload.get("referenceCode") or ""),
        occurred_at=str(payload.get("transactionDate") or ""),
    )


def casso_signature(key: str, timestamp_ms: int, payload: dict, *, ascii_only: bool = True) -> str:
    """What Casso puts after `v1=` for this body and timestamp."""
    message = f"{timestamp_ms}." + json.dumps(
        _sorted(payload), separators=(",", ":"), ensure_ascii=ascii_only
    )
    return hmac.new(key.encode(), message.encode(), hashlib.sha512).hexdigest()


def casso_verify(header: str, payload: dict, key: str, *, now_ms: int) -> None:
    """FeedRefused unless `X-Casso-Signature` signs this body with this key, no older than TOLERANCE_MS."""
    fields = dict(part.split("=", 1) for part in (header or "").split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        raise FeedRefused("X-Casso-Signature must be t=<milliseconds>,v1=<hex>") from None
    if not key:
        raise FeedRefused("no Casso key is configured")
    if abs(now_ms - timestamp) > TOLERANCE_MS:
        raise FeedRefused("the signature's timestamp is too far from now (a replay?)")
    expected = (casso_signature(key, timestamp, payload, ascii_only=a) for a in (True, False))
    if not any(hmac.compare_digest(given.lower(), signature) for signature in expected):
        raise FeedRefused("wrong signature")


def casso_transaction(payload) -> BankTransaction | None:
    """The incoming transfer in a Casso v2 body; None for an outgoing one; FeedRefused if unreadable."""
    if (
        not isinstance(payload, dict)
        or payload.get("error") != 0
        or not isinstance(payload.get("data"), dict)
    ):
        raise FeedRefused('the body must be {"error": 0, "data": {…}}')
    data = payload["data"]
    amount = data.get("amount")
    if isinstance(amount, int) and not isinstance(amount, bool) and amount < 0:
        return None
    return BankTransaction(
        provider="casso",
        provider_id=_identifier(data.get("id")),
        amount=_amount(amount),
        note=str(data.get("description") or ""),
        account=str(data.get("accountNumber") or ""),
        reference=str(data.get("reference") or ""),
        occurred_at=str(data.get("transactionDateTime") or ""),
    )


def _sorted(value):
    """The body with its keys sorted at every level, as Casso signs it."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    return value


def _identifier(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value).strip() == "":
        raise FeedRefused("the transaction has no id")
    return str(value).strip()


def _amount(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise FeedRefused(f"the amount must be a positive whole number of đồng: {value!r}")
    return value
