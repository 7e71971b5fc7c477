"""One school's backup and restore: its schema (pg_dump), the public rows it needs to work in another
database, and its uploaded files, in one tar archive.

A school's schema alone does not make a working school: its School and Domain rows, who belongs to it
(SchoolAffiliation) and its people's accounts (users, shared by every school a person belongs to) are in
`public`, and the schema's rows point at those users by id. The archive (FORMAT) holds:

- `manifest.json`: the school's code and schema, when the backup was made, the schema's applied migrations,
  the row count of each of its tables (checked again after a restore), its files;
- `public.json`: Django's serialization of the School row, its Domain rows and affiliations, and every user
  the schema names (affiliated users, and any user a row of the schema points at, the audit log's actors
  included) with their authenticator (2FA) and their push subscriptions and app tokens;
- `schema.dump`: `pg_dump --format=custom --schema=<schema>`, in the same snapshot as the public rows
  (pg_export_snapshot), so the two agree;
- `media/<name>`: every file a FileField of the schema names (notice attachments, leave and fee evidence).

A restore (into the same database, another one, or under another code with `code`) never changes an
existing user: a person already there (same phone number) keeps their account, and the restored rows are
pointed at it; the others are created, never as platform admins. The schema is restored by psql in one
transaction, renamed on the way when the code changes, with the user ids remapped before its constraints
are made; then the public rows, the migrations the code has beyond the archive's, and the files. A school
that exists is replaced only when asked (`replace`)."""

import datetime
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from io import BytesIO
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from accounts.models import ContactPoint, TwoFactor, User
from schoolbook.audit.services import audit_record
from tenants.migration_state import schemas_migrate
from tenants.models import Domain, School, SchoolAffiliation, schema_name_for, validate_school_code

FORMAT = 1
LIBPQ_KEYS = {"dbname", "user", "host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey", "options"}


class BackupError(Exception):
    """What an operator must fix before a backup or a restore can go on; nothing was changed."""


@dataclass
class Restored:
    school: School
    tables: int
    rows: int
    users_created: int
    users_existing: int
    files: int
    migrated: bool
    notes: list[str] = field(default_factory=list)


# --- PostgreSQL's tools --------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """pg_dump, pg_restore or psql of the server's major version: from PG_BIN_DIR, the embedded server's
    (pgserver), or PATH. Another major version is refused: an older pg_dump cannot read a newer server,
    and a newer one writes settings an older server does not know."""
    major = connection.pg_version // 10000
    candidates = []
    if settings.PG_BIN_DIR:
        candidates.append(Path(settings.PG_BIN_DIR) / name)
    spec = find_spec("pgserver")
    if spec and spec.origin:
        candidates.append(Path(spec.origin).parent / "pginstall" / "bin" / name)
    if shutil.which(name):
        candidates.append(Path(shutil.which(name)))
    found = []
    for candidate in candidates:
        if not candidate.is_file():
            continue
        version = subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
        number = re.search(r"(\d+)\.\d+", version)
        if number and int(number.group(1)) == major:
            return str(candidate)
        found.append(f"{candidate} ({version.strip()})")
    raise BackupError(
        f"No {name} of PostgreSQL {major} (the server's version); found: {', '.join(found) or 'none'}. "
        f"Install postgresql-client-{major} or set PG_BIN_DIR to its bin directory."
    )


def _libpq() -> tuple[str, dict]:
    """The database's connection string for the tools (without the password) and their environment (with
    it: a command line is visible to every user of the machine)."""
    from psycopg.conninfo import make_conninfo

    params = connection.get_connection_params()
    conninfo = make_conninfo(**{key: value for key, value in params.items() if key in LIBPQ_KEYS and value})
    env = dict(os.environ)
    if connection.settings_dict["PASSWORD"]:
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
    return conninfo, env


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


# --- what a schema holds ------------------------------------------------------------------------------


def _schema_models(schema: str) -> list[type[models.Model]]:
    """The concrete models whose tables are in `schema` (the tenant apps')."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
        tables = {row[0] for row in cursor.fetchall()}
    tenant_labels = {name.rsplit(".", 1)[-1] for name in settings.TENANT_APPS}
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in tenant_labels and model._meta.db_table in tables
    ]


