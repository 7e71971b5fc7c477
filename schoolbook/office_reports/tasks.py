"""The report reminders' background work: beat sends `report_reminders` once a day in public; it sends
`report_reminders_school` to each school with something to remind of, in its schema."""

from celery import shared_task
from django.utils import timezone
from django_tenants.utils import schema_context

from schoolbook.office_reports.reminders import due_submissions, reminders_send


@shared_task(ignore_result=True)
def report_reminders() -> int:
    """Fan out to the schools with a request to remind of; returns how many were sent a task."""
    schemas = set(due_submissions(timezone.localdate()).values_list("school__schema_name", flat=True))
    for schema_name in sorted(schemas):
        with schema_context(schema_name):
            report_reminders_school.delay()
    return len(schemas)


@shared_task(ignore_result=True)
def report_reminders_school() -> int:
    return reminders_send()
