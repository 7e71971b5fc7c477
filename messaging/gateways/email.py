"""E-mail through Django's e-mail backend (SMTP by default, settings EMAIL_*), one connection per batch.

SMTP has no idempotency key, so ours travels in two headers: a deterministic Message-ID (a resend of the
same delivery carries the same id, and mail stores that dedupe by Message-ID keep one copy) and
X-Schoolbook-Delivery (what tests and support search for). Failures are classified by the SMTP reply
code: 5xx is the server's final word (unknown mailbox, rejected sender, failed authentication) and 4xx
asks us to come back later, as does a connection that could not be made or was lost.
"""

import contextlib
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


def _classify(exc: Exception, context: str) -> GatewayError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())  # {address: (code, reply)}
        code, reply = replies[0] if replies else (0, b"")
        return GatewayError(f"recipient refused: {code} {_text(reply)}", recipient=500 <= code < 600)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        return GatewayError(f"{context}: {code} {_text(exc.smtp_error)}", permanent=500 <= code < 600)
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # e.g. STARTTLS required by our settings, not offered
        return GatewayError(f"{context}: {exc}", permanent=True)
    return GatewayError(f"{context}: {exc.__class__.__name__}: {exc}", permanent=False)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
