"""Data links: producing a school's day for its office's operations centre, and sending it there.

One school, `bench-links`, is seeded with `seed_demo`'s roster writer (classes of 45), then today's morning
and afternoon roll calls of every class are written with 1 student in 15 marked (P, K or late, as a day
with many absences would have), and an office covering the school gets a link to the fake centre
(tests/fakes/ops_centre.py, in this process on 127.0.0.1: it checks every signature and stores each record
once). Then, in this process (no worker: the sender's code is called as the task calls it):

- `records_produce` of today in the school's schema: the class records and one record per mark into the
  outbox (ms, records, queries);
- the same again, nothing changed: nothing written (ms, queries);
- `link_send` for the office: every record claimed, signed, posted in batches of OFFICE_LINKS_BATCH_SIZE and
  recorded (records per second, batches; the fake's signature checks and JSON parsing share the CPU);
- the day produced again after one mark per class changed: only those marks' and classes' new versions.

The school, its schema, people and the office are dropped at the end and at the start (bench/_setup.py).

    .venv/bin/python bench/links.py [--students 2000] [--batch 100]
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _setup

from tests.fakes.ops_centre import FakeCentre

SEED = 16
TEACHERS, GUARDIANS, ADMINS = 200_000, 600_000, 950_000
OFFICE = "bench-links-office"
TARGET_PRODUCE_MS = 2000  # a school's day, produced in the evening task: seconds, not minutes
TARGET_SEND_PER_SECOND = 500


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--students", type=int, default=2000, help="students (in classes of 45)")
    parser.add_argument(
        "--batch", type=int, default=100, help="records per request (OFFICE_LINKS_BATCH_SIZE)"
    )
    args = parser.parse_args()

    _setup.setup()
    _drop_office()
    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    started = time.perf_counter()
    try:
        with FakeCentre() as centre:
            school, roster, marks = _school(actor, args.students)
            office = _office(actor, school, centre)
            results = _run(school, office, centre, args.batch)
    finally:
        elapsed = time.perf_counter() - started
        _drop_office()
        dropped = _setup.drop_bench_schools()
    _print(args, roster, marks, results)
    print(f"\n{dropped} bench school dropped; run took {elapsed:.0f} s.")
    return 0


def _drop_office() -> None:
    from offices.models import EducationOffice

    EducationOffice.objects.filter(code=OFFICE).delete()  # its link and outbox go with it


def _school(actor, students: int):
    """The bench school, its roster, and today's roll calls (both sessions of every class) with marks."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from attendance.models import AttendanceMark, Mark, RollCall
    from students.models import Enrolment, SchoolClass

    school, roster = _setup.roster_school(
        actor, code="links", name="Trường THCS Đo Kết Nối", students=students, seed=SEED,
        teachers=TEACHERS, guardians=GUARDIANS, admins=ADMINS,
    )  # fmt: skip
    rng = random.Random(SEED)
    today = timezone.localdate()
    with schema_context(school.schema_name):
        members = {}
        for class_id, student_id in Enrolment.objects.values_list("school_class_id", "student_id"):
            members.setdefault(class_id, []).append(student_id)
        roll_calls = RollCall.objects.bulk_create(
            RollCall(school_class_id=class_id, date=today, session=session, period=0)
            for class_id in SchoolClass.objects.values_list("pk", flat=True)
            for session in ("morning", "afternoon")
        )
        marks = [
            AttendanceMark(
                roll_call=roll_call,
                student_id=student_id,
                mark=rng.choice([Mark.ABSENT_EXCUSED, Mark.ABSENT_UNEXCUSED, Mark.LATE]),
            )
            for roll_call in roll_calls
            for student_id in members.get(roll_call.school_class_id, [])
            if rng.random() < 1 / 15
        ]
        AttendanceMark.objects.bulk_create(marks)
    return school, roster, len(marks)


