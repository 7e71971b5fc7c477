"""The Celery app. tenant-schemas-celery's app puts the current schema into every task's headers and the
worker switches to it before running the task: a task sent outside any school runs in `public`.

Imported by messaging's AppConfig.ready() so that every process that sends tasks uses this app. Its signal
handlers leave logging to Django's LOGGING (schoolbook.logs), and time each task for Prometheus
(schoolbook.metrics): a publication stamps the message, the worker measures the wait in the queue and the
run; a worker's main process gets its own metrics directory before it forks the pool, and serves the
pool's metrics on WORKER_METRICS_PORT."""

import datetime
import os
import time

from celery.signals import (
    before_task_publish,
    celeryd_init,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
)
from django.conf import settings
from django.db import connection
from tenant_schemas_celery.app import CeleryApp, get_schema_name_from_task
from tenant_schemas_celery.task import TenantTask

from schoolbook import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbook.settings")


class SchemaUnavailable(RuntimeError):
    """A task for a schema the worker could not switch to (a school deleted or renamed since)."""


class SchoolTask(TenantTask):
    """Refuses to run outside the schema the task was sent from. tenant-schemas-celery switches schemas in a
    task_prerun signal handler, and Celery only logs a handler's exception: a task for a school that no
    longer exists would otherwise run in public, where another schema's ids mean other rows."""

    abstract = True

    def __call__(self, *args, **kwargs):
        wanted = get_schema_name_from_task(self, kwargs)
        if wanted and connection.schema_name != wanted:
            raise SchemaUnavailable(f"task {self.name} was sent for schema {wanted!r}, which does not exist")
        return super().__call__(*args, **kwargs)


app = CeleryApp("schoolbook", task_cls="schoolbook.celery:SchoolTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["schoolbook.office_reports"])  # a feature package of the composition layer


PUBLISHED_AT = "schoolbook_published_at"  # a message header: when the task was sent (epoch seconds)
_started: dict[str, float] = {}  # task id → perf_counter at its start, in the pool process running it


@before_task_publish.connect
def _stamp_publication(headers=None, **kwargs):
    if headers is not None:
        headers[PUBLISHED_AT] = time.time()


def _header(task, name):
    # As tenant-schemas-celery reads its own: brokers put custom headers in the request or in its headers.
    return (task.request.headers or {}).get(name) or task.request.get(name)


@task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    now = time.time()
    published = _header(task, PUBLISHED_AT)
    if published:
        eta = task.request.eta
        due = datetime.datetime.fromisoformat(eta).timestamp() if isinstance(eta, str) else 0.0
        metrics.task_wait_observe(task.name, now - max(float(published), due))
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    if started is not None:
        metrics.task_run_observe(task.name, state or "UNKNOWN", time.perf_counter() - started)


@setup_logging.connect
def _django_logging(**kwargs):
    """Celery leaves logging alone when this signal has a receiver: Django's LOGGING (text or JSON lines
    with the school and the task id, schoolbook.logs) is already in place, as in the web processes."""


@celeryd_init.connect
def _metrics_dir(**kwargs):
    metrics.multiprocess_dir_own()


@worker_init.connect
def _metrics_server(**kwargs):
    if settings.WORKER_METRICS_PORT:
        metrics.worker_server_start(settings.WORKER_METRICS_PORT, settings.WORKER_METRICS_ADDRESS)
