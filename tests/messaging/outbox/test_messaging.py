"""The messaging outbox with a real Celery worker and Redis: sent once, in the right schema, on commit."""

import uuid

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from messaging.models import Delivery, Message
from messaging.outbox.services import message_send
from messaging.tasks import deliver_batch
from tests.conftest import ARTIFACTS, wait_for

pytestmark = pytest.mark.slow


def _recipient() -> str:
    return f"+8497{uuid.uuid4().int % 10**7:07d}"


def _status(pk, schema="public"):
    with schema_context(schema):
        return Delivery.objects.filter(message=pk).values_list("status", "attempts", "gateway").first()


@pytest.fixture
def committed(django_db_blocker, celery_worker):
    """Data written here is committed, so the worker process can see it; removed afterwards."""
    with django_db_blocker.unblock():
        created = []
        yield created
        for schema, pk in created:
            with schema_context(schema):
                Message.objects.filter(pk=pk).delete()


def test_message_is_sent_once_by_the_worker_even_if_the_task_is_duplicated(committed):
    recipient = _recipient()
    with transaction.atomic():
        message = message_send(purpose="test", recipient=recipient, body="Xin chào phụ huynh")
    committed.append(("public", message.pk))
    assert wait_for(lambda: _status(message.pk)[0] == "sent")
    (delivery_id,) = message.deliveries.values_list("pk", flat=True)
    deliver_batch.delay([delivery_id])  # the same task delivered again, e.g. after a broker redelivery
    deliver_batch.delay([delivery_id])
    marker = _recipient()
    with transaction.atomic():  # a later message on the same queue proves the duplicates were processed
        later = message_send(purpose="test", recipient=marker, body="sau")
    committed.append(("public", later.pk))
    assert wait_for(lambda: _status(later.pk)[0] == "sent")
    assert _status(message.pk) == ("sent", 1, "console")
    log = (ARTIFACTS / "celery-worker.log").read_text()
    assert log.count(f"[console SMS] to {recipient}:") == 1


def test_rolled_back_cause_sends_nothing(committed):
    recipient = _recipient()
    with pytest.raises(RuntimeError), transaction.atomic():
        message_send(purpose="test", recipient=recipient, body="không được gửi")
        raise RuntimeError("the cause failed")
    assert not Message.objects.filter(recipient=recipient).exists()


def test_task_runs_in_the_schema_of_the_school_that_sent_it(committed):
    recipient = _recipient()
    with schema_context("school_test_a"), transaction.atomic():
        message = message_send(purpose="test", recipient=recipient, body="Thông báo của trường A")
    committed.append(("school_test_a", message.pk))
    assert wait_for(lambda: (_status(message.pk, "school_test_a") or ("",))[0] == "sent")
    assert not Message.objects.filter(recipient=recipient).exists()  # public
    with schema_context("school_test_b"):
        assert not Message.objects.filter(recipient=recipient).exists()
