"""Platform tasks: the spare-schema pool, and sending a task to every school."""

from celery import shared_task
from django_tenants.utils import schema_context

from schoolbook.ratelimit import redis_client
from tenants.models import School
from tenants.schemas import spares_refill


@shared_task(ignore_result=True)
def refill_spare_schemas() -> int:
    # One refill at a time across workers: a burst of onboardings queues many of these tasks.
    lock = redis_client().lock("tenants:refill-spare-schemas", timeout=600, blocking=False)
    if not lock.acquire():
        return 0
    try:
        return spares_refill()
    finally:
        lock.release()


def for_each_school(task, *, active_only: bool = True) -> int:
    """Send `task` once per school, in that school's schema (tenant-schemas-celery puts the schema of the
    connection at send time in the task's headers), so one school's failure or slowness never holds up
    another's. Returns the number of schools sent a task."""
    schools = School.objects.filter(is_active=True) if active_only else School.objects.all()
    schema_names = list(schools.values_list("schema_name", flat=True))
    for schema_name in schema_names:
        with schema_context(schema_name):
            task.delay()
    return len(schema_names)