def _user_columns(schema: str) -> list[tuple[str, str]]:
    """(table, column) of every column of the schema that holds a user's id (foreign keys to User, with or
    without a database constraint: the audit log's actor has none)."""
    return [
        (model._meta.db_table, field.column)
        for model in _schema_models(schema)
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is User
    ]


def _file_columns(schema: str) -> list[tuple[str, str]]:
    return [
        (model._meta.db_table, field.column)
        for model in _schema_models(schema)
        for field in model._meta.concrete_fields
        if isinstance(field, models.FileField)
    ]


def _q(schema: str, table: str) -> str:
    return f"{connection.ops.quote_name(schema)}.{connection.ops.quote_name(table)}"


def table_counts(schema: str) -> dict[str, int]:
    """Rows in each table of the schema, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = "
            "'BASE TABLE' ORDER BY table_name",
            [schema],
        )
        tables = [row[0] for row in cursor.fetchall()]
        if not tables:
            return {}
        cursor.execute(
            " UNION ALL ".join(f"SELECT %s, count(*) FROM {_q(schema, table)}" for table in tables), tables
        )
        return dict(cursor.fetchall())


def _schema_exists(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        return cursor.fetchone() is not None


# --- backup -------------------------------------------------------------------------------------------


def school_backup(*, code: str, path: Path) -> dict:
    """Write the archive of school `code` to `path` (through a temporary file beside it, renamed at the
    end); returns its manifest."""
    school = School.objects.filter(code=code).first()
    if school is None:
        raise BackupError(f"No school with the code {code!r}.")
    schema = school.schema_name
    pg_dump = pg_tool("pg_dump")
    conninfo, env = _libpq()
    connection.set_schema_to_public()
    with connection.cursor() as cursor:  # search_path is set now, not as the transaction's first statement
        cursor.execute("SELECT 1")
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory() as work, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        dump = Path(work) / "schema.dump"
        _run(
            [pg_dump, f"--snapshot={snapshot}", "--format=custom", f"--schema={schema}", "--no-owner",
             "--no-privileges", f"--file={dump}", f"--dbname={conninfo}"],
            env,
        )  # fmt: skip
        public, users = _public_rows(school)
        media, missing = _media_names(schema)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT app, name FROM {_q(schema, 'django_migrations')} ORDER BY id")
            migrations = [list(row) for row in cursor.fetchall()]
        manifest = {
            "format": FORMAT,
            "code": school.code,
            "schema": schema,
            "made_at": timezone.now().isoformat(),
            "server_version": connection.pg_version,
            "migrations": migrations,
            "tables": table_counts(schema),
            "user_columns": _user_columns(schema),
            "users": users,
            "media": media,
            "media_missing": missing,
        }
        with tarfile.open(partial, "w") as archive:
            _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
            _add_bytes(archive, "public.json", public.encode())
            archive.add(dump, "schema.dump")
            for name in media:
                archive.add(Path(settings.MEDIA_ROOT) / name, f"media/{name}")
    partial.replace(path)
    return manifest


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(timezone.now().timestamp())
    archive.addfile(info, BytesIO(data))


def _public_rows(school: School) -> tuple[str, int]:
    """The public rows the school needs, serialized, and how many users they name."""
    user_ids = set(SchoolAffiliation.objects.filter(school=school).values_list("user_id", flat=True))
    columns = _user_columns(school.schema_name)
    if columns:
        with connection.cursor() as cursor:
            cursor.execute(
                " UNION ".join(
                    f"SELECT {connection.ops.quote_name(column)} FROM {_q(school.schema_name, table)}"
                    for table, column in columns
                )
            )
            user_ids |= {row[0] for row in cursor.fetchall() if row[0] is not None}
    rows = [
        school,
        *Domain.objects.filter(tenant=school),
        *User.objects.filter(pk__in=user_ids).order_by("pk"),
        *SchoolAffiliation.objects.filter(school=school).order_by("pk"),
        *TwoFactor.objects.filter(user_id__in=user_ids).order_by("pk"),
        *ContactPoint.objects.filter(user_id__in=user_ids).order_by("pk"),
    ]
    text = json.dumps(serializers.serialize("python", rows), cls=_ExactEncoder, indent=1, ensure_ascii=False)
    return text, User.objects.filter(pk__in=user_ids).count()


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder, but times to the microsecond (it keeps milliseconds): restored rows are the same."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _media_names(schema: str) -> tuple[list[str], list[str]]:
    """The files the schema's rows name: those present, and those missing from MEDIA_ROOT."""
    names = set()
    with connection.cursor() as cursor:
        for table, column in _file_columns(schema):
            column = connection.ops.quote_name(column)
            cursor.execute(f"SELECT DISTINCT {column} FROM {_q(schema, table)} WHERE {column} <> ''")
            names |= {row[0] for row in cursor.fetchall()}
    root = Path(settings.MEDIA_ROOT)
    present = sorted(name for name in names if (root / name).is_file())
    return present, sorted(names - set(present))


