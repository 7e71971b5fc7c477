"""Prometheus metrics: the web's responses (by route name, method and status) and their latency, how long
Celery tasks waited in their queue and ran, deliveries by status and channel, gateway errors by provider.

gunicorn and Celery run several processes each, and each process counts for itself. prometheus_client's
multiprocess mode adds them up: every process of a group writes its counts to files in the group's
directory (PROMETHEUS_MULTIPROC_DIR) and a scrape reads them all. The directory must be set before
prometheus_client is imported and be fresh at each start of the group: `multiprocess_dir_own` does both,
in gunicorn's master (gunicorn.conf.py) and in a Celery worker's main process (schoolbook.celery), before
either forks. That is why prometheus_client is imported here only when a metric is first used. Any other
process (runserver, a management command, the tests) counts in its own memory.

The web serves /metrics (to the addresses and the bearer token of `metrics_allowed`); a Celery worker
serves its own on WORKER_METRICS_PORT (`worker_server_start`). Labels are bounded: a route's name, never
its path or a school's code; a task's name; a channel, a status, a gateway's registry name."""

import atexit
import functools
import hmac
import ipaddress
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from django.urls import Resolver404, resolve

from schoolbook.audit.context import request_address

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # a path no URL pattern matches (unknown school, a 404 of the resolver)
# Queue waits run from milliseconds (an idle worker) to many minutes (a backlog of notices on `bulk`).
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


def multiprocess_dir_own() -> str:
    """A fresh directory for the metrics of this process and of every process it forks from now on; removed
    when this process exits. Called before the group forks and before anything imports prometheus_client,
    which reads the variable once, at import."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess directory was set")
    path = tempfile.mkdtemp(prefix="schoolbook-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    atexit.register(_remove_dir, path, os.getpid())
    return path


def _remove_dir(path: str, owner: int) -> None:
    if os.getpid() == owner:  # forked children inherit the atexit hook; only the group's leader removes
        shutil.rmtree(path, ignore_errors=True)


@functools.cache
def _metrics() -> SimpleNamespace:
    from prometheus_client import Counter as Total
    from prometheus_client import Histogram

    return SimpleNamespace(
        requests=Total(
            "schoolbook_http_requests", "HTTP responses by route name, method and status.",
            ["route", "method", "status"],
        ),
        latency=Histogram(
            "schoolbook_http_request_duration_seconds",
            "Time to answer an HTTP request, by route name and method.", ["route", "method"],
        ),
        queue_wait=Histogram(
            "schoolbook_celery_task_queue_wait_seconds",
            "Time from a task's publication (or its ETA, for a retry or a countdown) to its start, by task.",
            ["task"], buckets=WAIT_BUCKETS,
        ),
        run=Histogram(
            "schoolbook_celery_task_run_seconds", "Time a task ran, by task and outcome state.",
            ["task", "state"], buckets=WAIT_BUCKETS,
        ),
        deliveries=Total(
            "schoolbook_deliveries",
            "Deliveries that reached a status, by channel: queued when written, then sent, delivered, failed "
            "or fallen_back.",
            ["channel", "status"],
        ),
        gateway_errors=Total(
            "schoolbook_gateway_errors",
            "Messages a gateway did not send, by gateway and kind "
            "(transient, permanent, throttled, exception).",
            ["gateway", "kind"],
        ),
        gateway_seconds=Histogram(
            "schoolbook_gateway_send_seconds", "Time a gateway took to send a batch, by gateway.", ["gateway"]
        ),
    )  # fmt: skip


# --- what the code counts ---------------------------------------------------------------------------------


def deliveries_count(pairs: Iterable[tuple[str, str]]) -> None:
    """Count (channel, status) pairs, once the current transaction commits (at once outside one): a rolled
    back send counts nothing."""
    counts = Counter(pairs)
    if counts:
        transaction.on_commit(functools.partial(_deliveries_add, counts))


def _deliveries_add(counts: Counter) -> None:
    deliveries = _metrics().deliveries
    for (channel, status), number in counts.items():
        deliveries.labels(channel, status).inc(number)


def gateway_errors_count(gateway: str, kinds: Iterable[str]) -> None:
    errors = _metrics().gateway_errors
    for kind, number in Counter(kinds).items():
        errors.labels(gateway, kind).inc(number)


def gateway_send_observe(gateway: str, seconds: float) -> None:
    _metrics().gateway_seconds.labels(gateway).observe(seconds)


def task_wait_observe(task: str, seconds: float) -> None:
    _metrics().queue_wait.labels(task).observe(max(seconds, 0.0))  # clocks of two hosts may disagree


def task_run_observe(task: str, state: str, seconds: float) -> None:
    _metrics().run.labels(task, state).observe(seconds)


def route_name(request) -> str:
    """The URL pattern's name (bounded), never the path: the matched one, or, when a middleware answered
    before the view was resolved (the login redirect, a 413), the one the path would have matched."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
        except (Resolver404, Http404):
            return UNMATCHED
    return match.view_name or UNMATCHED


class MetricsMiddleware:
    """Counts and times every response, those a middleware answered before any view included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        route = route_name(request)
        method = request.method if request.method in METHODS else "other"
        metrics = _metrics()
        metrics.requests.labels(route, method, str(response.status_code)).inc()
        metrics.latency.labels(route, method).observe(seconds)
        return response


# --- exposition -------------------------------------------------------------------------------------------


def _registry():
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _metrics()  # listed from the first scrape, before anything has been counted
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_allowed(request) -> bool:
    """From an address in METRICS_ALLOWED_NETWORKS (the proxy's X-Real-IP when it sets one, so a request
    through the proxy is never taken for a local one), or with `Authorization: Bearer <METRICS_TOKEN>`."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request_address(request) or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics_view(request):
    """/metrics in Prometheus' text format; 404 to anyone `metrics_allowed` refuses."""
    if not metrics_allowed(request):
        raise Http404
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def worker_server_start(port: int, address: str) -> None:
    """The worker's own /metrics (a thread of its main process), over its pool's files."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=address, registry=_registry())
