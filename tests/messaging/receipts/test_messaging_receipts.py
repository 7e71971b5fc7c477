"""eSMS delivery reports through our public webhook: real deliveries sent through the pipeline to a local
eSMS (tests/fakes) that records the CallbackUrl we gave it, then the report it would send, through Django's
test client. Replays change nothing, a report without our token gets 403, and a school's URL only ever
touches that school's deliveries, even when another school has a delivery with the same id."""

import logging

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from messaging.delivery_keys import delivery_key
from messaging.gateways.base import Receipt, ReceiptStatus
from messaging.gateways.esms import receipt_token
from messaging.models import Delivery
from messaging.outbox.services import messages_send
from messaging.pipeline.services import deliveries_send
from messaging.receipts.services import deliveries_apply_receipts
from tests.fakes.sms_providers import FakeEsms

SCHEMA_A, SCHEMA_B = "school_test_a", "school_test_b"
HOST = "https://truong.example"


@pytest.fixture
def esms(db):
    with FakeEsms() as fake:
        options = fake.settings(callback_url=f"{HOST}/hooks/esms/")
        with override_settings(SMS_GATEWAY="esms", GATEWAYS={"esms": options}):
            yield fake


def send_sms(schema: str, n: int = 1) -> list[int]:
    """n deliveries written by messages_send in `schema` and sent through the local eSMS: status sent."""
    with schema_context(schema):
        items = [(f"+8491{k:07d}", f"Thông báo số {k}") for k in range(n)]
        messages = messages_send(purpose="test", items=items)
        ids = list(Delivery.objects.filter(message__in=messages).order_by("pk").values_list("pk", flat=True))
        assert deliveries_send(ids).retry_ids == []
        assert list(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == ["sent"] * n
    return ids


def row(schema: str, pk: int) -> tuple:
    with schema_context(schema):
        d = Delivery.objects.get(pk=pk)
        return d.status, d.error, d.provider_message_id, d.sent_at, d.attempts


def report(esms, pk: int, delivered=True, path=None, method="get", schema=SCHEMA_A, **client):
    """Deliver eSMS's report on `pk` (of `schema`) to the CallbackUrl eSMS was given (or to `path`)."""
    url, params = esms.callback(delivery_key(pk, schema), delivered=delivered)
    return getattr(Client(**client), method)(path or url.removeprefix(HOST), params)


def test_a_report_marks_the_delivery_delivered_and_a_replay_changes_nothing(esms):
    (pk,) = send_sms(SCHEMA_A)
    assert (
        esms.accepted[delivery_key(pk, SCHEMA_A)]["CallbackUrl"]
        == f"{HOST}/hooks/esms/test-a/{receipt_token('test-a')}/"
    )
    _, _, sms_id, sent_at, _ = row(SCHEMA_A, pk)

    with CaptureQueriesContext(connection) as queries:
        response = report(esms, pk)
    assert (response.status_code, response.json()) == (200, {"updated": 1})  # no login, no redirect
    assert row(SCHEMA_A, pk) == ("delivered", "", sms_id, sent_at, 1)
    on_deliveries = [q["sql"].split()[0] for q in queries if "messaging_delivery" in q["sql"]]
    assert on_deliveries == ["SELECT", "UPDATE"]
    with schema_context(SCHEMA_A):
        delivered_at = Delivery.objects.get(pk=pk).delivered_at
    assert delivered_at is not None and delivered_at >= sent_at

    with CaptureQueriesContext(connection) as queries:
        replay = report(esms, pk)
    assert (replay.status_code, replay.json()) == (200, {"updated": 0})
    assert row(SCHEMA_A, pk) == ("delivered", "", sms_id, sent_at, 1)
    assert [q["sql"].split()[0] for q in queries if "messaging_delivery" in q["sql"]] == ["SELECT"]
    with schema_context(SCHEMA_A):
        assert Delivery.objects.get(pk=pk).delivered_at == delivered_at  # the first receipt's time stays


def test_a_failed_report_records_the_reason_and_never_undoes_delivered(esms):
    lost, ok = send_sms(SCHEMA_A, 2)
    response = report(esms, lost, delivered=False, method="post", enforce_csrf_checks=True)  # POST, no CSRF
    assert (response.status_code, response.json()) == (200, {"updated": 1})
    assert row(SCHEMA_A, lost)[:2] == ("failed", "the carrier could not deliver it")

    assert report(esms, ok).json() == {"updated": 1}
    late = report(esms, ok, delivered=False)  # reports can arrive out of order: delivered stays delivered
    assert late.json() == {"updated": 0}
    assert row(SCHEMA_A, ok)[:2] == ("delivered", "")
    assert report(esms, lost).json() == {"updated": 0}  # nor does a failed one move again


def test_a_report_without_our_token_gets_403_and_changes_nothing(esms):
    (pk,) = send_sms(SCHEMA_A)
    before = row(SCHEMA_A, pk)
    token = receipt_token("test-a")
    tampered = token[:-1] + ("1" if token.endswith("0") else "0")
    for path in (
        "/hooks/esms/test-a/not-the-token/",
        f"/hooks/esms/test-a/{tampered}/",
        f"/hooks/esms/{token}/test-a/",  # the token must be the last segment
        "/hooks/esms/no-such-school/wrong/",  # checked before the school: no oracle for school codes
    ):
        assert report(esms, pk, path=path).status_code == 403, path
        assert report(esms, pk, path=path, method="post").status_code == 403, path
    url, params = esms.callback(delivery_key(pk, SCHEMA_A))
    with override_settings(SECRET_KEY="another-deployment-" + "y" * 40):
        # the token is bound to this deployment's SECRET_KEY
        assert Client().get(url.removeprefix(HOST), params).status_code == 403
    assert report(esms, pk, path="/hooks/esms/test-a/").status_code == 404  # no token at all: no route
    assert row(SCHEMA_A, pk) == before


def test_unknown_school_is_404(esms):
    client = Client()
    for code in ("no-such-school", "TEST-A"):
        token = receipt_token(code)  # the right token for that code: only then does the school matter
        response = client.get(f"/hooks/esms/{code}/{token}/", {"RequestId": "1", "SendStatus": "5"})
        assert response.status_code == 404, code


def _align_delivery_ids(*schemas: str) -> None:
    """Make the next Delivery id the same in every schema (each schema has its own sequence). Sequences are
    only ever moved forward, so rows committed by other tests can never collide."""
    highest = 0
    for schema in schemas:
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute("SELECT last_value FROM messaging_delivery_id_seq")
            highest = max(highest, cursor.fetchone()[0])
    for schema in schemas:
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute("SELECT setval('messaging_delivery_id_seq', %s)", [highest])


def test_another_schools_report_changes_nothing_in_either_school(esms):
    """School B's report, with the same Delivery id as school A's message, changes nothing at A's URL."""
    _align_delivery_ids(SCHEMA_A, SCHEMA_B)
    (pk_a,) = send_sms(SCHEMA_A)
    with (
        FakeEsms() as esms_b,
        override_settings(GATEWAYS={"esms": esms_b.settings(callback_url=f"{HOST}/hooks/esms/")}),
    ):
        (pk_b,) = send_sms(SCHEMA_B)
        assert pk_a == pk_b  # the same id in both schools: only the provider id tells them apart
        url, params = esms_b.callback(delivery_key(pk_b, SCHEMA_B))
    assert url == f"{HOST}/hooks/esms/test-b/{receipt_token('test-b')}/"
    before_a, before_b = row(SCHEMA_A, pk_a), row(SCHEMA_B, pk_b)

    # School B's report (RequestId = B's id, SMSID = B's message) at school A's URL.
    path_a = f"/hooks/esms/test-a/{receipt_token('test-a')}/"
    assert Client().get(path_a, params).json() == {"updated": 0}
    bare = {key: value for key, value in params.items() if key != "RequestId"}  # only eSMS's id
    assert Client().get(path_a, bare).json() == {"updated": 0}
    assert (row(SCHEMA_A, pk_a), row(SCHEMA_B, pk_b)) == (before_a, before_b)

    assert Client().get(url.removeprefix(HOST), params).json() == {"updated": 1}  # at B's own URL
    assert row(SCHEMA_B, pk_b)[0] == "delivered"
    assert row(SCHEMA_A, pk_a) == before_a


def test_two_schools_sharing_one_esms_account_both_reach_their_parents(esms):
    """The same Delivery id in two schools: the key carries the schema, so eSMS sees two requests, not a
    duplicate (it would answer 124 and never send school B's message)."""
    _align_delivery_ids(SCHEMA_A, SCHEMA_B)
    (pk_a,) = send_sms(SCHEMA_A)
    (pk_b,) = send_sms(SCHEMA_B)
    assert pk_a == pk_b
    assert esms.total_sent == 2


def test_login_codes_report_to_public(esms):
    (pk,) = send_sms("public")
    assert (
        esms.accepted[delivery_key(pk, "public")]["CallbackUrl"]
        == f"{HOST}/hooks/esms/public/{receipt_token('public')}/"
    )
    assert report(esms, pk, schema="public").json() == {"updated": 1}
    assert row("public", pk)[0] == "delivered"


def test_reports_on_unknown_or_unfinished_messages_change_nothing(esms, caplog):
    (pk,) = send_sms(SCHEMA_A)
    path = f"/hooks/esms/test-a/{receipt_token('test-a')}/"
    _, params = esms.callback(delivery_key(pk, SCHEMA_A))
    with caplog.at_level(logging.WARNING, logger="schoolbook.messaging"):
        unknown = Client().get(path, params | {"RequestId": "987654321", "SMSID": "not-ours"})
    assert (unknown.status_code, unknown.json()) == (200, {"updated": 0})
    assert "987654321" in caplog.text  # ignored, but logged
    at_carrier = Client().get(path, params | {"SendStatus": "7"})  # not final yet: eSMS reports again later
    assert at_carrier.json() == {"updated": 0}
    assert row(SCHEMA_A, pk)[0] == "sent"


def test_a_batch_of_receipts_is_one_select_and_one_update(esms):
    ids = send_sms(SCHEMA_A, 5)
    with schema_context(SCHEMA_A):
        by_id = dict(Delivery.objects.filter(pk__in=ids).values_list("pk", "provider_message_id"))
        receipts = [Receipt(ReceiptStatus.DELIVERED, delivery_key(pk), by_id[pk]) for pk in ids[:3]]
        receipts += [Receipt(ReceiptStatus.FAILED, "", by_id[ids[3]], "số không liên lạc được")]  # by SMSID
        with CaptureQueriesContext(connection) as queries:
            assert deliveries_apply_receipts(receipts, gateway="esms") == 4
        assert deliveries_apply_receipts(receipts, gateway="http_sms") == 0  # only this gateway's deliveries
        rows = dict(Delivery.objects.filter(pk__in=ids).values_list("pk", "status"))
        failed = Delivery.objects.get(pk=ids[3])
    sql = [q["sql"].split()[0] for q in queries if "messaging_delivery" in q["sql"]]
    assert sql == ["SELECT", "UPDATE"]
    assert [rows[pk] for pk in ids] == ["delivered"] * 3 + ["failed", "sent"]
    assert failed.error == "số không liên lạc được"
