"""Education offices over a thousand schools: refreshing every school's summary (offices.SchoolSummary,
computed in each school's schema by schoolbook.office_summaries), and reading an office's summaries.

Set-up (timed, not measured against a target): `--schools` schools in all. `--rostered` of them come first
and get, as `seed_demo` writes them, a roster
of `--students` students (bench/_setup.roster_school: grades 6–9, classes of 45, guardians), semester I's
gradebook 70 % entered (`grades.demo.gradebook_seed`), a principal who publishes two notices
(`notices.demo.notices_seed`),
the fee catalogue, invoices and transfers (`payments.demo.fees_seed`), and today's morning roll call in
every class with about 5 % of the students absent. The others are onboarded from one CSV through
`schools_onboard_csv` with two jobs (as bench/deploy.py does): empty schools, an admin and the subject
catalogue each. One province office (Sở) covers every school.

What is measured:

- refreshing every summary in this process, `summaries_refresh(schools, jobs=J)` for each `--jobs` value
  (threads, one connection each): what `manage.py refresh_office_summaries --jobs J` does;
- refreshing every summary through a real Celery worker started as `make run` starts it
  (`schoolbook.devstack.worker_command`: prefork, two processes, every queue): the nightly task
  `office_summaries_refresh_all` run here publishes one `office_summary_refresh` per school, and the time is
  from then until every school's row has been written;
- reading the office's summaries (`dashboard_timings`): the rows of its schools, sorted; then the office's
  page (`/office/<code>/`, target < 300 ms) as its signed-in specialist opens it (Django's test client, in
  this process), by name, by attendance, its 20th page, and the CSV of every school; median of `--runs`.

Every bench school, the office and the queued tasks are dropped at the end and at the start.

    .venv/bin/python bench/district.py [--schools 1000] [--rostered 10] [--students 450] [--jobs 1,2,4]
                                       [--runs 20] [--no-worker]
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

REFRESH_TARGET_S = 60.0  # every summary, at 1,000 schools
OFFICE_CODE = f"{_setup.CODE_PREFIX}district"
ABSENT_SHARE = 0.05
# Phones (bench_phone numbers): CSV admins; per rostered school i: admin, principal, accountant, teachers,
# guardians.
CSV_ADMINS, ADMINS, PRINCIPALS, ACCOUNTANTS = 400_000, 90_000, 93_000, 95_000
TEACHERS, GUARDIANS = 50_000, 100_000


def _csv(count: int) -> str:
    rows = ["code,name,levels,province,admin_name,admin_phone"]
    for number in range(count):
        rows.append(
            f"{_setup.CODE_PREFIX}district-{number:04d},Trường THCS Quận Đo {number},lower_secondary,"
            f"Hà Nội,Quản Trị {number},{_setup.bench_phone(CSV_ADMINS + number)}"
        )
    return "\n".join(rows) + "\n"


def _rostered_school(actor, index: int, students: int):
    """A school as `seed_demo` fills one, and today's morning roll call in every class."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.roles import Role
    from attendance.models import AttendanceMark, Mark, RollCall
    from grades.demo import gradebook_seed
    from grades.models import Score
    from notices.demo import notices_seed
    from notices.models import NoticeRecipient
    from payments.demo import fees_seed
    from payments.models import Invoice
    from students.models import Enrolment, SchoolClass, SchoolYear
    from students.services import staff_add

    school, _roster = _setup.roster_school(
        actor, code=f"district-r{index:02d}", name=f"Trường THCS Đo Có Học Sinh {index}",
        students=students, seed=index, teachers=TEACHERS + index * 100,
        guardians=GUARDIANS + index * 2_000, admins=ADMINS + index,
    )  # fmt: skip
    rng = random.Random(index)
    with schema_context(school.schema_name), transaction.atomic():
        year = SchoolYear.objects.get(is_current=True)
        gradebook_seed(year, [year.terms.get(number=1)], rng, fill=0.7)
        staff_add(
            actor=actor, school=school, phone=_setup.bench_phone(PRINCIPALS + index),
            full_name="Hiệu Trưởng Đo", roles=[Role.PRINCIPAL],
        )  # fmt: skip
        notices_seed()  # published by the principal
        accountant = staff_add(
            actor=actor, school=school, phone=_setup.bench_phone(ACCOUNTANTS + index),
            full_name="Kế Toán Đo", roles=[Role.ACCOUNTANT],
        )  # fmt: skip
        fees_seed(accountant=accountant, rng=rng)
        today = timezone.localdate()
        classes = list(SchoolClass.objects.filter(year=year))
        roll_calls = RollCall.objects.bulk_create(
            RollCall(school_class=c, date=today, session="morning") for c in classes
        )
        by_class = {rc.school_class_id: rc for rc in roll_calls}
        enrolled = Enrolment.objects.filter(school_class__in=classes).values_list(
            "school_class_id", "student_id"
        )
        AttendanceMark.objects.bulk_create(
            AttendanceMark(roll_call=by_class[class_id], student_id=student_id, mark=Mark.ABSENT_EXCUSED)
            for class_id, student_id in enrolled
            if rng.random() < ABSENT_SHARE
        )
    # This school's tables written here alone: a bare ANALYZE would read every schema of the database.
    tables = ", ".join(
        model._meta.db_table for model in (RollCall, AttendanceMark, Score, Invoice, NoticeRecipient)
    )
    with schema_context(school.schema_name), connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
    return school


