"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it accepts and can be told to refuse.

with FakeSmtp() as smtp, override_settings(**smtp.settings()):
    ...
smtp.count(key)  # messages accepted for one delivery (X-Schoolbook-Delivery)
smtp.rcpt_replies[address] = "550 5.1.1 <address>: no such user"  # that mailbox does not exist
smtp.refuse_relay()  # every RCPT gets "550 5.7.1 Relaying denied", what a relay refusing us answers

Replies carry RFC 3463 enhanced status codes, as Postfix, Exim and the big providers send them.
"""

import asyncio
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

DELIVERY_HEADER = "X-Schoolbook-Delivery"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    session: int  # which SMTP connection carried it: shows whether the gateway reuses one


class _Controller(Controller):
    """aiosmtpd's Controller needs a fixed port to check the server is up; take the one port 0 gave us."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class FakeSmtp:
    def __init__(self, users: dict[str, str] | None = None):
        """users: login → password; when given, the server offers AUTH (over plain text: it is a test)."""
        self.received: list[Received] = []
        self.rcpt_replies: dict[str, str] = {}  # address → reply to RCPT TO, e.g. "550 5.1.1 No such user"
        self.rcpt_reply: str | None = None  # answer every RCPT TO without its own reply with this
        self.data_reply: str | None = None  # answer every DATA with this instead of accepting
        self.delay = 0.0  # seconds to sit on DATA before answering (a hung server)
        self.sessions = 0
        self._lock = threading.Lock()
        self.users = users
        auth = {"authenticator": self._authenticate, "auth_require_tls": False} if users else {}
        self._controller = _Controller(self, hostname="127.0.0.1", port=0, **auth)

    @property
    def port(self) -> int:
        return self._controller.port

    def settings(self, **extra) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            **extra,
        }

    def refuse_relay(self) -> None:
        """Our relay no longer accepts our mail (credentials changed, sender not allowed, IP blocked)."""
        self.rcpt_reply = "550 5.7.1 <recipient>: Relay access denied"

    def count(self, idempotency_key: str) -> int:
        return sum(1 for r in self.received if r.message[DELIVERY_HEADER] == idempotency_key)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and self.users.get(auth_data.login.decode()) == (
            auth_data.password.decode()
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    # aiosmtpd handler hooks: they run on the controller's event loop thread.

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.sessions += 1
            session.number = self.sessions
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address) or self.rcpt_reply
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        # SMTP lines end in CRLF on the wire; a mailbox shows the text with plain newlines.
        message = message_from_bytes(envelope.content.replace(b"\r\n", b"\n"), policy=policy.default)
        with self._lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message, getattr(session, "number", 0))
            )
        return "250 Message accepted for delivery"
