"""The fees' background work: the confirmation message of a payment, sent after it is committed."""

from celery import shared_task

from payments.ledger.notify import payment_confirmation_send


@shared_task(ignore_result=True)
def payments_confirm(payment_ids: list[int]) -> int:
    """In the payments' school's schema (tenant-schemas-celery): the guardians' confirmation of each, once;
    the number of messages."""
    return sum(payment_confirmation_send(payment_id) for payment_id in payment_ids)
