"""Attendance: saving a 45-student roll call, and ingesting school-gate events through the real HTTP
endpoint.

One school, `bench-attendance`, is seeded with `seed_demo`'s planner and bulk writer (`plan_roster`,
`roster_write`: teachers with a homeroom class each, students in classes of 45, guardians who receive
notifications), then ANALYZEd. Then:

- `roll_call_save` (attendance.roll_call.services) of one 45-student class, today's morning, by the principal,
  N times (median, and the queries of one run): each run marks 3 students absent (2 K, 1 P) and 1 late, a
  different 4 each time, so every run writes its marks, deletes the last run's and sends alerts and
  corrections.
- Gate events posted as a device would: JSON batches with `Authorization: Bearer <token>` to
  `/s/bench-attendance/attendance/api/gate/events/` through the **Django test client** (the whole request
  path in process: routing and access middleware, the view, JSON, the service; no socket, no web server).
  Three ways, each on fresh event ids:
  1. *store only*: no messages (the school's default), no roll call taken;
  2. *notify*: the school tells guardians of every arrival (one message per guardian and event);
  3. *notify + late*: as 2, and every arrival is after the session's start; the roll call of one class is
     taken (its 45 students, about 1 in 20 arrivals, go through `student_mark_set`), then of every class
     (each arrival does: the slowest path there is).
  Then every batch of way 1 is posted again: all duplicates, 0 new.

The school, its schema and people are dropped at the end and at the start (bench/_setup.py).

    .venv/bin/python bench/attendance.py [--students 1000] [--batch 500] [--runs 15]
"""

import argparse
import datetime
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

SEED = 2026
CLASS_SIZE = 45
TARGET_SAVE_MS = 100
TARGET_EVENTS_PER_SECOND = 500
TEACHERS, GUARDIANS, ADMINS = 100_000, 500_000, 900_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--students", type=int, default=1000, help="students (in classes of 45)")
    parser.add_argument("--batch", type=int, default=500, help="events per request (at most 500)")
    parser.add_argument("--runs", type=int, default=15, help="roll call saves (median reported)")
    args = parser.parse_args()

    _setup.setup()

    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    started = time.perf_counter()
    try:
        world = _school(actor, args.students)
        save = _roll_call(world, args.runs)
        ingest = _ingest(world, args.batch)
    finally:
        elapsed = time.perf_counter() - started
        dropped = _setup.drop_bench_schools()
    _print(args, world, save, ingest)
    print(f"\n{dropped} bench school dropped; run took {elapsed:.0f} s.")
    return 0


