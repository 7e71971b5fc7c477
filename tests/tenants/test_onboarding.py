"""Onboarding: the command, the bulk CSV with per-row reports, the console page; nothing half-created."""

import importlib
import os
import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django_tenants.utils import schema_context, schema_exists

from accounts.models import User
from accounts.roles import Role
from schoolbook.audit.models import AuditEvent
from schoolbook.celery import app
from schoolbook.onboarding import school_onboard, schools_onboard_csv
from students.models import StaffMember
from tenants.models import Domain, SchemaTemplate, School, SchoolAffiliation, SpareSchema
from tenants.schema_template import migration_state, replay
from tenants.schemas import spares_refill
from tests.conftest import ROOT, _test_database_url, other_workers_paused


def _tables(schema):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", [schema])
        return cursor.fetchone()[0]


def _applied(schema):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT applied FROM "{schema}".django_migrations ORDER BY id')
        return [row[0].isoformat() for row in cursor.fetchall()]


def _migrations(schema):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')
        return cursor.fetchall()


def test_command_onboards_a_school_from_a_spare_schema(world, capsys):
    spares_before = list(SpareSchema.objects.values_list("schema_name", flat=True))
    assert spares_before, "prepare_database fills the pool"
    call_command("onboard_school", "--code", "thpt-le-loi", "--name", "Trường THPT Lê Lợi", "--level",
                 "upper_secondary", "--admin-phone", "0977 123 456", "--admin-name", "Trịnh Thu Hà",
                 "--province", "Thanh Hóa")  # fmt: skip
    school = School.objects.get(code="thpt-le-loi")
    assert school.schema_name == "school_thpt_le_loi" and school.levels == ["upper_secondary"]
    assert Domain.objects.get(tenant=school).domain == "thpt-le-loi"
    assert not schema_exists(spares_before[0])  # the oldest spare became the school
    assert not SpareSchema.objects.filter(schema_name=spares_before[0]).exists()
    assert _tables("school_thpt_le_loi") == _tables("school_test_a") > 0
    assert _migrations("school_thpt_le_loi") == _migrations("school_test_a")  # next deploy's migrate: no-op
    with schema_context(school.schema_name):
        admin = StaffMember.objects.get()
        assert admin.roles == [Role.SCHOOL_ADMIN] and admin.user.phone == "+84977123456"
        assert admin.user.has_usable_password() is False  # no default password: a code first
    assert SchoolAffiliation.objects.filter(school=school, user=admin.user, is_staff=True).exists()
    assert AuditEvent.objects.filter(action="school.onboard", object_id=str(school.pk)).exists()
    assert "thpt-le-loi" in capsys.readouterr().out


def test_without_spares_onboarding_migrates_a_new_schema(world):
    SpareSchema.objects.all().delete()  # rolled back with the test, like everything else here
    call_command("onboard_school", "--code", "no-spare", "--name", "Trường Không Sẵn", "--level", "primary",
                 "--admin-phone", "0977123457", "--admin-name", "Đinh Lan")  # fmt: skip
    assert _migrations("school_no_spare") == _migrations("school_test_a")
    with schema_context("school_no_spare"):
        assert list(StaffMember.objects.values_list("full_name", flat=True)) == ["Đinh Lan"]


def test_refill_makes_migrated_empty_spares(world):
    SpareSchema.objects.all().delete()
    assert spares_refill(target=2) == 2
    assert spares_refill(target=2) == 0
    spare = SpareSchema.objects.latest("created_at")
    assert spare.schema_name.startswith("spare_")
    assert _migrations(spare.schema_name) == _migrations("school_test_a")
    with schema_context(spare.schema_name):
        assert not StaffMember.objects.exists()


def test_failed_onboarding_gives_the_spare_back(world):
    spares_before = set(SpareSchema.objects.values_list("schema_name", flat=True))
    with pytest.raises(RuntimeError), transaction.atomic():
        call_command("onboard_school", "--code", "rolled-back", "--name", "Trường Hủy", "--level", "primary",
                     "--admin-phone", "0977123458", "--admin-name", "Hủy Bỏ")  # fmt: skip
        raise RuntimeError("something after onboarding failed")
    assert set(SpareSchema.objects.values_list("schema_name", flat=True)) == spares_before
    assert all(schema_exists(name) for name in spares_before)
    assert not schema_exists("school_rolled_back") and not School.objects.filter(code="rolled-back").exists()


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        (["--code", "THPT-A"], "code", "chữ thường"),
        (["--code", "test-a"], "code", "đã tồn tại"),
        (["--code", "public"], "code", "hệ thống"),
        (["--admin-phone", "0123"], "admin_phone", "không hợp lệ"),
        (["--admin-phone", "+1 650 253 0000"], "admin_phone", "Việt Nam"),
        (["--name", "   "], "name", "bắt buộc"),
    ],
)
def test_command_rejects_bad_input_and_creates_nothing(world, args, field, reason):
    base = {
        "--code": "bad-input",
        "--name": "Trường Lỗi",
        "--admin-phone": "0977000111",
        "--admin-name": "Lỗi",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in base.items() for item in pair]
    schools_before, users_before = School.objects.count(), User.objects.count()
    with pytest.raises(CommandError) as error:
        call_command("onboard_school", *flat, "--level", "primary")
    assert f"{field}:" in str(error.value) and reason in str(error.value)
    assert (School.objects.count(), User.objects.count()) == (schools_before, users_before)
    assert not schema_exists("school_bad_input")


