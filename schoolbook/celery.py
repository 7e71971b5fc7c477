"""The Celery app. tenant-schemas-celery's app puts the current schema into every task's headers and the
worker switches to it before running the task: a task sent outside any school runs in `public`.

Imported by messaging's AppConfig.ready() so that every process that sends tasks uses this app."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbook.settings")

app = CeleryApp("schoolbook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
