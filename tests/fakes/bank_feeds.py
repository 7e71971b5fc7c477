"""SePay and Casso as they call a school's webhook when money reaches its account: HTTP clients that POST
the documented bodies with the documented authentication to our `/hooks/sepay/<code>/` and
`/hooks/casso/<code>/` (on the live server, 127.0.0.1). They need no server of their own.

    sepay = SepaySender(f"{live_server_url}/hooks/sepay/test-a/", api_key, minute=0.05)
    body = sepay.transfer(500_000, "MBVCB.3312.HD003RJ0T HOC PHI.CT tu 0123 toi 1903")  # the next id
    delivery = sepay.send(body)  # the first attempt, then SePay's retries until a 2xx (at most 8 in all)
    delivery.delivered, delivery.attempts[-1].status, delivery.attempts[-1].json
    thread = sepay.send_in_background(body)  # the same while the test goes on: thread.delivery.attempts
                                             # grows as SePay tries; thread.join() returns the Delivery

    casso = CassoSender(f"{live_server_url}/hooks/casso/test-a/", key)
    body = casso.transfer(500_000, "HD003RJ0T HOC PHI")
    attempt = casso.send(body)  # signed now; send(body, key=…, timestamp_ms=…, signed=…) signs otherwise

SePay (developer.sepay.vn, "Webhooks": tich-hop-webhook, xu-ly-loi; ../shared/DOMAIN.md §8): a JSON POST with
`id, gateway, transactionDate ("YYYY-MM-DD HH:MM:SS"), accountNumber, code, content, transferType ("in" or
"out"), transferAmount, accumulated, subAccount, referenceCode`, authenticated with `Authorization: Apikey
<key>` (the mode the school chooses for us). SePay counts a delivery as received on a status in 200–299 (it
documents the answer `{"success": true}` with 200 or 201). Otherwise, or when the endpoint cannot be reached
or takes over 30 s, it retries: 8 attempts in all (the first and 7 retries), waiting 1, 1, 2, 3, 5, 8 and 13
minutes (Fibonacci), about 33 minutes, then marks the webhook failed. `minute` scales a minute down to
seconds for tests.

Casso, Webhook V2 (developer.casso.vn "Thiết lập Webhook thủ công";
CassoHQ/casso-webhook-v2-verify-signature): `{"error": 0, "data": {id, reference, description, amount,
runningBalance, transactionDateTime, accountNumber, bankName, bankAbbreviation, virtualAccountNumber,
virtualAccountName, counterAccountName, counterAccountNumber, counterAccountBankId,
counterAccountBankName}}` (an outgoing transfer has a negative amount), with `X-Casso-Signature:
t=<ms>,v1=<hex>`, v1 = HMAC-SHA512 with the webhook's "Key bảo mật" over `<t>.<the body, keys sorted at
every level, compact JSON>`, computed here as CassoHQ's Python sample does (written independently of
payments.bank_feeds, so a mistake there is not repeated here). What we could read of Casso's documentation
does not say how often it retries, so this sender posts once.
"""

import hashlib
import hmac
import itertools
import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import requests

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SEPAY_RETRY_MINUTES = (1, 1, 2, 3, 5, 8, 13)  # after attempts 1…7: 8 attempts in all
TIMEOUT = 30  # seconds without an answer: SePay counts a failed attempt


@dataclass
class Attempt:
    status: int | None  # None: no HTTP answer (refused connection, timeout)
    json: dict | None
    at: float  # time.monotonic() when it was made


@dataclass
class Delivery:
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.attempts) and _received(self.attempts[-1].status)


def _received(status: int | None) -> bool:
    return status is not None and 200 <= status <= 299