# --- restore ------------------------------------------------------------------------------------------


def school_restore(
    *, path: Path, code: str | None = None, replace: bool = False, progress: Callable[[str], None] = print
) -> Restored:
    """Restore the archive at `path` as school `code` (default: the archived school's own code)."""
    connection.set_schema_to_public()
    with tempfile.TemporaryDirectory() as work:
        manifest, public, dump, media = _archive_read(Path(path), Path(work))
        code = code or manifest["code"]
        try:
            validate_school_code(code)
        except ValidationError as error:
            raise BackupError(f"{code!r} is not a school code: {' '.join(error.messages)}") from error
        schema = schema_name_for(code)
        _migrations_check(manifest["migrations"])
        existing = School.objects.filter(code=code).first()
        if (existing or _schema_exists(schema)) and not replace:
            raise BackupError(
                f"School {code!r} (schema {schema}) already exists here. Restore under another code "
                "(--as) or replace it (--replace: its schema, its files and its affiliations are replaced)."
            )
        if existing and existing.schema_name != schema:
            raise BackupError(f"School {code!r} uses the schema {existing.schema_name}, not {schema}.")
        objects = list(serializers.deserialize("python", json.loads(public), ignorenonexistent=True))
        _media_check(media, replace)
        mapping, created = _users_restore(objects)
        progress(f"users: {len(created)} created, {len(mapping) - len(created)} already here")
        try:
            _schema_restore(dump, manifest, schema, mapping, replace)
            counts = table_counts(schema)
            differ = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
            if differ:
                raise BackupError(
                    f"Restored tables do not have the archived rows (archived, found): {differ}"
                )
            progress(f"schema {schema}: {len(counts)} tables, {sum(counts.values())} rows, as archived")
            school = _public_restore(objects, code, schema, mapping, existing, manifest)
        except Exception:
            with connection.cursor() as cursor:  # leave nothing behind but what was there before
                if not existing:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
            User.objects.filter(pk__in=created).delete()
            raise
        report = schemas_migrate([schema], progress=progress)
        if report.failed:
            raise BackupError(f"Restored, but migrating {schema} failed: {report.failed[0].error}")
        files = _media_restore(media)
    return Restored(
        school=school,
        tables=len(counts),
        rows=sum(counts.values()),
        users_created=len(created),
        users_existing=len(mapping) - len(created),
        files=files,
        migrated=bool(report.done),
        notes=[f"files missing already when the backup was made: {manifest['media_missing']}"]
        if manifest["media_missing"]
        else [],
    )


