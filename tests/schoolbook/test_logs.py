"""Log lines carry their school, request id and task id (schoolbook.logs), as JSON lines or as text."""

import io
import json
import logging
import re

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from messaging.outbox.services import message_send
from messaging.tasks import deliver_batch
from schoolbook.logs import ContextFilter, json_formatter
from tests.conftest import ARTIFACTS, sent_by_the_worker


@pytest.fixture
def json_lines():
    """Every record of the root logger as JSON, through the same filter and formatter LOG_FORMAT=json uses."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(json_formatter())
    logging.getLogger().addHandler(handler)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    logging.getLogger().removeHandler(handler)


@pytest.mark.django_db
def test_a_line_inside_a_school_request_carries_the_school_and_the_request_id(world, json_lines):
    client = Client()
    client.force_login(world.admin_a)
    response = client.get("/s/test-a/students/987654/", headers={"X-Request-ID": "0f3c9a7e-proxy-id"})
    assert response.status_code == 404 and response["X-Request-ID"] == "0f3c9a7e-proxy-id"
    access, not_found = [line for line in json_lines() if line["request_id"] == "0f3c9a7e-proxy-id"]
    assert not_found["logger"] == "django.request" and not_found["level"] == "WARNING"
    assert not_found["school"] == "test-a"
    assert access["logger"] == "schoolbook.requests" and access["school"] == "test-a"
    assert (access["route"], access["method"], access["status"]) == ("student_detail", "GET", 404)
    assert access["task_id"] == "" and {"time", "message"} <= set(access)


@pytest.mark.django_db
def test_a_request_no_school_took_is_not_given_the_last_one(world, json_lines):
    client = Client()
    client.force_login(world.admin_a)
    client.get("/s/test-a/")
    client.get("/s/no-such-school/")  # the same thread's connection still has test-a's schema
    *_, access, not_found = json_lines()
    assert not_found["message"].startswith("Not Found") and not_found["school"] == ""
    assert not_found["request_id"] == access["request_id"] != ""
    assert access["route"] == "unmatched" and access["school"] == ""


@pytest.mark.django_db
def test_a_request_id_that_is_not_a_safe_token_is_replaced(client, json_lines):
    for unsafe in ('x" school="test-b', "a" * 65, ""):
        response = client.get("/login/", headers={"X-Request-ID": unsafe} if unsafe else {})
        generated = response["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated)
        assert json_lines()[-1]["request_id"] == generated


@pytest.mark.django_db
def test_a_task_line_carries_the_school_and_the_task_id(world, json_lines):
    with schema_context(world.school_a.schema_name):
        message = message_send(purpose="test", recipient="+84912000077", body="Nhật ký")
        ids = list(message.deliveries.values_list("pk", flat=True))
    connection.set_schema_to_public()
    # As the worker runs it: tenant-schemas-celery switches to the schema its header names.
    result = deliver_batch.apply(args=[ids], headers={"_schema_name": world.school_a.schema_name})
    (line,) = [line for line in json_lines() if line["message"].startswith("[console SMS] to +84912000077")]
    assert line["school"] == "test-a" and line["task_id"] == result.id
    assert line["task"] == "messaging.tasks.deliver_batch" and line["request_id"] == ""


def test_the_worker_writes_the_school_and_the_task_id_on_its_task_lines(celery_worker, django_db_blocker):
    """The real worker, with the test settings' text format: the context in brackets."""
    sent_by_the_worker(django_db_blocker, "+84912000078", "Nhật ký thật")
    log = (ARTIFACTS / "celery-worker.log").read_text()
    (line,) = [line for line in log.splitlines() if "[console SMS] to +84912000078" in line]
    assert re.search(r"schoolbook\.console_gateway \[test-a task=[0-9a-f-]{36}\]: \[console SMS\]", line)
