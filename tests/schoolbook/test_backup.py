"""One school's backup and restore (schoolbook.backup, backup_school / restore_school), between real databases
on the test server: a demo school seeded in a database of its own, backed up, and restored into an empty
database (public migrated, nothing else), where every row of every table is found again.

Everything runs through manage.py in its own process, as an operator would run it: the commands call
pg_dump and psql, which need committed data, and the test databases are not the session's."""

import json
import os
import subprocess
import sys
import tarfile

import psycopg
import pytest
from django.db import connections
from psycopg import sql

from tests.conftest import ROOT, _test_database_url

pytestmark = pytest.mark.slow

CODE, SCHEMA = "thcs-demo", "school_thcs_demo"
ATTACHMENT = b"%PDF-1.4\n% a notice's attachment, backed up with its school\n"
ADD_ATTACHMENT = f"""
from django.core.files.base import ContentFile
from django_tenants.utils import schema_context
from notices.models import Notice, NoticeAttachment
with schema_context("{SCHEMA}"):
    upload = ContentFile({ATTACHMENT!r}, name="lich-thi.pdf")
    NoticeAttachment.objects.create(
        notice=Notice.objects.order_by("pk").first(), file=upload, original_name="Lịch thi.pdf",
        size=upload.size, content_type="application/pdf",
    )
"""


def _url(name: str) -> str:
    return _test_database_url().replace(connections["default"].settings_dict["NAME"], name)


@pytest.fixture
def empty_databases(django_db_setup, django_db_blocker):
    """Two new databases on the test server: (source, target)."""
    slot = os.environ.get("TEST_SLOT") or "0"
    names = [f"test_backup_source_{slot}", f"test_backup_target_{slot}"]
    admin = psycopg.connect(_url("postgres"), autocommit=True)
    for name in names:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield names
    for name in names:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    admin.close()


def manage(database: str, media, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(
        os.environ, DATABASE_URL=_url(database), MEDIA_ROOT=str(media), SPARE_SCHEMAS="0",
        STAFF_2FA_REQUIRED="false",
        # Tasks the commands send (the spare-pool refill) go to a Redis database no worker reads.
        CELERY_BROKER_URL=os.environ["REDIS_URL"],
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if check:
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def fingerprint(database: str, schema: str, user_columns) -> dict:
    """Per table: rows, and an MD5 of all its rows (as JSON, in order), where each column holding a user id
    is replaced by that user's phone number (the same person may have another id in another database);
    per sequence: its value."""
    by_table = {}
    for table, column in user_columns:
        by_table.setdefault(table, []).append(column)
    result = {}
    with psycopg.connect(_url(database)) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = "
            "'BASE TABLE'",
            [schema],
        ).fetchall()
        for (table,) in tables:
            columns = by_table.get(table, [])
            row = sql.SQL("to_jsonb(t) - {}::text[]").format(sql.Literal(columns))
            for column in columns:
                row = sql.SQL(
                    "{} || jsonb_build_object({}, (SELECT phone FROM public.accounts_user WHERE id = t.{}))"
                ).format(row, sql.Literal(f"{column}:phone"), sql.Identifier(column))
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) "
                "FROM (SELECT {} AS x FROM {}.{} AS t) AS rows"
            ).format(row, sql.Identifier(schema), sql.Identifier(table))
            result[table] = conn.execute(query).fetchone()
        sequences = conn.execute(
            "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = %s", [schema]
        ).fetchall()
        for (sequence,) in sequences:
            query = sql.SQL("SELECT last_value, is_called FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(sequence)
            )
            result[f"sequence {sequence}"] = conn.execute(query).fetchone()
    return result


def public_rows(database: str, code: str) -> dict:
    with psycopg.connect(_url(database)) as conn:
        return {
            "school": conn.execute(
                "SELECT name, schema_name, levels, province, is_active, created_at FROM tenants_school "
                "WHERE code = %s",
                [code],
            ).fetchone(),
            "domains": conn.execute(
                "SELECT d.domain FROM tenants_domain d JOIN tenants_school s ON s.id = d.tenant_id "
                "WHERE s.code = %s",
                [code],
            ).fetchall(),
            "affiliations": sorted(
                conn.execute(
                    "SELECT u.phone, a.is_staff, a.is_guardian FROM tenants_schoolaffiliation a "
                    "JOIN accounts_user u ON u.id = a.user_id JOIN tenants_school s ON s.id = a.school_id "
                    "WHERE s.code = %s",
                    [code],
                ).fetchall()
            ),
        }


