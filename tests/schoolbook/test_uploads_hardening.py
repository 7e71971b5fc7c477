"""Uploads and spreadsheets, each tested with the attack itself.

1. decompression bombs and hostile zips are refused from the zip's directory, before openpyxl, fast;
   a workbook is opened once, read-only;
4. formulas: refused on import even behind spaces; every export writes user text as text;
7. import previews wait in PostgreSQL (one per person, cleaned up), not in the broker's Redis;
10. a too-large declared body is refused with 413 before it is read.
The bomb files are built here, never committed."""

import csv
import io
import random
import time
import tracemalloc
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from grades.exports.services import gradebook_check
from schoolbook.spreadsheets import cell_text
from schoolbook.uploads import request_limit
from students.imports.flow import PREVIEW_SECONDS, Report, previews_clean, problems_csv, read_table
from students.imports.roster import roster_check
from students.models import ImportPreview, Student
from students.tasks import previews_clean_all, previews_clean_school
from tenants.models import School
from tests.grades.exports.test_gradebook_excel import _export, gb  # noqa: F401 (gb: the gradebook world fixture)
from tests.students.imports.test_import import HEADER, student, xlsx

URL = "/s/test-a/students/import/"
TOO_BIG = "khi giải nén quá lớn"
NOT_A_SHEET = "Không phải tệp bảng tính .xlsx hoặc .csv."


# --- hostile files, built here ------------------------------------------------------------------------


def _replace_entry(data: bytes, name: str, write) -> bytes:
    """The workbook `data` with entry `name` rewritten by write(stream)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename == name:
                with target.open(name, "w", force_zip64=True) as stream:
                    write(stream)
            else:
                target.writestr(info, source.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _sheet_xml(rows_xml_chunks, dimension=b""):
    def write(stream):
        stream.write(
            b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
            b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + dimension + b"<sheetData>"
        )
        for chunk in rows_xml_chunks():
            stream.write(chunk)
        stream.write(b"</sheetData></worksheet>")

    return write


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A valid roster workbook (~100 KB) whose one cell expands to 100 MB of text: openpyxl used to spend
    seconds and hundreds of MB on such a file."""
    head, tail = b'<row r="1"><c r="A1" t="inlineStr"><is><t>', b"</t></is></c></row>"
    chunk = b"A" * 2**20
    data = _replace_entry(
        xlsx([student()]),
        "xl/worksheets/sheet1.xml",
        _sheet_xml(lambda: [head, *(chunk for _ in range(100)), tail]),
    )
    assert len(data) < 150_000
    return data


def _no_openpyxl(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl must not see this file")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def _problems(data, filename="ds.xlsx"):
    report = Report()
    assert read_table(data, filename, report) is None
    return [problem.reason for problem in report.problems]


def test_a_decompression_bomb_is_refused_fast_without_openpyxl(bomb, monkeypatch):
    _no_openpyxl(monkeypatch)
    tracemalloc.start()
    started = time.perf_counter()
    reasons = _problems(bomb)
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(reasons) == 1 and TOO_BIG in reasons[0] and "20 MB" in reasons[0]
    assert elapsed < 1 and peak < 5 * 2**20


def test_the_bomb_is_refused_by_both_imports(gb, bomb, monkeypatch):  # noqa: F811
    _no_openpyxl(monkeypatch)
    report = gradebook_check(
        staff=gb.principal, school_class=gb.a1, term=gb.term1, data=bomb, filename="so-diem.xlsx"
    )
    assert [(p.sheet, p.line) for p in report.problems] == [("", 0)] and TOO_BIG in report.problems[0].reason
    roster = roster_check(bomb, "ds.xlsx")
    assert [p.line for p in roster.problems] == [0] and TOO_BIG in roster.problems[0].reason


def test_the_upload_page_says_why_in_vietnamese(client, school, bomb):
    client.force_login(school.principal_a)
    page = client.post(URL, {"file": SimpleUploadedFile("ds.xlsx", bomb)}).content.decode()
    assert TOO_BIG in page and "Xác nhận nhập" not in page


def test_a_highly_compressed_entry_is_refused_even_under_the_total(monkeypatch):
    filler = b"<row></row>" * 200_000  # 2.2 MB that compress ~1000×
    data = _replace_entry(xlsx([student()]), "xl/worksheets/sheet1.xml", _sheet_xml(lambda: [filler]))
    _no_openpyxl(monkeypatch)
    reasons = _problems(data)
    assert len(reasons) == 1 and TOO_BIG in reasons[0]


def test_a_large_sheet_that_openpyxl_would_parse_whole_on_opening_is_refused(monkeypatch):
    """Without <dimension>, openpyxl parses the whole sheet when it opens the workbook (seconds for a few
    MB of rows), whatever the row limit: such a sheet may not be large."""
    rng = random.Random(3)
    rows = b"".join(b"<row><c><v>%d</v></c></row>" % rng.getrandbits(40) for _ in range(200_000))
    data = _replace_entry(xlsx([student()]), "xl/worksheets/sheet1.xml", _sheet_xml(lambda: [rows]))
    assert len(data) < 5 * 2**20
    _no_openpyxl(monkeypatch)
    started = time.perf_counter()
    assert [TOO_BIG in reason for reason in _problems(data)] == [True]
    assert time.perf_counter() - started < 1


def test_a_zip_of_thousands_of_entries_is_refused(monkeypatch):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx([student()]))) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        for n in range(3000):
            target.writestr(f"xl/media/x{n}.bin", b"")
    _no_openpyxl(monkeypatch)
    reasons = _problems(out.getvalue())
    assert reasons == ["Tệp bảng tính có quá nhiều thành phần (3009; tối đa 500)."]


