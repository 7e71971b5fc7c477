"""Scheduled notices: beat sends `publish_due` every minute in public; it sends `publish_due_school` once
per active school in that school's schema, so one school's large notice never delays another's."""

from celery import shared_task

from notices.services import notices_publish_due
from tenants.tasks import for_each_school


@shared_task(ignore_result=True)
def publish_due() -> int:
    """Fan out to every active school; returns the number of schools sent a task."""
    return for_each_school(publish_due_school)


@shared_task(ignore_result=True)
def publish_due_school() -> int:
    """In the school's schema: publish the scheduled notices whose time has come (each once)."""
    return notices_publish_due()