def _office(schools):
    from offices.models import EducationOffice, OfficeSchool

    office = EducationOffice.objects.create(
        code=OFFICE_CODE, name="Sở GD&ĐT Đo Hiệu Năng", kind=EducationOffice.Kind.PROVINCE, province="Hà Nội"
    )
    OfficeSchool.objects.bulk_create(OfficeSchool(office=office, school=school) for school in schools)
    return office


def _drop_office() -> None:
    from offices.models import EducationOffice

    EducationOffice.objects.filter(code=OFFICE_CODE).delete()


def _written_since(schools, since) -> int:
    from offices.models import SchoolSummary

    return SchoolSummary.objects.filter(school__in=schools, refreshed_at__gte=since).count()


def _in_process(schools, jobs: int) -> float:
    from django.utils import timezone

    from schoolbook.office_summaries import summaries_refresh

    since = timezone.now()
    started = time.perf_counter()
    failed = summaries_refresh(schools, jobs=jobs)
    seconds = time.perf_counter() - started
    written = _written_since(schools, since)
    if failed or written != len(schools):
        raise SystemExit(f"--jobs {jobs}: {len(failed)} failed, {written} of {len(schools)} rows written")
    return seconds


def _through_the_worker(log: Path) -> tuple[float, int]:
    """From publishing the nightly fan-out to every active school's row written by make run's worker (the
    bench database may hold a school of its own, e.g. make run's demo: the fan-out covers it too). Returns
    (seconds, tasks)."""
    from django.utils import timezone

    from schoolbook.devstack import worker_command
    from schoolbook.tasks import office_summaries_refresh_all
    from tenants.models import School

    _setup.purge_bench_queue()  # the set-up's messages and refills: not this measurement's work
    worker = _setup.worker_start(worker_command(), log, LOG_LEVEL="INFO")
    try:
        schools = list(School.objects.filter(is_active=True))
        since = timezone.now()
        started = time.perf_counter()
        sent = office_summaries_refresh_all()
        deadline = time.monotonic() + 600
        while _written_since(schools, since) < len(schools):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker exited or stalled:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        seconds = time.perf_counter() - started
    finally:
        _setup.worker_stop(worker)
    if sent != len(schools):
        raise SystemExit(f"the fan-out sent {sent} tasks for {len(schools)} active schools")
    return seconds, sent


PAGE_TARGET_MS = 300.0  # the office's page over 1,000 schools
SPECIALIST = 97_000  # bench_phone number of the office's specialist


def dashboard_timings(office, runs: int) -> list[tuple[str, str, float, float | None]]:
    """(what, detail, milliseconds, target) rows for the office's figures, median of `runs` each: the query
    its page is built on (every school's summary row, sorted), then the pages as its signed-in specialist
    opens them through Django's test client (in this process: the whole request, middleware to template,
    without an HTTP server): the first page of the list by name, sorted by attendance, the 20th page, and
    the CSV of every school."""
    from django.db import connection

    from accounts.models import User
    from offices.models import OfficeStaff, SchoolSummary

    def read() -> int:
        rows = SchoolSummary.objects.filter(school__office_memberships__office=office).select_related(
            "school"
        )
        return len(list(rows.order_by("school__name")))

    def median_ms(action) -> tuple[float, object]:
        timings, result = [], None
        for _ in range(runs):
            started = time.perf_counter()
            result = action()
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings), result

    rows = []
    ms, count = median_ms(read)
    rows.append(("the office's summary rows, sorted", f"{count} rows", ms, None))
    # A bench phone: dropped with the bench's people at the end.
    user, _ = User.objects.get_or_create(phone="+84" + _setup.bench_phone(SPECIALIST)[1:])
    OfficeStaff.objects.get_or_create(office=office, user=user)
    client = _setup.signed_in_client(user)
    base = f"/office/{office.code}/"
    for what, path in (
        ("the office's page, by name", base),
        ("the office's page, by attendance, best first", base + "?sort=attendance&dir=desc"),
        ("the office's page, page 20", base + "?page=20"),
    ):
        connection.set_schema_to_public()
        ms, response = median_ms(lambda path=path: client.get(path))
        assert response.status_code == 200 and b'data-code="' in response.content, (
            path,
            response.status_code,
        )
        rows.append((what, f"{min(count, 50)} schools shown", ms, PAGE_TARGET_MS))
    ms, lines = median_ms(lambda: b"".join(client.get(base + "export.csv").streaming_content).count(b"\n"))
    rows.append(("the office's CSV, every school", f"{lines - 1} lines", ms, None))
    return rows


