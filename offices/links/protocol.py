"""The data links' wire protocol, as docs/integrations.md describes it: the record types and their fields, the
field mapping an office sets (our field → the centre's name), the idempotency key, the signed JSON batch and
the centre's answer read into one outcome per record. No Django and no I/O: the sender (offices.links.sending)
does the HTTP, the fake centre in tests implements the same document on its own.

Signature: `X-Schoolbook-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>` with
`X-Schoolbook-Timestamp: <unix seconds>` and `X-Schoolbook-Key: <key id>`, over the exact bytes sent."""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass

VERSION = 1

# The record types, each with its fields in order (docs/integrations.md, "Records").
ATTENDANCE_CLASS, ATTENDANCE_MARK, PAYMENT = "attendance_class", "attendance_mark", "payment"
RECORD_FIELDS: dict[str, list[str]] = {
    ATTENDANCE_CLASS: [
        "school_code", "date", "grade", "class", "roll_calls", "student_sessions", "excused", "unexcused",
        "absences", "late", "present_rate",
    ],
    ATTENDANCE_MARK: [
        "school_code", "date", "session", "grade", "class", "student_code", "sector_id", "mark", "absence",
        "source",
    ],
    PAYMENT: [
        "school_code", "payment_id", "date", "recorded_at", "receipt", "invoice_code", "round", "grade",
        "class", "student_code", "sector_id", "amount", "source", "received_at", "reverses_payment_id",
    ],
}  # fmt: skip
ATTENDANCE_TYPES = (ATTENDANCE_CLASS, ATTENDANCE_MARK)
PAYMENT_TYPES = (PAYMENT,)

HEADER_KEY, HEADER_TIMESTAMP, HEADER_SIGNATURE = (
    "X-Schoolbook-Key",
    "X-Schoolbook-Timestamp",
    "X-Schoolbook-Signature",
)
MAX_SKEW_SECONDS = 300  # the centre refuses a timestamp further than this from its clock

# --- field mapping ---------------------------------------------------------------------------------------

OMIT = "-"  # "our_field = -": the centre does not want the field; it is left out
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")


def gettext_noop(message: str) -> str:
    return message


class MappingError(ValueError):
    """`template` (untranslated, gettext_noop) % `params`: the caller translates (offices.links.forms)."""

    def __init__(self, template: str, **params):
        super().__init__(template % params)
        self.template, self.params = template, params


def mapping_parse(record_type: str, text: str) -> dict[str, str]:
    """Lines "our_field = centre_field" (or "our_field = -" to leave it out; blank lines and "#" comments
    ignored) → {our_field: centre_field}. Fields not named keep our name. Raises MappingError for an
    unknown field of ours, a name the centre could not take as a JSON key we promise (letters, digits,
    _ . -, up to 64), a field named twice, or two fields sent under one name."""
    fields = RECORD_FIELDS[record_type]
    mapping: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        ours, sep, theirs = (part.strip() for part in line.partition("="))
        if not sep or not ours or not theirs:
            raise MappingError(
                gettext_noop("Dòng %(line)d: viết “trường của Schoolbook = tên trường của trung tâm”."),
                line=number,
            )
        if ours not in fields:
            raise MappingError(
                gettext_noop("Dòng %(line)d: không có trường “%(field)s”. Các trường: %(fields)s."),
                line=number,
                field=ours,
                fields=", ".join(fields),
            )
        if ours in mapping:
            raise MappingError(
                gettext_noop("Dòng %(line)d: trường “%(field)s” đã đặt tên ở trên."), line=number, field=ours
            )
        if theirs != OMIT and not _NAME.match(theirs):
            raise MappingError(
                gettext_noop(
                    "Dòng %(line)d: tên “%(name)s” chỉ được gồm chữ cái không dấu, chữ số, _ . - "
                    "(tối đa 64 ký tự, không bắt đầu bằng số)."
                ),
                line=number,
                name=theirs,
            )
        mapping[ours] = theirs
    sent = [mapping.get(field, field) for field in fields if mapping.get(field) != OMIT]
    twice = sorted({name for name in sent if sent.count(name) > 1})
    if twice:
        raise MappingError(gettext_noop("Hai trường cùng gửi dưới tên “%(name)s”."), name=twice[0])
    return mapping