def _archive_read(path: Path, work: Path) -> tuple[dict, str, Path, dict[str, bytes]]:
    """The manifest, public.json, the dump (extracted to `work`) and the files of an archive."""
    try:
        with tarfile.open(path) as archive:
            names = set(archive.getnames())
            if not {"manifest.json", "public.json", "schema.dump"} <= names:
                raise BackupError(
                    f"{path}: not a school backup (no manifest.json, public.json or schema.dump)"
                )
            manifest = json.loads(archive.extractfile("manifest.json").read())
            if manifest.get("format") != FORMAT:
                raise BackupError(
                    f"{path}: archive format {manifest.get('format')!r}, this code reads {FORMAT}"
                )
            public = archive.extractfile("public.json").read().decode()
            dump = work / "schema.dump"
            with archive.extractfile("schema.dump") as source, dump.open("wb") as target:
                shutil.copyfileobj(source, target)
            media = {name: archive.extractfile(f"media/{name}").read() for name in manifest["media"]}
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise BackupError(f"{path}: not a readable school backup ({error})") from error
    return manifest, public, dump, media


def _migrations_check(archived: list[list[str]]) -> None:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [f"{app}.{name}" for app, name in archived if (app, name) not in known]
    if unknown:
        raise BackupError(
            "The archive's schema has migrations this code does not have (made by a newer version?): "
            + ", ".join(unknown[:10])
        )


def _media_path(name: str) -> Path:
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root) or target == root:
        raise BackupError(f"The archive names a file outside MEDIA_ROOT: {name!r}")
    return target


def _media_check(media: dict[str, bytes], replace: bool) -> None:
    clashes = [
        name
        for name, data in media.items()
        if _media_path(name).exists() and _media_path(name).read_bytes() != data
    ]
    if clashes and not replace:
        raise BackupError(
            f"Files with other contents exist under MEDIA_ROOT (--replace overwrites): {clashes[:5]}"
        )


def _media_restore(media: dict[str, bytes]) -> int:
    for name, data in media.items():
        target = _media_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return len(media)


def _users_restore(objects) -> tuple[dict[int, int], list[int]]:
    """The archive's user ids → this database's: a user with the same phone number is the same person and
    is left as they are; the others are created (with their old id when it is free), with their 2FA and
    push subscriptions. Returns the mapping and the ids created."""
    archived = [o.object for o in objects if isinstance(o.object, User)]
    here = dict(User.objects.filter(phone__in=[u.phone for u in archived]).values_list("phone", "pk"))
    taken = set(User.objects.filter(pk__in=[u.pk for u in archived]).values_list("pk", flat=True))
    mapping, new = {}, []
    for user in archived:
        if user.phone in here:
            mapping[user.pk] = here[user.phone]
            continue
        old = user.pk
        user.pk = None if old in taken else old
        user.is_platform_admin = False  # restoring a school never makes anyone a platform admin
        new.append((old, user))
    with transaction.atomic():
        # Those keeping their id first, then the sequence past them, then the others from the sequence.
        User.objects.bulk_create([user for _, user in new if user.pk is not None])
        _sequences_reset(User)
        User.objects.bulk_create([user for _, user in new if user.pk is None])
        mapping |= {old: user.pk for old, user in new}
        fresh = {user.pk for _, user in new}
        extras = []
        for o in objects:
            if isinstance(o.object, TwoFactor | ContactPoint) and mapping.get(o.object.user_id) in fresh:
                o.object.pk, o.object.user_id = None, mapping[o.object.user_id]
                extras.append(o.object)
        TwoFactor.objects.bulk_create([e for e in extras if isinstance(e, TwoFactor)])
        ContactPoint.objects.bulk_create(
            [e for e in extras if isinstance(e, ContactPoint)], ignore_conflicts=True
        )
        _sequences_reset(User, TwoFactor, ContactPoint)
    return mapping, sorted(fresh)


def _sequences_reset(*model_classes) -> None:
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), model_classes):
            cursor.execute(statement)


