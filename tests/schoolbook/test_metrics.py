"""Prometheus metrics (schoolbook.metrics): what is counted, who may read /metrics, and that the counts of
several processes add up, in gunicorn's workers and in a Celery worker's pool."""

import os
import subprocess
import sys
import urllib.request

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from messaging.models import Delivery
from messaging.outbox.selectors import Recipient
from messaging.outbox.services import messages_send
from messaging.pipeline.services import deliveries_send
from tests.conftest import ARTIFACTS, ROOT, _test_database_url, free_port, sent_by_the_worker, wait_for
from tests.fakes.sms_providers import FakeEsms

REQUESTS = "schoolbook_http_requests_total"
DELIVERIES = "schoolbook_deliveries_total"


def local(name: str, **labels) -> float:
    """A sample of this process's registry (the test process counts in memory: no multiprocess dir)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(url: str) -> dict:
    """{(sample name, sorted labels): value} of a /metrics page."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_test_process_counts_in_memory():
    assert not os.environ.get("PROMETHEUS_MULTIPROC_DIR")


@pytest.mark.django_db
def test_responses_are_counted_by_route_name_never_by_path_or_school(client, world):
    login = {"route": "login", "method": "GET", "status": "200"}
    school_home = {"route": "school_home", "method": "GET", "status": "302"}  # anonymous: to the login page
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    before = [local(REQUESTS, **labels) for labels in (login, school_home, unmatched)]
    client.get("/login/")
    client.get(f"/s/{world.school_a.code}/")
    client.get("/s/no-such-school/students/")
    client.generic("BREW", "/login/")
    after = [local(REQUESTS, **labels) for labels in (login, school_home, unmatched)]
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
    assert local(REQUESTS, route="login", method="other", status="200") >= 1  # an unknown method, bounded
    assert local("schoolbook_http_request_duration_seconds_count", route="login", method="GET") >= 1

    page = client.get("/metrics").content.decode()
    assert 'route="school_home"' in page
    assert world.school_a.code not in page and "/s/" not in page


@pytest.mark.django_db
@override_settings(
    METRICS_TOKEN="prometheus-secret-token", METRICS_ALLOWED_NETWORKS=["127.0.0.1/32", "10.0.0.0/8"]
)
def test_metrics_answer_only_allowed_networks_or_the_bearer_token(client):
    assert client.get("/metrics").status_code == 200  # loopback
    local_page = client.get("/metrics")
    assert local_page["Content-Type"].startswith("text/plain") and b"schoolbook_http_requests_total" in (
        local_page.content
    )
    assert client.get("/metrics", HTTP_X_REAL_IP="10.1.2.3").status_code == 200
    # Through the proxy (it sets X-Real-IP) a client on the internet is not local, whatever the peer.
    assert client.get("/metrics", HTTP_X_REAL_IP="203.0.113.7").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 404
    token = {"HTTP_AUTHORIZATION": "Bearer prometheus-secret-token"}
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7", **token).status_code == 200
    wrong = {"HTTP_AUTHORIZATION": "Bearer guess"}
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7", **wrong).status_code == 404
    with override_settings(METRICS_TOKEN=""):  # no token configured: "Bearer " alone opens nothing
        empty = {"HTTP_AUTHORIZATION": "Bearer "}
        assert client.get("/metrics", REMOTE_ADDR="203.0.113.7", **empty).status_code == 404


@pytest.mark.django_db
def test_deliveries_by_status_and_gateway_errors_by_kind(world, django_capture_on_commit_callbacks):
    with (
        FakeEsms() as esms,
        override_settings(SMS_GATEWAY="esms", GATEWAYS={"esms": esms.settings()}, MESSAGING_MAX_ATTEMPTS=1),
        schema_context(world.school_a.schema_name),
    ):
        before = {
            "queued": local(DELIVERIES, channel="sms", status="queued"),
            "sent": local(DELIVERIES, channel="sms", status="sent"),
            "failed": local(DELIVERIES, channel="sms", status="failed"),
            "transient": local("schoolbook_gateway_errors_total", gateway="esms", kind="transient"),
        }
        with django_capture_on_commit_callbacks(execute=True):  # counted on commit
            messages = messages_send(
                purpose="t", items=[(Recipient(phone=f"+8491200000{n}"), "Họp") for n in range(3)]
            )
            ids = list(Delivery.objects.filter(message__in=messages).values_list("pk", flat=True))
            deliveries_send(ids[:1])
            esms.status = 500  # the provider is down: a transient error, final after MESSAGING_MAX_ATTEMPTS
            deliveries_send(ids[1:])
    assert local(DELIVERIES, channel="sms", status="queued") - before["queued"] == 3
    assert local(DELIVERIES, channel="sms", status="sent") - before["sent"] == 1
    assert local(DELIVERIES, channel="sms", status="failed") - before["failed"] == 2
    assert (
        local("schoolbook_gateway_errors_total", gateway="esms", kind="transient") - before["transient"] == 2
    )
    assert local("schoolbook_gateway_send_seconds_count", gateway="esms") >= 2


def test_a_worker_pool_counts_tasks_and_deliveries_in_its_own_metrics(celery_worker, django_db_blocker):
    """Tasks run in the pool's processes; the worker's main process serves their sum. The message is
    committed (no `db` fixture here), so that the worker sees it."""
    url = celery_worker.metrics_url
    task = "messaging.tasks.deliver_batch"
    before = scraped(url)
    sent_by_the_worker(django_db_blocker, "+84912000099", "Đo đếm")
    after = wait_for(
        lambda: (s := scraped(url)) and value(s, DELIVERIES, channel="sms", status="sent") > 0 and s
    )

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew(DELIVERIES, channel="sms", status="sent") == 1
    # At least this message's task: another test's task may still have been waiting for a worker.
    assert grew("schoolbook_celery_task_run_seconds_count", task=task, state="SUCCESS") >= 1
    assert grew("schoolbook_celery_task_queue_wait_seconds_count", task=task) >= 1
    assert (
        grew("schoolbook_celery_task_queue_wait_seconds_bucket", task=task, le="10.0") >= 1
    )  # ours waited little


@pytest.mark.slow
def test_gunicorn_workers_add_up_even_across_restarted_workers(django_db_setup):
    """Two sync workers, each replaced after 5 requests: 20 requests are counted 20 times, whichever process
    answered and whether it is still alive."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=_test_database_url())
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = ARTIFACTS / "gunicorn-metrics.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "schoolbook.wsgi", "--workers", "2", "--max-requests", "5",
             "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:

        def up():
            try:
                return urllib.request.urlopen(f"{base}/favicon.ico", timeout=2).status == 200
            except OSError:
                return server.poll() is not None and pytest.fail(log.read_text()[-3000:])

        wait_for(up, timeout=60, interval=0.3)
        for _ in range(20):
            with urllib.request.urlopen(f"{base}/login/", timeout=10) as response:
                assert response.status == 200
        samples = scraped(f"{base}/metrics")
        assert value(samples, REQUESTS, route="login", method="GET", status="200") == 20
        assert (
            value(samples, "schoolbook_http_request_duration_seconds_count", route="login", method="GET")
            == 20
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (
        log.read_text().count("Booting worker") >= 4
    )  # the 20 requests were answered by 4 processes or more