def mapping_text(mapping: dict[str, str]) -> str:
    return "\n".join(f"{ours} = {theirs}" for ours, theirs in mapping.items())


def mapping_apply(mapping: dict[str, str], data: dict) -> dict:
    """`data` under the centre's names, without the fields it does not want."""
    return {mapping.get(k, k): v for k, v in data.items() if mapping.get(k) != OMIT}


# --- keys, batches and signatures -----------------------------------------------------------------------


def canonical(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def idempotency_key(record_id: str, version: int, data: dict, deleted: bool) -> str:
    """32 hex characters, the same for the same version of a record: a record produced again gets the key
    it had, and the centre stores it once. Names no student (it is a hash)."""
    text = f"{record_id}\n{version}\n{int(deleted)}\n{canonical(data)}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def batch_body(*, batch_id: str, sent_at: str, office: str, records: list[dict]) -> bytes:
    """The exact bytes to sign and send. Each record: idempotency_key, type, record_id, version, deleted,
    produced_at, data (already under the centre's names)."""
    document = {"version": VERSION, "batch_id": batch_id, "sent_at": sent_at, "office": office,
                "records": records}  # fmt: skip
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def signed_headers(*, key_id: str, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    stamp = str(timestamp)
    return {
        "Content-Type": "application/json; charset=utf-8",
        HEADER_KEY: key_id,
        HEADER_TIMESTAMP: stamp,
        HEADER_SIGNATURE: signature(secret, stamp, body),
    }


# --- the centre's answer ---------------------------------------------------------------------------------

ACCEPTED, DUPLICATE, REJECTED, RETRY, WAIT = "accepted", "duplicate", "rejected", "retry", "wait"
THROTTLED = (408, 425, 429)  # come back later; not the record's fault, not an attempt
AUTH_FAILED = (401, 403)  # the key, the clock or the signature: retried (a key being rotated, a clock)


@dataclass(frozen=True)
class Outcome:
    """What became of one record: ACCEPTED, DUPLICATE (stored before: delivered), REJECTED (with the
    centre's reason; never retried by itself), RETRY (a failed attempt: back off) or WAIT (throttled: wait
    `retry_after` seconds, not an attempt)."""

    status: str
    reason: str = ""
    retry_after: float = 0.0


def _reason(payload, status: int) -> str:
    text = ""
    if isinstance(payload, dict):
        text = str(payload.get("error") or payload.get("message") or payload.get("reason") or "")
    return f"HTTP {status}" + (f": {text[:300]}" if text else "")


def retry_after_seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0


def answer_read(keys: list[str], status: int, payload, retry_after: str | None = None) -> dict[str, Outcome]:
    """One Outcome per key sent, from the HTTP status and the parsed JSON answer (None if not JSON)."""
    if status == 200 and isinstance(payload, dict) and isinstance(payload.get("results"), list):
        given = {}
        for result in payload["results"]:
            if isinstance(result, dict) and isinstance(result.get("idempotency_key"), str):
                given[result["idempotency_key"]] = result
        outcomes = {}
        for key in keys:
            result = given.get(key)
            verdict = result.get("status") if result else None
            if verdict in (ACCEPTED, DUPLICATE):
                outcomes[key] = Outcome(verdict)
            elif verdict == REJECTED:
                outcomes[key] = Outcome(REJECTED, str(result.get("reason") or "")[:1000] or "rejected")
            else:  # not in the answer, or an answer we do not know: not processed, try again
                outcomes[key] = Outcome(RETRY, "the centre's answer did not cover this record")
        return outcomes
    if status in THROTTLED:
        wait = Outcome(WAIT, _reason(payload, status), retry_after_seconds(retry_after))
        return dict.fromkeys(keys, wait)
    if 400 <= status < 500 and status not in AUTH_FAILED:
        return dict.fromkeys(keys, Outcome(REJECTED, _reason(payload, status)))
    return dict.fromkeys(keys, Outcome(RETRY, _reason(payload, status)))