def _print(rows, schools: int, rostered: int, students: int, load: float, sample) -> None:
    print(
        f"\nEducation offices over {schools} schools ({rostered} with {students} students and their data, "
        f"the others empty); {_setup.machine()}; load average {load:.1f} at the start\n"
    )
    print(f"| {'what':56} | {'detail':24} | {'time':>10} | {'per school':>10} | target |")
    print(f"|{'-' * 58}|{'-' * 26}|{'-' * 11}:|{'-' * 11}:|---|")
    for what, detail, value, unit, count, target in rows:
        shown = f"{value:.2f} {unit}"
        per_school = f"{value * 1000 / count:.1f} ms" if count else ""
        verdict = "" if target is None else f"< {target:g} {unit}: {'met' if value < target else 'NOT met'}"
        print(f"| {what:56} | {detail:24} | {shown:>10} | {per_school:>10} | {verdict} |")
    if sample is not None:
        print(
            f"\nA rostered school's row: {sample.students} students in {sample.classes} classes, roll calls "
            f"{sample.roll_calls_taken}/{sample.roll_calls_due}, present {sample.present}/{sample.marked}, "
            f"grades {sample.grades_entered}/{sample.grades_expected}, {sample.notices_sent} notices to "
            f"{sample.notice_recipients}, fees {sample.fees_paid}/{sample.fees_due} đồng"
        )
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--schools", type=int, default=1000, help="schools in all")
    parser.add_argument("--rostered", type=int, default=10, help="of which: with a roster and its data")
    parser.add_argument("--students", type=int, default=450, help="students of each rostered school")
    parser.add_argument("--jobs", default="1,2,4", help="in-process refresh: --jobs values, comma-separated")
    parser.add_argument("--runs", type=int, default=20, help="reads of the office's figures")
    parser.add_argument("--no-worker", action="store_true", help="skip the refresh through a Celery worker")
    args = parser.parse_args()
    if not 0 <= args.rostered <= args.schools:
        parser.error("--rostered must be between 0 and --schools")
    jobs = [int(value) for value in args.jobs.split(",")]

    _setup.setup()
    from django.db import connection

    from offices.models import SchoolSummary
    from schoolbook.onboarding import schools_onboard_csv
    from tenants.models import School

    _drop_office()
    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    load = os.getloadavg()[0]
    rows = []
    started = time.perf_counter()
    try:
        # The rostered schools first: roster_school ANALYZEs the whole database, quick while it is small.
        begun = time.perf_counter()
        for index in range(args.rostered):
            _rostered_school(actor, index, args.students)
        detail = f"{args.rostered} × {args.students} students"
        seconds = time.perf_counter() - begun
        rows.append(("set-up: rostered schools with their data", detail, seconds, "s", args.rostered, None))
        empty = args.schools - args.rostered
        begun = time.perf_counter()
        report = schools_onboard_csv(actor=actor, text=_csv(empty), jobs=2) if empty else None
        if report is not None:
            assert not report.problems and len(report.created) == empty, report.problems[:3]
        rows.append(("set-up: onboard_schools from one CSV, jobs 2", f"{empty} empty schools",
                     time.perf_counter() - begun, "s", empty, None))  # fmt: skip
        schools = list(School.objects.filter(code__startswith=_setup.CODE_PREFIX).order_by("code"))
        office = _office(schools)

        for count in jobs:
            rows.append((f"refresh every summary in-process, --jobs {count}", f"{len(schools)} schools",
                         _in_process(schools, count), "s", len(schools), REFRESH_TARGET_S))  # fmt: skip
        if not args.no_worker:
            with tempfile.TemporaryDirectory(prefix="bench-district-") as logs:
                seconds, tasks = _through_the_worker(Path(logs) / "worker.log")
            rows.append(("refresh every summary: nightly task, make run's worker", f"{tasks} tasks",
                         seconds, "s", tasks, REFRESH_TARGET_S))  # fmt: skip
        for what, detail, ms, target in dashboard_timings(office, args.runs):
            rows.append((what, f"{detail}, median of {args.runs}", ms, "ms", None, target))
        sample = SchoolSummary.objects.filter(
            school__code__startswith=f"{_setup.CODE_PREFIX}district-r"
        ).first()
        # Printed before the clean-up, which takes minutes with a thousand schemas.
        _print(rows, len(schools), args.rostered, args.students, load, sample)
    finally:
        elapsed = time.perf_counter() - started
        _drop_office()
        dropped = _setup.drop_bench_schools()
    print(f"\n{dropped} bench schools dropped; run took {elapsed:.0f} s.")
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
