"""Thin Celery tasks around the sending pipeline (messaging.pipeline). Each runs in the schema of whoever
sent it (tenant-schemas-celery puts the schema in the task's headers), so a school's deliveries are read
and written in that school's schema, a login code's in public.

Retries are the service's decision (transient errors, token-bucket waits) and carry only the ids still to
send; the number of attempts is counted on each Delivery (MESSAGING_MAX_ATTEMPTS), so the tasks set no
retry limit of their own. One task per queue (CELERY_TASK_ROUTES), so a retry stays on its queue. The outbox
sends the delivery tasks by name (messaging.outbox.services.TASK_BY_QUEUE): a rename must change both."""

from celery import shared_task

from messaging.pipeline.services import deliveries_send, deliveries_sweep
from tenants.tasks import for_each_school


def _deliver(task, ids: list[int]) -> None:
    outcome = deliveries_send(ids)
    if outcome.retry_ids:
        raise task.retry(args=[outcome.retry_ids], countdown=outcome.countdown)


@shared_task(bind=True, ignore_result=True, max_retries=None)
def deliver_batch(self, ids: list[int]) -> None:
    _deliver(self, ids)


@shared_task(bind=True, ignore_result=True, max_retries=None)
def deliver_urgent_batch(self, ids: list[int]) -> None:
    """One-time codes and emergencies: the `urgent` queue, so bulk traffic never delays a login."""
    _deliver(self, ids)


@shared_task(bind=True, ignore_result=True, max_retries=None)
def deliver_bulk_batch(self, ids: list[int]) -> None:
    """Notices to many: the `bulk` queue, so a notice to the whole school never delays an absence alert."""
    _deliver(self, ids)


@shared_task(ignore_result=True)
def sweep() -> int:
    """Beat, in public: sweep public (login codes), then one task per active school, in that school's
    schema, so one school's backlog never holds up another's. Returns the number of schools."""
    deliveries_sweep()
    return for_each_school(sweep_school)


@shared_task(ignore_result=True)
def sweep_school() -> dict:
    return deliveries_sweep()
