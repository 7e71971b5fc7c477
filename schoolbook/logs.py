"""Log lines that say which school, request and task they belong to, as text or as JSON lines.

`ContextFilter` sits on the handler, so it sees the records of every logger, ours and the libraries', and
adds to each:

- `school`: the school's code, "" in public. In a request, the school the routing chose for it, known once
  the view is found (`RequestLogMiddleware.process_view`): a line written before that, or for a request no
  school took (an unknown code's 404), says "" rather than the school of the connection's last request;
  Django's own lines about a response (written after the middleware, with the request) take what the
  middleware left on the request. In a task, the school whose schema tenant-schemas-celery switched to
  (connection.tenant);
- `request_id`: the request's id (schoolbook.audit.context: the proxy's X-Request-ID when it is a safe token,
  else a new one; the response carries it back in X-Request-ID), "" outside a request;
- `task_id` and `task`: the Celery task this process is running, "" outside one.

`RequestLogMiddleware` also writes one access line per request: method, route name (not the path, which
may carry a webhook's secret token), status and milliseconds.

settings.LOGGING picks the formatter from LOG_FORMAT: `text` (the default outside production: a line a
developer reads, the context in brackets) or `json` (production's default: one JSON object a line, with
python-json-logger, for a log collector to index)."""

import logging
import time
from contextvars import ContextVar

from celery import current_task
from django.db import connection
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from schoolbook.audit.context import current_origin
from schoolbook.metrics import METHODS, route_name

CONTEXT_FIELDS = ("school", "request_id", "task_id", "task")

access_logger = logging.getLogger("schoolbook.requests")
# The current request's school code: None outside a request, "" until the routing has chosen one.
_request_school: ContextVar[str | None] = ContextVar("request_school", default=None)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        school, request_id = _request_school.get(), current_origin().request_id
        request = getattr(record, "request", None)
        if school is None and request is not None:
            # Django's "Not Found" and error lines are written after the middleware has returned, with the
            # request: what the middleware left on it.
            school, request_id = getattr(request, "school_code", ""), getattr(request, "request_id", "")
        if school is None:  # not a request: a task, a command
            school = getattr(getattr(connection, "tenant", None), "code", "")
        record.school, record.request_id = school, request_id
        in_task = bool(current_task)  # the proxy is false outside a task
        record.task_id = (current_task.request.id or "") if in_task else ""
        record.task = current_task.name if in_task else ""
        # The text format's bracket: only what is known, so a line outside any request stays short.
        known = [
            school,
            record.request_id and f"req={record.request_id}",
            record.task_id and f"task={record.task_id}",
        ]
        known = [part for part in known if part]
        record.context = f" [{' '.join(known)}]" if known else ""
        return True


def json_formatter() -> JsonFormatter:
    """`time`, `level`, `logger`, `message`, the context fields, then whatever a call passed in `extra`
    (the access line's route, method, status and ms); Vietnamese stays readable (no \\u escapes)."""
    return JsonFormatter(
        ["asctime", "levelname", "name", "message", *CONTEXT_FIELDS],
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        reserved_attrs=[*RESERVED_ATTRS, "context"],
        json_ensure_ascii=False,
    )


class RequestLogMiddleware:
    """The request's school for its log lines, and its access line. After OriginMiddleware (the request
    id), before the routing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        token = _request_school.set("")
        request.request_id, request.school_code = current_origin().request_id, ""
        try:
            response = self.get_response(request)
            ms = (time.perf_counter() - started) * 1000
            route, method = route_name(request), request.method if request.method in METHODS else "other"
            access_logger.info(
                "%s %s %s %.1f ms", method, route, response.status_code, ms,
                extra={"route": route, "method": method, "status": response.status_code, "ms": round(ms, 1)},
            )  # fmt: skip
        finally:
            _request_school.reset(token)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.school_code = getattr(getattr(request, "tenant", None), "code", "")
        _request_school.set(request.school_code)