def _now_text() -> str:
    return datetime.now(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


def _post(url: str, body: dict, headers: dict, *, timeout: float) -> Attempt:
    """One POST as the providers make it: JSON, UTF-8, no cookies, no session."""
    data = json.dumps(body, ensure_ascii=False).encode()
    started = time.monotonic()
    try:
        response = requests.post(
            url, data=data, headers={"Content-Type": "application/json", **headers}, timeout=timeout
        )
    except requests.RequestException:
        return Attempt(None, None, started)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return Attempt(response.status_code, answer, started)


class SepaySender:
    """One SePay company account with one bank account, calling one webhook with the API key."""

    def __init__(self, url: str, api_key: str, *, account: str = "0071000123456", minute: float = 0.05):
        self.url, self.api_key, self.account, self.minute = url, api_key, account, minute
        self._ids = itertools.count(random.randint(10_000_000, 90_000_000))
        self.balance = 25_000_000

    def transfer(self, amount: int, content: str, *, transfer_type: str = "in") -> dict:
        """The body SePay posts for a new transaction on the account (a fresh id)."""
        self.balance += amount if transfer_type == "in" else -amount
        return {
            "id": next(self._ids),
            "gateway": "MBBank",
            "transactionDate": _now_text(),
            "accountNumber": self.account,
            "code": None,
            "content": content,
            "transferType": transfer_type,
            "transferAmount": amount,
            "accumulated": self.balance,
            "subAccount": None,
            "referenceCode": f"FT{secrets.randbelow(10**12):012d}",
        }

    def send(self, body: dict, *, api_key: str | None = None, delivery: Delivery | None = None) -> Delivery:
        """Deliver as SePay does: until a 2xx, at most 8 attempts, Fibonacci waits between them. The
        attempts are appended to `delivery` as they happen (a new one by default)."""
        headers = {"Authorization": f"Apikey {self.api_key if api_key is None else api_key}"}
        delivery = Delivery() if delivery is None else delivery
        for wait in (*SEPAY_RETRY_MINUTES, None):
            attempt = _post(self.url, body, headers, timeout=TIMEOUT)
            delivery.attempts.append(attempt)
            if _received(attempt.status) or wait is None:
                return delivery
            time.sleep(wait * self.minute)
        return delivery

    def send_in_background(self, body: dict, **options) -> "SendingThread":
        """`send` in a thread: `thread.delivery.attempts` grows as SePay tries, `thread.join()` returns it."""
        delivery = Delivery()
        thread = SendingThread(target=self.send, args=(body,), kwargs={**options, "delivery": delivery})
        thread.delivery = delivery
        thread.start()
        return thread


class SendingThread(threading.Thread):
    delivery: Delivery

    def join(self, timeout=None) -> Delivery:
        super().join(timeout)
        return self.delivery


class CassoSender:
    """One Casso business with one linked account and a Webhook V2 integration (its secure key)."""

    def __init__(self, url: str, key: str, *, account: str = "88888888"):
        self.url, self.key, self.account = url, key, account
        self._ids = itertools.count(random.randint(1_000_000, 9_000_000))
        self.balance = 25_000_000

    def transfer(self, amount: int, description: str) -> dict:
        """The body Casso posts for a new transaction (a negative amount: money out)."""
        self.balance += amount
        return {
            "error": 0,
            "data": {
                "id": next(self._ids),
                "reference": f"FT{secrets.randbelow(10**12):012d}",
                "description": description,
                "amount": amount,
                "runningBalance": self.balance,
                "transactionDateTime": _now_text(),
                "accountNumber": self.account,
                "bankName": "VPBank",
                "bankAbbreviation": "VPB",
                "virtualAccountNumber": "",
                "virtualAccountName": "",
                "counterAccountName": "NGUYEN VAN A",
                "counterAccountNumber": "8888888888",
                "counterAccountBankId": "970415",
                "counterAccountBankName": "VietinBank",
            },
        }

    def signature(self, body: dict, *, key: str | None = None, timestamp_ms: int | None = None) -> str:
        timestamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        message = f"{timestamp}." + json.dumps(_sorted_by_key(body), separators=(",", ":"))
        digest = hmac.new((self.key if key is None else key).encode(), message.encode(), hashlib.sha512)
        return f"t={timestamp},v1={digest.hexdigest()}"

    def send(
        self,
        body: dict,
        *,
        key: str | None = None,
        timestamp_ms: int | None = None,
        signed: dict | None = None,
    ) -> Attempt:
        """Post `body` signed now with the integration's key; `key`, `timestamp_ms` or `signed` (the body
        the signature was made for, when another one is posted: changed on the way) sign it otherwise."""
        header = self.signature(body if signed is None else signed, key=key, timestamp_ms=timestamp_ms)
        return _post(self.url, body, {"X-Casso-Signature": header}, timeout=TIMEOUT)


def _sorted_by_key(data):
    """CassoHQ's sort_obj_data_by_key: objects' keys A → Z, at every level."""
    if not isinstance(data, dict):
        return data
    return {key: _sorted_by_key(data[key]) for key in sorted(data)}