def test_a_school_restored_into_an_empty_database_has_every_row(empty_databases, tmp_path):
    source, target = empty_databases
    media_source, media_target = tmp_path / "media-source", tmp_path / "media-target"
    archive = tmp_path / "thcs-demo.tar"

    manage(source, media_source, "prepare_database")
    manage(source, media_source, "seed_demo", "--students-per-school", "40")
    manage(source, media_source, "shell", "-c", ADD_ATTACHMENT)
    made = manage(source, media_source, "backup_school", CODE, str(archive))
    assert f"school {CODE} ({SCHEMA})" in made.stdout and "1 files" in made.stdout

    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile("manifest.json").read())
        assert {"manifest.json", "public.json", "schema.dump"} <= set(opened.getnames())
    (attachment,) = manifest["media"]
    assert sum(manifest["tables"].values()) > 1000  # students, guardians, scores, invoices…

    manage(target, media_target, "migrate_schemas", "--shared")  # public only: no school, no spare
    # A person the target already knows (the school's admin, with another id there): kept, and pointed at.
    manage(target, media_target, "shell", "-c", (
        "from accounts.models import User\n"
        "User.objects.create_user('0912000001', full_name='Đã có ở đây')\n"
        "User.objects.create_user('0999999999', full_name='Người khác')"
    ))  # fmt: skip
    restored = manage(target, media_target, "restore_school", str(archive))
    assert f"School {CODE} restored ({SCHEMA})" in restored.stdout, restored.stdout

    assert fingerprint(target, SCHEMA, manifest["user_columns"]) == fingerprint(
        source, SCHEMA, manifest["user_columns"]
    )
    before, after = public_rows(source, CODE), public_rows(target, CODE)
    assert after == before
    assert (media_target / attachment).read_bytes() == ATTACHMENT
    with psycopg.connect(_url(source)) as conn:
        principal = conn.execute("SELECT password FROM accounts_user WHERE phone = '+84912000002'").fetchone()
    with psycopg.connect(_url(target)) as conn:
        names = dict(conn.execute("SELECT phone, full_name FROM accounts_user").fetchall())
        assert names["+84912000001"] == "Đã có ở đây"  # an existing account is never changed
        # A created account signs in as before: its password hash came along.
        assert (
            conn.execute("SELECT password FROM accounts_user WHERE phone = '+84912000002'").fetchone()
            == principal
        )
        admins = conn.execute("SELECT count(*) FROM accounts_user WHERE is_platform_admin").fetchone()[0]
        assert admins == 0  # the audit log's platform admin came along, not as an admin
        restores = "SELECT count(*) FROM audit_auditevent WHERE action = 'school.restore'"
        assert conn.execute(restores).fetchone()[0] == 1  # in the platform's audit log

    # A working school: its admin opens its home page in the restored database.
    opened = manage(target, media_target, "shell", "-c", (
        "from django.test import Client\nfrom accounts.models import User\n"
        "client = Client()\nclient.force_login(User.objects.get(phone='+84912000001'))\n"
        f"print('status', client.get('/s/{CODE}/').status_code)"
    ))  # fmt: skip
    assert "status 200" in opened.stdout

    # Again: refused, the school exists; under another code beside it, every user is already there.
    refused = manage(target, media_target, "restore_school", str(archive), check=False)
    assert refused.returncode == 1 and f"School '{CODE}' (schema {SCHEMA}) already exists" in refused.stderr
    copy = manage(target, media_target, "restore_school", str(archive), "--as", "thcs-demo-copy")
    assert "0 users created" in copy.stdout
    assert fingerprint(target, "school_thcs_demo_copy", manifest["user_columns"]) == fingerprint(
        source, SCHEMA, manifest["user_columns"]
    )
    replaced = manage(target, media_target, "restore_school", str(archive), "--replace")
    assert f"School {CODE} restored" in replaced.stdout
    assert public_rows(target, CODE) == before


def test_a_restore_refuses_what_is_not_an_archive(tmp_path, django_db_setup):
    not_archive = tmp_path / "notes.tar"
    not_archive.write_text("not a tar file")
    env = dict(os.environ, DATABASE_URL=_test_database_url())
    done = subprocess.run(
        [sys.executable, "manage.py", "restore_school", str(not_archive)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and "not a readable school backup" in done.stderr
    unknown = subprocess.run(
        [sys.executable, "manage.py", "backup_school", "no-such-school", str(tmp_path / "x.tar")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert unknown.returncode == 1 and "No school with the code 'no-such-school'" in unknown.stderr