def _schema_restore(dump: Path, manifest: dict, schema: str, mapping: dict[int, int], replace: bool) -> None:
    """pg_restore's SQL through psql in one transaction: the tables and their data, the user ids remapped,
    then the indexes and constraints. Statements naming the archived schema are rewritten to name
    `schema`; the data (COPY blocks) passes as it is."""
    pg_restore, psql = pg_tool("pg_restore"), pg_tool("psql")
    conninfo, env = _libpq()
    rename = re.compile(rb"(?<![\w$])" + re.escape(manifest["schema"].encode()) + rb"(?![\w$])")
    target = connection.ops.quote_name(schema)
    with tempfile.TemporaryFile() as errors:
        loader = subprocess.Popen(
            [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction", "--file=-",
             f"--dbname={conninfo}"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors, env=env,
        )  # fmt: skip
        try:
            if replace:
                loader.stdin.write(f"DROP SCHEMA IF EXISTS {target} CASCADE;\n".encode())
            for section in ("pre-data", "data", "post-data"):
                if section == "post-data":
                    loader.stdin.write(_remap_sql(schema, manifest["user_columns"], mapping).encode())
                _section_pipe(pg_restore, section, dump, env, loader.stdin, rename, schema.encode())
            loader.stdin.close()
        except BrokenPipeError:
            pass  # psql stopped at an error: reported below
        if loader.wait():
            errors.seek(0)
            raise BackupError(f"psql failed, nothing was restored: {errors.read().decode()[-2000:]}")


def _section_pipe(pg_restore, section, dump, env, out, rename, schema: bytes) -> None:
    with tempfile.TemporaryFile() as errors:
        reader = subprocess.Popen(
            [pg_restore, f"--section={section}", "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=subprocess.PIPE, stderr=errors, env=env,
        )  # fmt: skip
        in_copy = False
        for line in reader.stdout:
            if in_copy:
                in_copy = line != b"\\.\n"
            else:
                in_copy = line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;")
                line = rename.sub(schema, line)
            out.write(line)
        if reader.wait():
            errors.seek(0)
            raise BackupError(f"pg_restore failed: {errors.read().decode()[-2000:]}")


def _remap_sql(schema: str, columns: list[list[str]], mapping: dict[int, int]) -> str:
    """UPDATEs pointing the restored rows at this database's users, before the foreign keys are made.
    `columns`: the archive's own (table, column) pairs holding user ids, listed when it was made."""
    moved = {old: new for old, new in mapping.items() if old != new}
    if not moved:
        return ""
    values = ", ".join(f"({int(old)}, {int(new)})" for old, new in moved.items())
    statements = []
    for table, column in columns:
        column = connection.ops.quote_name(column)
        statements.append(
            f"UPDATE {_q(schema, table)} AS t SET {column} = m.new FROM (VALUES {values}) AS m(old, new) "
            f"WHERE t.{column} = m.old;"
        )
    return "\n".join(statements) + "\n"


def _public_restore(objects, code: str, schema: str, mapping: dict[int, int], existing, manifest) -> School:
    """The School (created, or updated when replacing), its Domain and affiliations, one transaction."""
    archived = next(o.object for o in objects if isinstance(o.object, School))
    with transaction.atomic():
        if existing:
            school = existing
            for field in ("name", "levels", "province", "district", "address", "phone", "email", "is_active"):
                setattr(school, field, getattr(archived, field))
            school.suspended_reason = archived.suspended_reason
            school.save()
            SchoolAffiliation.objects.filter(school=school).delete()
        else:
            school, created_at = archived, archived.created_at  # save() would make it "now"
            school.code, school.schema_name = code, schema
            if School.objects.filter(pk=school.pk).exists():
                school.pk = None
            school.auto_create_schema = False  # the schema is the restored one, not a spare
            school.save()
            School.objects.filter(pk=school.pk).update(created_at=created_at)
            Domain.objects.create(domain=code, tenant=school, is_primary=True)
        SchoolAffiliation.objects.bulk_create(
            SchoolAffiliation(
                user_id=mapping[o.object.user_id], school=school, is_staff=o.object.is_staff,
                is_guardian=o.object.is_guardian,
            )
            for o in objects
            if isinstance(o.object, SchoolAffiliation)
        )  # fmt: skip
        _sequences_reset(School, Domain, SchoolAffiliation)
        audit_record(
            actor=None,
            action="school.restore",
            obj=school,
            after={"from": manifest["code"], "made_at": manifest["made_at"], "replaced": bool(existing)},
        )
    return school