@pytest.mark.parametrize("name", ["../../etc/cron.d/x", "/etc/passwd", "xl\\..\\..\\x", "C:/x"])
def test_entry_names_that_climb_out_are_refused(monkeypatch, name):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx([student()]))) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr(name, b"x")
    _no_openpyxl(monkeypatch)
    assert _problems(out.getvalue()) == [NOT_A_SHEET]


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"<html><script>alert(1)</script></html>\x00", "ds.xlsx"),  # not a zip, named .xlsx
        (b"PK\x03\x04" + b"\x00" * 200, "ds.xlsx"),  # a zip's signature and nothing else
        (xlsx([student()])[:-200], "ds.xlsx"),  # a workbook cut short: no directory
    ],
)
def test_files_that_are_not_workbooks_are_refused(data, filename, monkeypatch):
    _no_openpyxl(monkeypatch)
    assert _problems(data, filename) == [NOT_A_SHEET]


def test_a_huge_row_count_stops_reading_at_the_limit():
    """200 000 rows (within the zip limits): reading stops after 10 050 lines and refuses the file."""
    rng = random.Random(12)
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%x</t></is></c></row>' % (n, n, rng.getrandbits(40))
        for n in range(1, 200_001)
    )
    sheet = _sheet_xml(lambda: [rows], b'<dimension ref="A1:A200000"/>')
    data = _replace_entry(xlsx([student()]), "xl/worksheets/sheet1.xml", sheet)
    started = time.perf_counter()
    reasons = _problems(data)
    assert reasons == ["Tệp có quá nhiều dòng (tối đa 10.000 dòng)."]
    assert time.perf_counter() - started < 10  # reading all 200 000 rows would take 20 times as long


def test_the_gradebook_workbook_is_opened_once_read_only(gb, monkeypatch):  # noqa: F811
    data = _export(gb)
    calls = []
    real = openpyxl.load_workbook

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    report = gradebook_check(
        staff=gb.principal, school_class=gb.a1, term=gb.term1, data=data, filename="x.xlsx"
    )
    assert report.ok and len(calls) == 1 and calls[0]["read_only"] is True


# --- 4. formulas --------------------------------------------------------------------------------------

INJECTIONS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(1+1)"]


@pytest.mark.parametrize(
    "name", [' =HYPERLINK("http://evil.example","x")', '\u00a0\t=HYPERLINK("http://evil.example")']
)
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_formula_behind_spaces_is_refused_on_import(school, name, kind):
    rows = [student(), student("HS002", name=name)]
    if kind == "xlsx":
        data = xlsx(rows)
    else:
        out = io.StringIO()
        csv.writer(out).writerows([HEADER, *rows])
        data = out.getvalue().encode()
    report = roster_check(data, f"ds.{kind}")
    assert [(p.line, p.reason) for p in report.problems] == [
        (3, "Công thức không được phép: hãy dán giá trị.")
    ]
    assert not Student.objects.filter(full_name__contains="HYPERLINK").exists()


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-1+1", "'-1+1"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (" =1+1", "' =1+1"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("", ""),
    ],
)
def test_cell_text_neutralises_what_a_spreadsheet_would_run(value, written):
    assert cell_text(value) == written


def test_the_gradebook_export_writes_names_as_text_never_formulas(gb):  # noqa: F811
    for student_, name in zip(gb.students, INJECTIONS, strict=False):
        Student.objects.filter(pk=student_.pk).update(full_name=name)
    sheet = load_workbook(io.BytesIO(_export(gb)))["Toán"]
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    written = {cell.value: cell.data_type for cell in cells}
    assert written == dict.fromkeys(INJECTIONS[: len(gb.students)], "s")
    # and the file still imports: the names are not read back
    report = gradebook_check(
        staff=gb.principal, school_class=gb.a1, term=gb.term1, data=_export(gb), filename="x.xlsx"
    )
    assert report.ok


def test_problem_reports_neutralise_values_and_columns(school):
    header = [*HEADER, "=HYPERLINK(1)"]
    rows = [[*student(), ""], [*student("HS002", name="@SUM(1)", born="-1+1"), ""]]
    report = roster_check(xlsx(rows, header=header), "ds.xlsx")
    lines = list(csv.reader(io.StringIO(problems_csv(report.problems))))
    values = [cell for line in lines[1:] for cell in line[1:3]]
    assert values and not [v for v in values if v[:1] in ("=", "+", "-", "@")]
    assert "'-1+1" in values


