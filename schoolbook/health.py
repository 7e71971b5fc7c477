"""/healthz for load balancers and monitors: whether the database, the cache and the broker answer (200 or
503), and what is waiting: each worker queue's length, the age of the oldest delivery waiting to be sent in
any school (held deliveries of the quiet hours excluded), the number of spare schemas ready. Nothing about
any school in particular. The deliveries' age is one `UNION ALL` over the schools' schemas, cached 30 s."""

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from messaging.models import Delivery
from schoolbook.caching import cached_lookup
from schoolbook.devstack import WORKER_QUEUES
from schoolbook.ratelimit import redis_client
from tenants.models import School, SpareSchema

CHUNK = 500  # schemas per query
OLDEST_SECONDS_CACHE = 30


def healthz(request):
    checks, failing = {}, False
    for name, probe in (("database", _database), ("cache", _cache), ("broker", _broker)):
        started = time.perf_counter()
        try:
            value = probe()
        except Exception as error:  # a health check reports every failure, it never raises one
            checks[name] = {"ok": False, "error": type(error).__name__}
            failing = True
        else:
            checks[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
            if value is not None:
                checks[name].update(value)
    body = {"status": "failing" if failing else "ok", "checks": checks}
    if not checks["database"]["ok"]:
        return JsonResponse(body, status=503)
    if checks["cache"]["ok"]:
        oldest = cached_lookup(
            "health:oldest-delivery", _oldest_queued_delivery_seconds, OLDEST_SECONDS_CACHE
        )
    else:
        oldest = _oldest_queued_delivery_seconds()
    body["oldest_queued_delivery_seconds"] = oldest
    body["spare_schemas"] = SpareSchema.objects.count()
    return JsonResponse(body, status=503 if failing else 200)


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    redis_client().ping()


def _broker() -> dict:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return {"queues": {queue: client.llen(queue) for queue in WORKER_QUEUES.split(",")}}


def _oldest_queued_delivery_seconds() -> int | None:
    """Seconds since the oldest delivery still queued (not held for the quiet hours) was queued, over the
    platform's own and every active school's; None when nothing waits."""
    schemas = ["public", *School.objects.filter(is_active=True).values_list("schema_name", flat=True)]
    table = Delivery._meta.db_table
    now = timezone.now()
    oldest = None
    with connection.cursor() as cursor:
        for start in range(0, len(schemas), CHUNK):
            chunk = schemas[start : start + CHUNK]
            union = " UNION ALL ".join(
                f"SELECT min(queued_at) FROM {connection.ops.quote_name(schema)}.{table} "
                "WHERE status = %s AND (not_before IS NULL OR not_before <= %s)"
                for schema in chunk
            )
            cursor.execute(union, [value for _ in chunk for value in (Delivery.Status.QUEUED, now)])
            found = [row[0] for row in cursor.fetchall() if row[0] is not None]
            if found:
                oldest = min([*found, oldest] if oldest else found)
    return None if oldest is None else int((now - oldest).total_seconds())