class World:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def _school(actor, students: int) -> World:
    """Onboard the bench school and write its roster (classes of 45, one homeroom teacher each)."""
    from django.db.models import Count
    from django_tenants.utils import schema_context

    from accounts.roles import Role
    from students.models import Enrolment, SchoolClass, SchoolYear
    from students.services import staff_add

    school, roster = _setup.roster_school(
        actor, code="attendance", name="Trường THCS Đo Điểm Danh", students=students, seed=SEED,
        class_size=CLASS_SIZE, teachers=TEACHERS, guardians=GUARDIANS, admins=ADMINS,
    )  # fmt: skip
    with schema_context(school.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        principal = staff_add(
            actor=actor, school=school, phone=_setup.bench_phone(ADMINS + 1),
            full_name="Hiệu Trưởng Đo", roles=[Role.PRINCIPAL],
        )  # fmt: skip
        sizes = SchoolClass.objects.filter(year=year).annotate(size=Count("enrolments")).order_by("name")
        school_class = min(sizes, key=lambda c: abs(c.size - CLASS_SIZE))  # 45 unless --students is small
        codes = list(Enrolment.objects.values_list("student__student_code", flat=True))
    return World(school=school, principal=principal, school_class=school_class, roster=roster, codes=codes)


def _timed(runs: int, call) -> tuple[float, int, list[float]]:
    """Median milliseconds of `runs` calls of `call(run)`, the queries of the last one, and every timing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries = [], 0
    for run in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            call(run)
            timings.append((time.perf_counter() - start) * 1000)
        queries = len(captured)
    return statistics.median(timings), queries, timings


def _roll_call(w: World, runs: int) -> dict:
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from attendance.roll_call.services import roll_call_save
    from students.selectors import enrolled_student_ids

    day = timezone.localdate()
    with schema_context(w.school.schema_name):
        students = sorted(enrolled_student_ids(w.school_class, day))
        version = None

        def save(run):
            nonlocal version
            chosen = random.Random(SEED + run).sample(students, 4)
            marks = {
                chosen[0]: ("K", ""),
                chosen[1]: ("K", ""),
                chosen[2]: ("P", "ốm"),
                chosen[3]: ("late", ""),
            }
            result = roll_call_save(
                actor_staff=w.principal, school_class=w.school_class, day=day, session="morning",
                marks=marks, version=version,
            )  # fmt: skip
            version = result.roll_call.version
            assert result.absent == 3 and result.late == 1, result

        median, queries, timings = _timed(runs, save)
    return {"median": median, "queries": queries, "students": len(students), "first": timings[0]}


def _ingest(w: World, batch: int) -> dict:
    """Post the events of each way in batches; events per second over all of a way's requests."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from attendance.gate.services import device_register
    from attendance.models import AttendanceMark, AttendanceSettings, GateEvent, RollCall
    from attendance.roll_call.services import roll_call_save
    from messaging.models import Message
    from students.models import SchoolClass

    url = f"/s/{w.school.code}/attendance/api/gate/events/"
    with schema_context(w.school.schema_name):
        _, token = device_register(actor=None, name="Cổng đo")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    now = timezone.now()
    rng = random.Random(SEED)
    # Arrivals within the last half hour, but today (local): run just after midnight, yesterday's would find
    # no roll call of theirs and the worst case would not be one.
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    window = max(60, min(1800, int((now - midnight).total_seconds()) - 120))

    def batches(prefix: str, passes: int) -> list[str]:
        events = [
            {"event_id": f"{prefix}-{n}-{code}", "kind": "arrival", "student_code": code,
             "occurred_at": (now - datetime.timedelta(seconds=rng.randint(1, window))).isoformat()}
            for n in range(passes) for code in w.codes
        ]  # fmt: skip
        return [json.dumps({"events": events[i : i + batch]}) for i in range(0, len(events), batch)]

    def post_all(bodies: list[str]) -> dict:
        new = duplicates = 0
        timings = []
        for body in bodies:
            start = time.perf_counter()
            response = client.post(url, body, content_type="application/json")
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, (response.status_code, response.content[:300])
            answer = response.json()
            new, duplicates = new + answer["new"], duplicates + answer["duplicates"]
        connection.set_schema_to_public()
        events = sum(len(json.loads(body)["events"]) for body in bodies)
        return {
            "events": events, "requests": len(bodies), "new": new, "duplicates": duplicates,
            "per_second": events / sum(timings), "batch_ms": statistics.median(timings) * 1000,
        }  # fmt: skip

    def counts() -> tuple[int, int]:
        """Messages about gate events, and late marks the gate made."""
        with schema_context(w.school.schema_name):
            messages = Message.objects.filter(purpose="gate").count()
            return messages, AttendanceMark.objects.filter(source="gate").count()

    results = {}
    warm = {
        "event_id": "warm",
        "kind": "departure",
        "student_code": "WARM-UP",
        "occurred_at": now.isoformat(),
    }
    post_all([json.dumps({"events": [warm]})])  # the first request fills the routing and lookup caches
    with schema_context(w.school.schema_name):
        # Every arrival is after the session's start (the afternoon starts at 00:01); guardians are told.
        prefs = AttendanceSettings.objects.create(
            notify_arrivals=True, morning_starts=datetime.time(0, 0), afternoon_starts=datetime.time(0, 1)
        )
        classes = list(SchoolClass.objects.order_by("name"))

    def late_round(name: str, taken: list) -> None:
        """Arrivals of every student while none has arrived yet, the roll calls of `taken` classes taken:
        each of their students goes through student_mark_set."""
        with schema_context(w.school.schema_name):
            GateEvent.objects.all().delete()  # earlier arrivals would make these "not the first"
            RollCall.objects.all().delete()
            for school_class in taken:
                roll_call_save(actor_staff=w.principal, school_class=school_class, day=timezone.localdate(),
                               session="afternoon", marks={})  # fmt: skip
            messages_before, marks_before = counts()
        results[name] = post_all(batches(name, 1))
        messages_after, marks_after = counts()
        results[name].update(messages=messages_after - messages_before, late_marks=marks_after - marks_before)

    late_round("some_late", classes[:1])  # one class's roll call taken: about 1 arrival in 20 is marked
    late_round("late", classes)
    with schema_context(w.school.schema_name):
        RollCall.objects.all().delete()  # the other ways: no roll call taken, no messages
        AttendanceSettings.objects.filter(pk=prefs.pk).update(notify_arrivals=False)
    store = batches("store", 3)
    results["store"] = post_all(store)
    with schema_context(w.school.schema_name):
        AttendanceSettings.objects.filter(pk=prefs.pk).update(notify_arrivals=True)
        messages_before, _ = counts()
    results["notify"] = post_all(batches("notify", 3))
    results["notify"]["messages"] = counts()[0] - messages_before
    results["again"] = post_all(store)
    return results


def _print(args, w: World, save: dict, ingest: dict) -> None:
    met = "met" if save["median"] < TARGET_SAVE_MS else "NOT met"
    school = f"{w.roster.students} students, {w.roster.classes} classes"
    print(f"| Attendance ({school}) | median | queries | target |")
    print("|---|---:|---:|---|")
    print(
        f"| `roll_call_save`: {save['students']} students, 3 absent + 1 late, changed every run "
        f"({args.runs} runs; first {save['first']:.1f} ms) | {save['median']:.1f} ms | {save['queries']} "
        f"| < {TARGET_SAVE_MS} ms: {met} |"
    )
    labels = {
        "store": "gate events, store only",
        "notify": "gate events, guardians told of each arrival",
        "some_late": "gate events, told + one class's roll call taken (its arrivals all late)",
        "late": "gate events, told + every arrival late in a taken roll call (worst case)",
        "again": "the store-only batches posted again (duplicates)",
    }
    for key, label in labels.items():
        r = ingest[key]
        extra = f"{r['new']} new, {r['duplicates']} duplicates"
        if "messages" in r:
            extra += f", {r['messages']} messages"
        if "late_marks" in r:
            extra += f", {r['late_marks']} late marks"
        target = TARGET_EVENTS_PER_SECOND
        print(
            f"| {label}: {r['events']} events in {r['requests']} requests of ≤ {args.batch} ({extra}); "
            f"median request {r['batch_ms']:.0f} ms | **{r['per_second']:.0f} events/s** | "
            f"| ≥ {target}/s: {'met' if r['per_second'] >= target else 'NOT met'} |"
        )
    print("\nGate requests through the Django test client (in process, no socket).")
    print(f"Machine: {_setup.machine()}.")


if __name__ == "__main__":
    sys.exit(main())
