"""The fees' background work: the confirmation message of a payment, sent after it is committed."""

from celery import shared_task

from payments.ledger.notify import payment_confirmation_send


@shared_task(ignore_result=True)
def payment_confirm(payment_id: int) -> int:
    """In the payment's school's schema (tenant-schemas-celery): the guardians' confirmation, once."""
    return payment_confirmation_send(payment_id)
