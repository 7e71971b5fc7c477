"""The automatic publication policy (grades.publication.services.auto_publish_run), run by beat every 5
minutes.

Beat sends `auto_publish` without a school (it runs in public); it sends `auto_publish_school` once per
active school with that school's schema in the task's headers (tenant-schemas-celery reads the schema of
the connection at send time), so one school's failure or slowness never holds up another's."""

from celery import shared_task

from grades.publication.services import auto_publish_run
from tenants.tasks import for_each_school


@shared_task(ignore_result=True)
def auto_publish() -> int:
    """Fan out to every active school; returns the number of schools sent a task."""
    return for_each_school(auto_publish_school)


@shared_task(ignore_result=True)
def auto_publish_school() -> int:
    """In the school's schema (set by the worker from the task's headers): publish what the policy allows."""
    return auto_publish_run()
