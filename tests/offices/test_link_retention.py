"""The data links' sent log keeps a record OFFICE_LINK_RECORD_DAYS after it ended: the nightly task deletes
the older ones that are sent, duplicates, rejected, given up or withdrawn, in batches; never one still
pending or being sent (a failing record waiting for its next attempt is pending), nor an old day's record
replayed lately."""

import datetime
import itertools

import pytest
from django.utils import timezone

from offices.links.models import LinkRecord
from offices.links.services import records_purge
from offices.models import EducationOffice, OfficeSchool
from offices.tasks import office_link_records_purge

Status = LinkRecord.Status
_serial = itertools.count()


@pytest.fixture
def office(world):
    office = EducationOffice.objects.create(code="phong-dong-da", name="Phòng GD&ĐT Đống Đa", kind="district",
                                            province="Hà Nội", district="Đống Đa")  # fmt: skip
    OfficeSchool.objects.create(office=office, school=world.school_a)
    return office


def _record(office, school, *, age_days: int, status: str, queued_days: int | None = None) -> LinkRecord:
    """A record about the day `age_days` ago, queued then (or `queued_days` ago: a replay)."""
    n = next(_serial)
    queued = timezone.now() - datetime.timedelta(days=age_days if queued_days is None else queued_days)
    return LinkRecord.objects.create(
        office=office, school=school, kind="attendance_mark", record_id=f"test-a/attendance_mark/{n}",
        day=timezone.localdate() - datetime.timedelta(days=age_days), label="6A1", key=f"{n:032d}",
        data={"n": n}, produced_at=queued, queued_at=queued, status=status, attempts=1,
    )  # fmt: skip


def test_old_records_that_ended_are_deleted_in_batches_and_nothing_else(world, office, settings):
    settings.OFFICE_LINK_RECORD_DAYS = 400
    school = world.school_a
    ended = [Status.SENT, Status.DUPLICATE, Status.REJECTED, Status.FAILED, Status.WITHDRAWN]
    old = [_record(office, school, age_days=401 + i, status=status) for i, status in enumerate(ended * 3)]
    kept = [
        *(
            _record(office, school, age_days=900, status=status)
            for status in (Status.PENDING, Status.SENDING)
        ),
        *(_record(office, school, age_days=399, status=status) for status in ended),
        _record(office, school, age_days=500, status=Status.REJECTED, queued_days=10),  # replayed lately
    ]
    assert records_purge(days=400, batch_size=4) == len(old)
    assert set(LinkRecord.objects.values_list("pk", flat=True)) == {record.pk for record in kept}
    assert records_purge(days=400) == 0  # nothing left to do

    # The task reads the setting: two days shorter, the records of 399 days go too.
    settings.OFFICE_LINK_RECORD_DAYS = 398
    assert office_link_records_purge() == len(ended)
    assert LinkRecord.objects.count() == 3


def test_beat_runs_the_deletion_every_night(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["office-link-records-purge"]
    assert entry["task"] == "offices.tasks.office_link_records_purge"
    assert entry["schedule"].hour == {3}