CSV = """code,name,levels,province,district,address,phone,email,admin_name,admin_phone
th-hoa-binh,Trường Tiểu học Hòa Bình,primary,Hà Nội,,,,,Nguyễn An,0981000001
BAD CODE,Trường Sai Mã,primary,,,,,,Nguyễn Bình,0981000002
thcs-ok,Trường THCS Ổn,lower_secondary;upper_secondary,,,,,,Nguyễn Chi,0981000003
th-no-phone,Trường Thiếu Số,primary,,,,,,Nguyễn Dũng,09810
th-hoa-binh,Trường Trùng Mã,primary,,,,,,Nguyễn Em,0981000005
th-bad-level,Trường Sai Cấp,kindergarten,,,,,bad-email,Nguyễn Giang,0981000006
"""


def test_csv_creates_good_rows_and_reports_each_bad_row(world):
    report = schools_onboard_csv(actor=world.platform_admin, text=CSV)
    assert sorted(school.code for school in report.created) == ["th-hoa-binh", "thcs-ok"]
    problems = {(p.line, p.field) for p in report.problems}
    assert problems == {(3, "code"), (5, "admin_phone"), (6, "code"), (7, "levels"), (7, "email")}
    assert next(p for p in report.problems if p.line == 6).reason == "Trùng mã trường với dòng 2"
    assert School.objects.get(code="thcs-ok").levels == ["lower_secondary", "upper_secondary"]
    assert not School.objects.filter(name__in=["Trường Sai Mã", "Trường Thiếu Số", "Trường Sai Cấp"]).exists()
    assert not User.objects.filter(phone__in=["+84981000002", "+84981000006"]).exists()


def test_csv_makes_the_spares_its_good_rows_need_then_renames_them_and_asks_for_one_refill(world, published):
    SpareSchema.objects.all().delete()  # an empty pool; rolled back with the test
    replay("csv_replayed", SchemaTemplate.objects.get(migration_state=migration_state()).script)
    report = schools_onboard_csv(actor=world.platform_admin, text=CSV)
    assert len(report.created) == 2 and not SpareSchema.objects.exists()  # two made, two used
    for school in report.created:
        # Made from the template (its rows as captured), then renamed: nothing migrated while rows waited.
        assert _migrations(school.schema_name) == _migrations("school_test_a")
        assert _applied(school.schema_name) == _applied("csv_replayed")
    assert [task for task, *_ in published] == ["tenants.tasks.refill_spare_schemas"]