def _office(actor, school, centre):
    from django.conf import settings

    from offices.links.services import link_save
    from offices.models import EducationOffice, OfficeSchool

    settings.OFFICE_LINKS_TEST_ORIGINS = [centre.url]
    office = EducationOffice.objects.create(code=OFFICE, name="Phòng Đo", kind="province", province="Hà Nội")
    OfficeSchool.objects.create(office=office, school=school)
    link_save(actor=actor, office=office, cleaned={
        "endpoint": centre.endpoint, "key_id": centre.KEY_ID, "secret": centre.SECRET,
        "send_attendance": True, "send_payments": True, "enabled": True,
        "field_map": {"attendance_mark": {"sector_id": "ma_dinh_danh"}},
    })  # fmt: skip
    return office


def _timed(call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        value = call()
        ms = (time.perf_counter() - start) * 1000
    return value, ms, len(captured)


def _run(school, office, centre, batch: int) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from attendance.models import AttendanceMark, Mark
    from offices.links.models import LinkRecord
    from offices.links.sending import link_send
    from schoolbook.office_links import records_produce

    settings.OFFICE_LINKS_BATCH_SIZE = batch
    today = timezone.localdate()

    def produce():
        with schema_context(school.schema_name):
            return records_produce(school=school, day=today)

    results = {}
    results["produce"] = _timed(produce)
    results["again"] = _timed(produce)
    connection.set_schema_to_public()
    requests_before = len(centre.answers)
    sent, ms, _queries = _timed(lambda: link_send(office.pk))
    statuses = set(LinkRecord.objects.filter(office=office).values_list("status", flat=True))
    assert sent == results["produce"][0] and statuses == {"sent"}, (sent, statuses)
    assert len(centre.stored) == sent
    batches = [len(keys) for status, keys in centre.answers[requests_before:] if status == 200]
    results["send"] = {
        "records": sent,
        "ms": ms,
        "batches": len(batches),
        "median_batch": statistics.median(batches),
    }
    with schema_context(school.schema_name):  # one mark per class changed: P ↔ K
        changed = 0
        for mark in AttendanceMark.objects.order_by("roll_call__school_class_id", "pk").distinct(
            "roll_call__school_class_id"
        ):
            mark.mark = Mark.ABSENT_UNEXCUSED if mark.mark == Mark.ABSENT_EXCUSED else Mark.ABSENT_EXCUSED
            mark.save(update_fields=["mark"])
            changed += 1
    results["changed"] = (*_timed(produce), changed)
    return results


def _print(args, roster, marks: int, r: dict) -> None:
    records, produce_ms, produce_queries = r["produce"]
    send = r["send"]
    rate = send["records"] / (send["ms"] / 1000)
    produce_met = "met" if produce_ms < TARGET_PRODUCE_MS else "NOT met"
    send_met = "met" if rate > TARGET_SEND_PER_SECOND else "NOT met"
    print(f"| Data links ({roster.students} students, {roster.classes} classes, {marks} marks today) "
          "| time | records | queries | target |")  # fmt: skip
    print("|---|---:|---:|---:|---|")
    print(f"| `records_produce` of today (class records + one per mark) | {produce_ms:.0f} ms | {records} "
          f"| {produce_queries} | < {TARGET_PRODUCE_MS} ms: {produce_met} |")  # fmt: skip
    again, again_ms, again_queries = r["again"]
    print(f"| the same again, nothing changed | {again_ms:.0f} ms | {again} | {again_queries} | |")
    print(f"| `link_send`: signed batches of {args.batch} to the local fake centre "
          f"({send['batches']} requests) | {send['ms']:.0f} ms ({rate:,.0f} records/s) | {send['records']} | "
          f"| > {TARGET_SEND_PER_SECOND}/s: {send_met} |")  # fmt: skip
    written, changed_ms, changed_queries, changed = r["changed"]
    print(f"| produced again after {changed} marks changed (one per class) | {changed_ms:.0f} ms | {written} "
          f"| {changed_queries} | |")  # fmt: skip
    print(f"\n{_setup.machine()}")


if __name__ == "__main__":
    sys.exit(main())
