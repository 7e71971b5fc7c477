"""The fees' background work: the confirmation message of payments, sent after they are committed, and the
daily reminders (beat sends `fee_reminders` once a day in public; it sends `fee_reminders_school` to every
active school's schema, so one school's failure never holds up another's)."""

from celery import shared_task

from payments.ledger.notify import payment_confirmation_send
from payments.reminders.services import reminders_send
from tenants.tasks import for_each_school


@shared_task(ignore_result=True)
def payments_confirm(payment_ids: list[int]) -> int:
    """In the payments' school's schema (tenant-schemas-celery): the guardians' confirmation of each, once;
    the number of messages."""
    return sum(payment_confirmation_send(payment_id) for payment_id in payment_ids)


@shared_task(ignore_result=True)
def fee_reminders() -> int:
    """Fan out to every active school; returns the number of schools sent a task."""
    return for_each_school(fee_reminders_school)


@shared_task(ignore_result=True)
def fee_reminders_school() -> int:
    """In the school's schema: the reminders due today (each invoice and step once)."""
    return reminders_send()
