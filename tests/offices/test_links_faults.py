"""Fault tests of the data links with a real Celery worker and Redis, posting to the fake operations centre
(tests/fakes/ops_centre.py), which stores a record once per idempotency key and answers "duplicate" after
that: the centre down for a while, then back; 30 % of requests failing (half of them after the centre stored
the batch, so the answer is lost); a worker killed while the centre holds its answer. Each time every record
must be stored exactly once, and recorded on our side as delivered.

Time is scaled down: the workers back off from 0.1 s up to 0.5 s (production: 30 s up to 30 min), a claim is
a dead worker's after 2 s (production: 3 min), and the test calls the sweep every 0.3 s as beat does every
minute. "Down for an hour" is down for many backoff rounds. The workers here are this module's own (node
`links@…`), configured by environment for the fake; the session's `celery_worker`, if running, stops
consuming meanwhile."""

import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from attendance.models import AttendanceMark, Mark, RollCall
from offices.links import protocol
from offices.links.models import DataLink, LinkRecord
from offices.links.services import Produced, link_save, records_enqueue
from offices.models import EducationOffice, OfficeSchool
from offices.tasks import office_links_produce_all, office_links_sweep
from students.models import Enrolment, GradeLevel, SchoolClass, SchoolYear
from tenants.models import School
from tests.conftest import ARTIFACTS, other_workers_paused, wait_for, worker_kill, worker_start, worker_stop
from tests.factories import student_enrol
from tests.fakes.ops_centre import FakeCentre

pytestmark = pytest.mark.slow

NODE = "links@%h"
CLAIM_TIMEOUT = 2
Status = LinkRecord.Status


@dataclass
class Workers:
    centre: FakeCentre
    env: dict
    process: object = None
    log: Path | None = None
    starts: int = 0

    def start(self):
        self.starts += 1
        self.log = ARTIFACTS / f"celery-links-{self.starts}.log"
        self.process = worker_start(self.log, "-n", NODE, **self.env)


@pytest.fixture(scope="module")
def workers(django_db_setup):
    with other_workers_paused("links@"), FakeCentre() as centre:
        env = {
            "OFFICE_LINKS_TEST_ORIGINS": centre.url,
            "OFFICE_LINKS_BACKOFF_BASE_SECONDS": "0.1",
            "OFFICE_LINKS_BACKOFF_CAP_SECONDS": "0.5",
            "OFFICE_LINKS_TIMEOUT_SECONDS": "3",
            "OFFICE_LINKS_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT),
            "OFFICE_LINKS_SEND_SECONDS": "5",
            "OFFICE_LINKS_BATCH_SIZE": "25",
        }
        handle = Workers(centre, env)
        handle.start()
        try:
            yield handle
        finally:
            worker_stop(handle.process)


@pytest.fixture
def office(workers, django_db_blocker):
    """A committed office covering school A, linked to the fake centre; removed afterwards (its records go
    with it). Returns a function writing `n` payment records of today into its outbox."""
    centre = workers.centre
    centre.down, centre.fail_rate, centre.fail_after_storing, centre.delay = False, 0.0, False, 0.0
    centre.rejects.clear()
    code = f"phong-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        office = EducationOffice.objects.create(code=code, name="Phòng thử", kind="district",
                                                province="Hà Nội", district="Đống Đa")  # fmt: skip
        OfficeSchool.objects.create(office=office, school=school)
        link_save(actor=None, office=office, cleaned={
            "endpoint": centre.endpoint, "key_id": centre.KEY_ID, "secret": centre.SECRET,
            "send_attendance": False, "send_payments": True, "field_map": {}, "enabled": True,
        })  # fmt: skip

        def enqueue(n: int) -> list[int]:
            produced = [
                Produced(
                    f"{code}/payment/{k}", f"BL-{k}", {"school_code": "test-a", "payment_id": k, "amount": k}
                )
                for k in range(n)
            ]
            records_enqueue(school=school, day=timezone.localdate(), produced={protocol.PAYMENT: produced})
            return list(LinkRecord.objects.filter(office=office).values_list("pk", flat=True))

        enqueue.office = office
        yield enqueue
        office.delete()


def _statuses(ids) -> Counter:
    return Counter(LinkRecord.objects.filter(pk__in=ids).values_list("status", flat=True))


