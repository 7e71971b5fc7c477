from celery import shared_task

from schoolbook.ratelimit import redis_client
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
