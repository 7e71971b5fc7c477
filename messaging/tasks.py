from celery import shared_task

from messaging.gateways.base import GatewayError
from messaging.services import message_deliver


@shared_task(bind=True, autoretry_for=(GatewayError,), retry_backoff=2, retry_jitter=True, max_retries=8)
def deliver_message(self, message_id: int) -> None:
    message_deliver(message_id)


@shared_task(bind=True, autoretry_for=(GatewayError,), retry_backoff=1, retry_jitter=True, max_retries=5)
def deliver_urgent(self, message_id: int) -> None:
    """One-time codes and emergencies: the `urgent` queue, so bulk traffic never delays a login."""
    message_deliver(message_id)
