"""/healthz: what answers and what waits, for load balancers and monitors; 503 when a server is down."""

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.models import Delivery, Message
from schoolbook.caching import forget_local

pytestmark = pytest.mark.django_db


def test_every_server_answers_and_the_oldest_waiting_delivery_is_told(client, world, settings):
    now = timezone.now()
    with schema_context(world.school_a.schema_name):
        message = Message.objects.create(
            purpose="test", recipient="Phụ huynh", phone="+84900000014", body="x"
        )
        for queued, held in (
            (now - datetime.timedelta(minutes=10), None),
            (now - datetime.timedelta(hours=5), now + datetime.timedelta(hours=1)),
        ):
            Delivery.objects.create(
                message=message,
                channel="sms",
                gateway="console",
                address="+84900000014",
                queued_at=queued,
                not_before=held,
            )
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert all(check["ok"] for check in body["checks"].values())
    assert set(body["checks"]["broker"]["queues"]) == {"urgent", "default", "bulk"}
    assert 600 <= body["oldest_queued_delivery_seconds"] < 700  # the held one (quiet hours) is not late
    assert body["spare_schemas"] >= 1
    assert "Thử Nghiệm" not in response.content.decode()  # nothing about any school


def test_a_broker_that_does_not_answer_is_a_503(client, world, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    forget_local()
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "failing"
    assert body["checks"]["broker"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"]
