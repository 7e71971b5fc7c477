"""The automatic publication policy (grades.publication.auto_publish_run), run by beat every 5 minutes.

Beat sends `auto_publish` without a school (it runs in public); it sends `auto_publish_school` once per
active school with that school's schema in the task's headers (tenant-schemas-celery reads the schema of
the connection at send time), so one school's failure or slowness never holds up another's."""

from celery import shared_task
from django_tenants.utils import schema_context

from grades.publication import auto_publish_run
from tenants.models import School


@shared_task(ignore_result=True)
def auto_publish() -> int:
    """Fan out to every active school; returns the number of schools sent a task."""
    schools = list(School.objects.filter(is_active=True).values_list("schema_name", flat=True))
    for schema_name in schools:
        with schema_context(schema_name):
            auto_publish_school.delay()
    return len(schools)


@shared_task(ignore_result=True)
def auto_publish_school() -> int:
    """In the school's schema (set by the worker from the task's headers): publish what the policy allows."""
    return auto_publish_run()
