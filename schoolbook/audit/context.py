"""Where the current action comes from (address, browser, request id), for the audit trail.

Set once per request by `OriginMiddleware` in a context variable, so services record it without being handed
the HTTP request. Outside a request (Celery tasks, management commands) the origin is empty; `origin(...)`
sets one explicitly for a block (tests, a command acting for an address)."""

import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    address: str | None = None
    user_agent: str = ""
    request_id: str = ""


_NOWHERE = Origin()
_current: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def current_origin() -> Origin:
    return _current.get() or _NOWHERE


@contextmanager
def origin(*, address: str | None = None, user_agent: str = "", request_id: str = ""):
    token = _current.set(Origin(address=address, user_agent=user_agent, request_id=request_id))
    try:
        yield current_origin()
    finally:
        _current.reset(token)


def request_address(request) -> str | None:
    # Behind our proxy (docker-compose) REMOTE_ADDR is the proxy; the proxy sets X-Real-IP.
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR") or None


# What a proxy's request id may look like to be used as it is (nginx's $request_id is 32 hex digits): a
# token that cannot break a log line or forge another field, whatever the log format.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:=+/-]{1,64}")


def _request_id(request) -> str:
    # The proxy's id when it sends a safe one (so a log line and an audit event can be matched), else ours.
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    return given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex


class OriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with origin(
            address=request_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            request_id=_request_id(request),
        ) as current:
            response = self.get_response(request)
        response["X-Request-ID"] = current.request_id
        return response