# --- 7. previews in PostgreSQL ----------------------------------------------------------------------------


def _upload(client, rows, name="ds.xlsx"):
    return client.post(URL, {"file": SimpleUploadedFile(name, xlsx(rows))})


def test_a_preview_waits_in_the_schools_schema_not_in_redis(client, school):
    import redis

    client.force_login(school.principal_a)
    preview = _upload(client, [student()])
    token = preview.context["token"]
    with schema_context(school.school_a.schema_name):
        kept = ImportPreview.objects.get()
        assert (kept.user_id, kept.token, kept.kind, kept.filename) == (
            school.principal_a.pk,
            token,
            "students",
            "ds.xlsx",
        )
    cache = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert not [key for key in cache.scan_iter() if b"import" in key]
    done = client.post(URL, {"token": token, "sha256": preview.context["pending"].sha256})
    assert done.status_code == 302
    with schema_context(school.school_a.schema_name):
        assert not ImportPreview.objects.exists() and Student.objects.filter(student_code="HS001").exists()


def test_a_new_upload_replaces_the_last_one(client, school):
    client.force_login(school.principal_a)
    first = _upload(client, [student()])
    second = _upload(client, [student("HS009")])
    with schema_context(school.school_a.schema_name):
        assert list(ImportPreview.objects.values_list("token", flat=True)) == [second.context["token"]]
    stale = client.post(URL, {"token": first.context["token"], "sha256": first.context["pending"].sha256})
    assert stale.status_code == 302
    with schema_context(school.school_a.schema_name):
        assert not Student.objects.filter(student_code__in=["HS001", "HS009"]).exists()


def test_another_persons_token_confirms_nothing(client, school):
    client.force_login(school.principal_a)
    preview = _upload(client, [student()])
    client.force_login(school.admin_a)
    client.post(URL, {"token": preview.context["token"], "sha256": preview.context["pending"].sha256})
    with schema_context(school.school_a.schema_name):
        assert (
            not Student.objects.filter(student_code="HS001").exists() and ImportPreview.objects.count() == 1
        )


def test_expired_previews_are_refused_and_cleaned_up(client, school, published):
    client.force_login(school.principal_a)
    preview = _upload(client, [student()])
    with schema_context(school.school_a.schema_name):
        past = timezone.now() - timedelta(seconds=PREVIEW_SECONDS + 1)
        ImportPreview.objects.update(created_at=past)
    response = client.post(
        URL, {"token": preview.context["token"], "sha256": preview.context["pending"].sha256}
    )
    assert response.status_code == 302
    with schema_context(school.school_a.schema_name):
        assert not Student.objects.filter(student_code="HS001").exists()
        assert previews_clean() == 1 and not ImportPreview.objects.exists()
        ImportPreview.objects.create(user=school.admin_a, token="t", kind="staff", filename="a", data=b"x",
                                     sha256="", created_at=past)  # fmt: skip
    with schema_context("public"):
        assert previews_clean_all.run() == School.objects.count() >= 2
    sent = {schema for name, _, schema, _ in published if name == "students.tasks.previews_clean_school"}
    assert school.school_a.schema_name in sent and len(sent) == School.objects.count()
    with schema_context(school.school_a.schema_name):
        assert previews_clean_school.run() == 1 and not ImportPreview.objects.exists()


def test_cache_and_broker_are_separate_redis_databases():
    from schoolbook.settings import _redis_database

    assert _redis_database("redis://redis:6379/0", 1) == "redis://redis:6379/1"
    assert _redis_database("redis://:secret@redis:6379", 1) == "redis://:secret@redis:6379/1"
    assert settings.CACHES["default"]["LOCATION"] != settings.CELERY_BROKER_URL


# --- 10. the request body's size ---------------------------------------------------------------------------


class _Unreadable:
    def read(self, *args):
        raise AssertionError("the body must not be read")

    readline = read


@pytest.mark.parametrize(
    "path", ["/login/", URL, "/s/test-a/notices/new/", "/s/test-a/attendance/leave/new/"]
)
def test_a_huge_content_length_is_refused_before_the_body_is_read(client, school, path):
    client.force_login(school.principal_a)
    response = client.generic(
        "POST", path, b"", CONTENT_TYPE="multipart/form-data; boundary=x", CONTENT_LENGTH=str(2**33),
        **{"wsgi.input": _Unreadable()},
    )  # fmt: skip
    assert response.status_code == 413 and "quá lớn" in response.content.decode()


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/login/", 2 * 2**20),
        ("/s/test-a/notices/12/send/", 2 * 2**20),
        (URL, 11 * 2**20),
        ("/s/test-a/grades/classes/3/terms/4/import/", 11 * 2**20),
        ("/s/test-a/notices/new/", 26 * 2**20),
        ("/s/test-a/notices/12/edit/", 26 * 2**20),
        ("/s/test-a/attendance/leave/new/", 6 * 2**20),
    ],
)
def test_each_upload_page_has_its_limit(path, limit):
    assert request_limit(path) == limit