def _deliver(ids, timeout=60.0) -> Counter:
    """Call the sweep (beat's every minute) until every record is delivered; the final statuses."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = _statuses(ids)
        if statuses[Status.SENT] + statuses[Status.DUPLICATE] == len(ids):
            return statuses
        office_links_sweep.delay()
        time.sleep(0.3)
    raise AssertionError(f"not all delivered within {timeout} s: {_statuses(ids)}")


def _assert_each_stored_once(centre, ids):
    keys = set(LinkRecord.objects.filter(pk__in=ids).values_list("key", flat=True))
    stored = {key for key in centre.stored if key in keys}
    assert stored == keys, "a record never reached the centre"
    versions = Counter((r["record_id"], r["version"]) for k, r in centre.stored.items() if k in keys)
    assert set(versions.values()) == {1}, "a record was stored twice under two keys"


def test_the_centre_down_for_a_while_then_everything_arrives_once(workers, office, django_db_blocker):
    centre = workers.centre
    centre.down = True
    with django_db_blocker.unblock():
        ids = office(120)  # its sender task leaves on commit
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:  # many backoff rounds against a dead centre
            office_links_sweep.delay()
            time.sleep(0.3)
        down = LinkRecord.objects.filter(pk__in=ids)
        assert set(down.values_list("status", flat=True)) <= {Status.PENDING, Status.SENDING}
        assert max(down.values_list("attempts", flat=True)) >= 3
        assert set(down.exclude(attempts=0).values_list("answer", flat=True)) == {
            "HTTP 503: Service Unavailable"
        }
        assert centre.stored.keys().isdisjoint(down.values_list("key", flat=True))

        centre.down = False
        statuses = _deliver(ids)
        assert statuses == Counter({Status.SENT: 120})  # nothing was stored while down: no duplicates
        _assert_each_stored_once(centre, ids)


def test_thirty_percent_errors_nothing_lost_nothing_doubled(workers, office, django_db_blocker):
    centre = workers.centre
    centre.fail_rate, centre.fail_after_storing = 0.3, True
    with django_db_blocker.unblock():
        before = len(centre.answers)
        ids = office(300)
        statuses = _deliver(ids)
        _assert_each_stored_once(centre, ids)
        answers = Counter(status for status, _keys in centre.answers[before:])
        assert answers[500] / sum(answers.values()) >= 0.2  # the fake's seeded 30 %, give or take
        # Some batches were stored but their answer lost: sent again, they came back as duplicates.
        assert statuses[Status.DUPLICATE] > 0 and statuses[Status.SENT] + statuses[Status.DUPLICATE] == 300


def test_a_worker_killed_while_the_centre_answers_loses_and_doubles_nothing(
    workers, office, django_db_blocker
):
    centre = workers.centre
    centre.delay = 1.5  # the centre stores the batch, then answers late: the kill lands in between
    with django_db_blocker.unblock():
        ids = office(60)
        keys = set(LinkRecord.objects.filter(pk__in=ids).values_list("key", flat=True))
        wait_for(lambda: not keys.isdisjoint(centre.stored) and _statuses(ids)[Status.SENDING], timeout=15,
                 interval=0.02)  # fmt: skip
        worker_kill(workers.process)
        killed_at = time.monotonic()
        claimed = _statuses(ids)[Status.SENDING]
        assert claimed > 0

        centre.delay = 0.0
        workers.start()
        time.sleep(max(0.0, killed_at + CLAIM_TIMEOUT + 0.5 - time.monotonic()))  # every claim is stale now
        statuses = _deliver(ids)
        _assert_each_stored_once(centre, ids)
        # The dead worker's batch had been stored: sent again, it was answered "duplicate", not stored again.
        assert statuses[Status.DUPLICATE] >= 1


def test_the_evening_production_runs_in_each_covered_school_and_reaches_the_centre(
    workers, office, django_db_blocker
):
    """Beat's task in public → one task in school A's schema (the one the office covers; B sends nothing)
    → the producer → the outbox → the sender → the centre."""
    centre, tag = workers.centre, uuid.uuid4().hex[:4]
    today = timezone.localdate()
    with django_db_blocker.unblock():
        DataLink.objects.filter(office=office.office).update(send_attendance=True)
        school = School.objects.get(code="test-a")
        with schema_context(school.schema_name):
            klass = SchoolClass.objects.create(
                name=f"6Z{tag}",
                grade=GradeLevel.objects.get(number=6),
                year=SchoolYear.objects.get(is_current=True),
            )
            student = student_enrol(f"Z-{tag}", klass, "Học Sinh Buổi Tối", sector_id="010199990001")
            roll_call = RollCall.objects.create(school_class=klass, date=today, session="morning")
            AttendanceMark.objects.create(roll_call=roll_call, student=student, mark=Mark.ABSENT_UNEXCUSED)
        try:
            office_links_produce_all.delay([today.isoformat()])
            record_id = f"test-a/attendance_mark/{today.isoformat()}/morning/Z-{tag}"

            def arrived():
                stored = [r for r in centre.stored.values() if r["record_id"] == record_id]
                return stored and LinkRecord.objects.filter(record_id=record_id, status=Status.SENT).exists()

            wait_for(arrived, timeout=30)
            stored = next(r for r in centre.stored.values() if r["record_id"] == record_id)
            assert stored["data"]["sector_id"] == "010199990001" and stored["data"]["mark"] == "K"
            assert not LinkRecord.objects.exclude(school=school).filter(office=office.office).exists()
        finally:
            with schema_context(school.schema_name):
                AttendanceMark.objects.filter(student=student).delete()
                RollCall.objects.filter(pk=roll_call.pk).delete()
                Enrolment.objects.filter(student=student).delete()
                student.delete()
                klass.delete()
