"""The Celery app. tenant-schemas-celery's app puts the current schema into every task's headers and the
worker switches to it before running the task: a task sent outside any school runs in `public`.

Imported by messaging's AppConfig.ready() so that every process that sends tasks uses this app."""

import os

from django.db import connection
from tenant_schemas_celery.app import CeleryApp, get_schema_name_from_task
from tenant_schemas_celery.task import TenantTask

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
