"""E-mail through Django's e-mail backend (SMTP by default, settings EMAIL_*), one connection per batch.

SMTP has no idempotency key, so ours travels in two headers: a deterministic Message-ID (a resend of the
same delivery carries the same id, and mail stores that dedupe by Message-ID keep one copy) and
X-Schoolbook-Delivery (what tests and support search for). Failures are classified by the SMTP reply
code: 5xx is the server's final word (unknown mailbox, rejected sender, failed authentication) and 4xx
asks us to come back later, as does a connection that could not be made or was lost.

Whose fault a final refusal is comes from the enhanced status code that begins the reply text ("550 5.1.1
…"; RFC 3463 §2, registry: https://www.iana.org/assignments/smtp-enhanced-status-codes; RFC 2034 puts it
at the start of the text). Only the subject X.1 (addressing status) speaks of the address, and within it
X.1.5 says the address is fine and X.1.7 / X.1.8 speak of OUR sender address: so only the other X.1.x codes
of class 5 blame the recipient (the pipeline marks the contact point). Everything else is not the parent's
fault: X.7.x is security or policy (RFC 3463 §3.8: "550 5.7.1 Relaying denied" when our relay refuses us,
a spam filter, SPF/DMARC), and a relay that refuses us refuses every parent, whose addresses must not all be
marked bad; X.2 (mailbox full, RFC 3463 §3.3) and X.3/X.4/X.5 are the mailbox's or the systems' state. A
reply without an enhanced code blames no one either. Class 4 is transient whatever the subject ("451 4.7.1
greylisted").
"""

import contextlib
import re
import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from messaging.gateways.base import Gateway, GatewayError, OutgoingMessage, SendResult

DELIVERY_HEADER = "X-Schoolbook-Delivery"
# Django's EMAIL_TIMEOUT defaults to None (wait forever): a hung server must not hold a worker.
DEFAULT_TIMEOUT = 30
SUBJECT_MAX = 150
# "class.subject.detail" at the start of the reply text (RFC 3463 §2: subject and detail up to three digits).
ENHANCED_CODE = re.compile(r"\s*([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
ADDRESSING = 1  # X.1.x: addressing status
NOT_THE_RECIPIENTS = frozenset({5, 7, 8})  # X.1.5 address valid, X.1.7/X.1.8 the sender's address


class EmailGateway(Gateway):
    name = "email"
    channel = "email"

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        connection = mail.get_connection(timeout=settings.EMAIL_TIMEOUT or DEFAULT_TIMEOUT)
        results = []
        unreachable = None  # once the server cannot be reached, the rest of the batch fails without waiting
        try:
            for message in batch:
                if unreachable is None:
                    try:
                        connection.open()  # a no-op while the connection is up; reconnects after a loss
                    except (smtplib.SMTPException, OSError) as exc:
                        unreachable = _classify(exc, "cannot open a session with the mail server")
                error = unreachable or self._send_one(connection, message)
                results.append(
                    SendResult(
                        message.idempotency_key,
                        provider_message_id="" if error else message_id(message.idempotency_key),
                        error=error,
                    )
                )
        finally:
            # Every message already has its result: a QUIT that fails changes none of them.
            with contextlib.suppress(OSError):
                connection.close()
        return results

    def _send_one(self, connection, message: OutgoingMessage) -> GatewayError | None:
        try:
            validate_email(message.recipient)
        except ValidationError:
            return GatewayError(f"invalid e-mail address {message.recipient!r}", recipient=True)
        email = mail.EmailMessage(
            subject=subject(message),
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={
                "Message-ID": message_id(message.idempotency_key),
                DELIVERY_HEADER: message.idempotency_key,
            },
            connection=connection,
        )
        try:
            connection.send_messages([email])
        except ValueError as exc:  # an address or header Django refuses to put on the wire
            return GatewayError(f"invalid message: {exc}", permanent=True)
        except (smtplib.SMTPException, OSError) as exc:
            error = _classify(exc, "mail server error")
            if not error.permanent:
                _drop(connection)
            return error
        return None


def subject(message: OutgoingMessage) -> str:
    """The title, or the body's first line: a subject is one line, and long ones get cut by mail clients."""
    for text in (message.title, message.body):
        line = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if line:
            return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1] + "…"
    return ""


def message_id(idempotency_key: str) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<schoolbook.{idempotency_key}@{domain}>"


def _drop(connection) -> None:
    """Forget a connection after a transient failure, so the next message reconnects. No QUIT: after a timeout
    it would only wait again for a server that is not answering, and after a 421 the server has gone."""
    smtp = getattr(connection, "connection", None)  # Django's SMTP backend; other backends hold no socket
    if smtp is not None:
        smtp.close()
        connection.connection = None


def enhanced_status(reply: str) -> tuple[int, int, int] | None:
    """The RFC 3463 code (class, subject, detail) a reply text starts with, or None."""
    match = ENHANCED_CODE.match(reply)
    return tuple(int(part) for part in match.groups()) if match else None


def blames_address(code: int, reply: str) -> bool:
    """Whether a refusal says the recipient's address will never work: a final (5xx) reply whose
    enhanced code is X.1.x about the destination (module docstring)."""
    status = enhanced_status(reply)
    return (
        500 <= code < 600
        and status is not None
        and status[0] == 5
        and status[1] == ADDRESSING
        and status[2] not in NOT_THE_RECIPIENTS
    )


def _classify(exc: Exception, context: str) -> GatewayError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())  # {address: (code, reply)}
        code, reply = replies[0] if replies else (0, b"")
        return _refusal("recipient refused", code, _text(reply), blame=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        # MAIL FROM refused is about our sender, whatever its code says.
        blame = not isinstance(exc, smtplib.SMTPSenderRefused)
        return _refusal(context, exc.smtp_code, _text(exc.smtp_error), blame=blame)
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # e.g. STARTTLS required by our settings, not offered
        return GatewayError(f"{context}: {exc}", permanent=True)
    return GatewayError(f"{context}: {exc.__class__.__name__}: {exc}", permanent=False)


def _refusal(context: str, code: int, reply: str, *, blame: bool) -> GatewayError:
    return GatewayError(
        f"{context}: {code} {reply}",
        permanent=500 <= code < 600,
        recipient=blame and blames_address(code, reply),
    )


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
