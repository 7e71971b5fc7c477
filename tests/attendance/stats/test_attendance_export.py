"""The district export: a day's or a month's attendance as CSV (UTF-8 with a BOM, formula-safe, one table per
file) and JSON (streamed, both tables), parsed back field by field; only session roll calls; the school admin
and the principal only; every export audited; a constant number of queries."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import Role
from attendance.models import AttendanceMark, Mark, RollCall
from attendance.stats.export import CLASS_FIELDS, MARK_FIELDS, export_period
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment
from tests.factories import guardian_account, guardian_link, staff_make, student_enrol
from tests.gradebook_world import gradebook_world

P, K, LATE = Mark.ABSENT_EXCUSED, Mark.ABSENT_UNEXCUSED, Mark.LATE


@pytest.fixture
def ex(world):
    """6A1 with three students (one named like a spreadsheet formula), 6A2 with one; this month's first two
    days have roll calls, and one of next month."""
    with schema_context(world.school_a.schema_name):
        g = gradebook_world(
            world, students=["Nguyễn Văn An", '=HYPERLINK("http://x")', "Lê Văn Cường"],
            outsider="Phạm Văn Dũng", homeroom="teacher",
        )  # fmt: skip
        Enrolment.objects.update(starts_on=g.year.starts_on)
        g.first = timezone.localdate().replace(day=1)
        g.second = g.first + datetime.timedelta(days=1)
        an, formula, _ = g.students
        an.sector_id = "0100123456789"  # the sector database's identifier, carried in every record
        an.save(update_fields=["sector_id"])
        take(g.a1, g.first, "morning", {an: P, formula: LATE})
        take(g.a1, g.first, "afternoon", {an: K})
        take(g.a2, g.first, "morning", {})
        take(g.a1, g.second, "morning", {formula: K})
        take(g.a1, g.second, "morning", {an: K}, period=2, subject=g.toan)  # a period: not exported
        take(g.a1, g.first + datetime.timedelta(days=40), "morning", {an: K})  # next month
        yield g


def take(school_class, day, session, marks, period=0, subject=None):
    roll_call = RollCall.objects.create(
        school_class=school_class, date=day, session=session, period=period, subject=subject
    )
    AttendanceMark.objects.bulk_create(
        AttendanceMark(roll_call=roll_call, student=s, mark=m) for s, m in marks.items()
    )


def _url(period, fmt, table=""):
    return f"/s/test-a/attendance/export/{period}.{fmt}" + (f"?table={table}" if table else "")


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response, b"".join(response.streaming_content).decode("utf-8")


def test_export_period_parsing():
    assert export_period("2026-11-25").start == export_period("2026-11-25").end == datetime.date(2026, 11, 25)
    month = export_period("2026-02")
    assert (month.start, month.end) == (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert (
        export_period("2026-13") is None
        and export_period("25/11/2026") is None
        and export_period("x") is None
    )


def test_month_csv_of_marks_parses_back(client, ex):
    formula = ex.students[1]
    client.force_login(ex.world.principal_a)
    response, text = _get(client, _url(f"{ex.first:%Y-%m}", "csv", "marks"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="diem-danh-test-a-{ex.first:%Y-%m}-marks.csv"' in response["Content-Disposition"]
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert list(rows[0]) == MARK_FIELDS
    day1, day2 = ex.first.isoformat(), ex.second.isoformat()
    fields = ("date", "session", "class", "student_code", "mark", "absence")
    assert [tuple(r[f] for f in fields) for r in rows] == [
        # by day, morning first, class, then Vietnamese class-list order: given name "An" before the formula
        # (read as "hyperlinkhttpx": punctuation takes no part in the order)
        (day1, "morning", "6A1", "HS0", "P", "1"),
        (day1, "morning", "6A1", "HS1", "M", "0"),
        (day1, "afternoon", "6A1", "HS0", "K", "1"),
        (day2, "morning", "6A1", "HS1", "K", "1"),
    ]  # fmt: skip
    assert (
        rows[0]["student_name"] == "Nguyễn Văn An"
        and rows[0]["grade"] == "6"
        and rows[0]["source"] == "teacher"
    )
    # a name that a spreadsheet would run as a formula is quoted
    assert rows[1]["student_name"] == "'" + formula.full_name


def test_day_csv_of_classes_parses_back(client, ex):
    client.force_login(ex.world.admin_a)
    _, text = _get(client, _url(ex.first.isoformat(), "csv", "classes"))
    rows = {r["class"]: r for r in csv.DictReader(io.StringIO(text[1:]))}
    assert list(rows["6A1"]) == CLASS_FIELDS
    a1, a2 = rows["6A1"], rows["6A2"]
    assert (a1["from"], a1["to"]) == (ex.first.isoformat(), ex.first.isoformat())
    fields = ("roll_calls", "student_sessions", "excused", "unexcused", "absences", "late")
    assert [a1[f] for f in fields] == ["2", "6", "1", "1", "2", "1"]
    assert a1["present_rate"] == "0.6667"  # 4 of 6 student-sessions (late is present)
    assert (a2["roll_calls"], a2["student_sessions"], a2["absences"], a2["present_rate"]) == (
        "1",
        "1",
        "0",
        "1.0",
    )


def test_month_json_holds_both_tables(client, ex):
    client.force_login(ex.world.principal_a)
    response, text = _get(client, _url(f"{ex.first:%Y-%m}", "json"))
    assert response["Content-Type"] == "application/json"
    document = json.loads(text)
    assert document["school"] == {"code": "test-a", "name": "Trường THCS Thử Nghiệm A"}
    assert document["from"] == ex.first.isoformat() and document["to"].startswith(ex.first.strftime("%Y-%m-"))
    assert document["counting_rule"] == {"absence_marks": ["P", "K"], "limit": 45, "warn_from": 35}
    assert len(document["marks"]) == 4 and set(document["marks"][0]) == set(MARK_FIELDS)
    assert document["marks"][0] == {
        "date": ex.first.isoformat(), "session": "morning", "grade": 6, "class": "6A1", "student_code": "HS0",
        "student_name": "Nguyễn Văn An", "mark": "P", "absence": True, "source": "teacher",
        "sector_id": "0100123456789",
    }  # fmt: skip
    classes = {c["class"]: c for c in document["classes"]}
    assert classes["6A1"]["roll_calls"] == 3 and classes["6A1"]["student_sessions"] == 9
    assert classes["6A1"]["absences"] == 3 and classes["6A1"]["present_rate"] == round(6 / 9, 4)
    # a day without roll calls: empty tables, still a valid document
    empty = json.loads(_get(client, _url((ex.first - datetime.timedelta(days=300)).isoformat(), "json"))[1])
    assert empty["marks"] == [] and all(
        c["roll_calls"] == 0 and c["present_rate"] is None for c in empty["classes"]
    )


def test_export_is_audited(client, ex):
    client.force_login(ex.world.principal_a)
    _get(client, _url(f"{ex.first:%Y-%m}", "csv", "classes"))
    event = AuditEvent.objects.get(action="attendance.export")
    assert event.actor == ex.world.principal_a and event.object_repr == f"{ex.first:%Y-%m}"
    assert event.after["format"] == "csv" and event.after["table"] == "classes"
    assert event.after["from"] == ex.first.isoformat()


def test_export_page_links(client, ex):
    client.force_login(ex.world.principal_a)
    html = client.get(f"/s/test-a/attendance/export/?day={ex.second:%Y-%m-%d}&month={ex.first:%Y-%m}").content
    html = html.decode()
    assert f"/s/test-a/attendance/export/{ex.second:%Y-%m-%d}.csv?table=marks" in html
    assert f"/s/test-a/attendance/export/{ex.first:%Y-%m}.json" in html


def test_only_admin_and_principal_export(client, ex):
    vice = staff_make(ex.world, "0911000013", "Ngô Phó Hiệu Trưởng", roles=[Role.VICE_PRINCIPAL])
    parent = guardian_account(ex.world, guardian_link(ex.students[0], "0911000014"))
    urls = [
        "/s/test-a/attendance/export/",
        _url(f"{ex.first:%Y-%m}", "json"),
        _url(f"{ex.first:%Y-%m}", "csv"),
    ]
    # the homeroom teacher, a vice principal, a parent and school B's staff: 404, nothing audited
    for user in (ex.world.teacher_a, vice.user, parent, ex.world.staff_b):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
    assert not AuditEvent.objects.filter(action="attendance.export").exists()
    client.force_login(ex.world.admin_a)
    for bad in (_url("2026-13", "csv"), _url("2026-11", "xml"), _url("2026-11", "csv", "students")):
        assert client.get(bad).status_code == 404, bad


def test_query_count_does_not_grow_with_students(client, ex):
    client.force_login(ex.world.principal_a)
    month = f"{ex.first:%Y-%m}"

    def queries():
        with CaptureQueriesContext(connection) as captured:
            for url in (_url(month, "json"), _url(month, "csv", "marks"), _url(month, "csv", "classes")):
                _get(client, url)
        # switching schemas (SET search_path) depends on what ran before, not on the export
        return len([q for q in captured if not q["sql"].startswith("SET search_path")])

    queries()  # warms the session's caches
    few = queries()
    roll_call = RollCall.objects.get(school_class=ex.a1, date=ex.second, session="morning", period=0)
    more = [student_enrol(f"HS-MORE{n}", ex.a1, f"Học Sinh {n:02d}") for n in range(40)]
    Enrolment.objects.update(starts_on=ex.year.starts_on)
    AttendanceMark.objects.bulk_create(AttendanceMark(roll_call=roll_call, student=s, mark=K) for s in more)
    assert queries() == few