def test_csv_command_prints_the_report_and_fails_when_rows_are_bad(world, tmp_path, capsys):
    path = tmp_path / "schools.csv"
    path.write_text(CSV, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("onboard_schools", str(path))
    out = capsys.readouterr().out
    assert "line 5\tadmin_phone\t" in out and "2 created, 4 rows rejected" in out


def test_csv_with_missing_columns_is_rejected_whole(world):
    report = schools_onboard_csv(actor=world.platform_admin, text="code,name\nabc,Trường ABC\n")
    assert report.created == []
    assert report.problems[0].reason == "Thiếu cột bắt buộc" and "levels" in report.problems[0].field


def test_console_onboards_and_shows_errors(client, world):
    client.force_login(world.platform_admin)
    bad = client.post("/console/schools/new/", {"code": "Sai Mã", "name": "", "admin_phone": "12"})
    page = bad.content.decode()
    assert bad.status_code == 200 and "chữ thường" in page and "bắt buộc" in page
    good = client.post("/console/schools/new/", {
        "code": "thcs-nguyen-du", "name": "Trường THCS Nguyễn Du", "levels": ["lower_secondary"],
        "admin_name": "Mai Anh", "admin_phone": "0912 888 999",
    })  # fmt: skip
    assert good.status_code == 302
    listing = client.get("/console/?q=nguyen-du").content.decode()
    assert "Trường THCS Nguyễn Du" in listing and "Đang hoạt động" in listing


def test_console_lists_counts_and_suspends(client, world):
    client.force_login(world.platform_admin)
    page = client.get("/console/").content.decode()
    row_a = page.split('data-code="test-a"')[1].split("</tr>")[0]
    assert '<td class="num">3</td>' in row_a
    response = client.post("/console/schools/test-b/suspend/", {"reason": "Hết hạn"})
    assert response.status_code == 302
    assert School.objects.get(code="test-b").is_active is False
    assert AuditEvent.objects.filter(action="school.suspend").exists()
    assert "Tạm ngừng" in client.get("/console/?status=suspended").content.decode()
    client.post("/console/schools/test-b/reactivate/")
    assert School.objects.get(code="test-b").is_active is True


def test_console_is_hidden_from_school_staff(client, world):
    client.force_login(world.admin_a)
    assert client.get("/console/").status_code == 404
    assert client.post("/console/schools/test-b/suspend/", {"reason": "x"}).status_code == 404
    assert School.objects.get(code="test-b").is_active


def test_create_platform_admin_command(world):
    call_command("create_platform_admin", "--phone", "0915 111 000", "--name", "Người Vận Hành")
    user = User.objects.get(phone="+84915111000")
    assert user.is_platform_admin and not user.has_usable_password()
    with pytest.raises(CommandError, match="không hợp lệ"):
        call_command("create_platform_admin", "--phone", "123", "--name", "X")


def test_console_search_ignores_accents_case_and_hyphens(client, world):
    school_onboard(actor=world.platform_admin, data={
        "code": "thcs-nguyen-du", "name": "Trường THCS Nguyễn Du", "levels": ["lower_secondary"],
        "province": "Thừa Thiên Huế", "admin_name": "Mai Anh", "admin_phone": "0912 888 999",
    })  # fmt: skip
    client.force_login(world.platform_admin)

    def found(search):
        page = client.get("/console/", {"q": search}).content.decode()
        return set(re.findall(r'data-code="([^"]+)"', page))

    for search in ("nguyen du", "nguyễn-du", "NGUYỄN DU", "  Nguyen   Du ", "Nguyễn Du", "thcs-nguyen-du",
                   "thcs nguyen du", "THCS-Nguyễn-Du", "thua thien hue", "Huế"):  # fmt: skip
        assert found(search) == {"thcs-nguyen-du"}, search
    assert found("thu nghiem") == {"test-a", "test-b"}
    assert found("ha noi") == {"test-a", "test-b"}  # their province, Hà Nội
    assert found("nguyen trai") == set()
    assert found("") >= {"test-a", "test-b", "thcs-nguyen-du"}


def test_renaming_a_school_keeps_its_search_column(world):
    school = School.objects.get(code="test-b")
    school.name = "Trường THCS Chu Văn An"
    school.save(update_fields=["name"])
    school.refresh_from_db()
    assert school.search_folded == "truong thcs chu van an test b ha noi"


def test_the_migration_fills_the_search_column_of_existing_schools(world):
    from django.apps import apps

    School.objects.update(search_folded="")
    importlib.import_module("tenants.migrations.0003_school_search").fill(apps, None)
    assert School.objects.get(code="test-a").search_folded == "truong thcs thu nghiem a test a ha noi"


def test_the_csv_command_onboards_rows_two_at_a_time(django_db_setup, django_db_blocker, tmp_path):
    """`manage.py onboard_schools --jobs 2` in its own process (threads on their own connections, committed,
    as an operator runs it): every good row onboarded once, the two rows naming one admin (written two ways)
    give that admin one account in both schools, and the bad row is reported. The session's worker is paused
    meanwhile and the pool refill the command asks for is purged, then the pool topped up again here: a
    refill running later would add spares under another test's feet."""
    header = "code,name,levels,province,district,address,phone,email,admin_name,admin_phone\n"
    rows = [
        "j2-a,Trường J2 A,primary,,,,,,Phan Một,0981100001",
        "j2-b,Trường J2 B,primary,,,,,,Phan Một,+84 981 100 001",
        "j2-c,Trường J2 C,primary,,,,,,Phan Hai,0981100002",
        "j2-bad,Trường J2 Sai,kindergarten,,,,,,Phan Ba,0981100003",
        "j2-d,Trường J2 D,lower_secondary,,,,,,Phan Bốn,0981100004",
    ]
    path = tmp_path / "schools.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    codes = ["j2-a", "j2-b", "j2-c", "j2-d"]
    with django_db_blocker.unblock():
        pool = SpareSchema.objects.count()
    try:
        with other_workers_paused("none"):
            done = subprocess.run(
                [sys.executable, "manage.py", "onboard_schools", "--jobs", "2", str(path)], cwd=ROOT,
                env=dict(os.environ, DATABASE_URL=_test_database_url()), capture_output=True, text=True,
                timeout=300,
            )  # fmt: skip
            assert app.control.purge() == 1  # the one refill asked for the whole file
        output = done.stdout + done.stderr
        assert done.returncode != 0 and "4 created, 1 rows rejected" in output, output
        assert "line 5\tlevels\t" in output, output
        with django_db_blocker.unblock():
            schools = {school.code: school for school in School.objects.filter(code__in=codes)}
            assert sorted(schools) == codes
            admin = User.objects.get(phone="+84981100001")
            assert set(
                SchoolAffiliation.objects.filter(user=admin, is_staff=True).values_list(
                    "school__code", flat=True
                )
            ) == {"j2-a", "j2-b"}
            for code, phone in (("j2-a", "+84981100001"), ("j2-b", "+84981100001"), ("j2-d", "+84981100004")):
                with schema_context(schools[code].schema_name):
                    member = StaffMember.objects.get()
                    assert member.user.phone == phone and member.roles == [Role.SCHOOL_ADMIN]
    finally:
        with django_db_blocker.unblock():
            for school in School.objects.filter(code__in=codes):
                school.delete(force_drop=True)  # the admins' users stay, as the other committed tests' do
            spares_refill(target=pool)
