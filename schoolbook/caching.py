"""Caches shared by every schema: lookups asked on every request (which school, is this user staff here),
kept in Redis for all processes and for a few seconds in each process, and the one way to invalidate them.

Another process sees a change within LOCAL_SECONDS (e.g. a suspension); the process that made it, at once.

Parts of pages (cached_part), kept under a version of the rows they show (rows_version) instead of being
invalidated: whatever changes those rows, through any code path, changes the key."""

import hashlib
import time

from django.core.cache import caches
from django.db import connection, transaction
from django.utils.translation import get_language

LOCAL_SECONDS = 5.0
LOCAL_MAX_ENTRIES = 10_000
_MISSING = "missing"  # cached "no such row": Redis cannot tell a stored None from a miss
_local: dict[str, tuple[float, object]] = {}


def platform_cache():
    # Not tenant-prefixed: the same key must be found from the public schema and from any school.
    return caches["platform"]


def cached_lookup(key: str, load, seconds: int, *, local: bool = True):
    """load() → a value or None; the answer, None included, is cached under `key`. With local=False it is
    kept in Redis only, never in a process's memory: every process sees it forgotten at once (what must
    take effect at once everywhere, e.g. a user's deactivation)."""
    now = time.monotonic()
    kept = _local.get(key) if local else None
    if kept is not None and kept[0] > now:
        value = kept[1]
    else:
        value = platform_cache().get(key)
        if value is None:
            loaded = load()
            value = _MISSING if loaded is None else loaded
            platform_cache().set(key, value, seconds)
        if local:
            if len(_local) >= LOCAL_MAX_ENTRIES:
                _local.clear()
            _local[key] = (now + LOCAL_SECONDS, value)
    return None if value == _MISSING else value


def forget(key: str) -> None:
    _local.pop(key, None)
    platform_cache().delete(key)


def forget_local() -> None:
    """Tests: what one test cached in this process must not reach the next one."""
    _local.clear()
    caches["local"].clear()


def forget_now_and_on_commit(key: str) -> None:
    """Forget now and again after commit: a request that read the old row between the two must not leave
    it cached."""
    forget(key)
    transaction.on_commit(lambda: forget(key))


# --- parts of pages under a version of their rows ---------------------------------------------------------

PART_SECONDS = 600  # a bound on any part's life, whatever its version says


def rows_versions(*sources: tuple) -> list[str]:
    """A version of the rows that each source selects, (table, WHERE clause, its parameters[, the columns
    that matter, e.g. "t.id, t.title"; the whole row by default]), read in one statement in the current
    schema: per source, an MD5 of the rows' text in id order. Any insert, update or delete among those rows
    changes it, whoever made it: a bulk update or raw SQL included, which signals would miss. The database
    does the work (a few hundred short rows: well under a millisecond)."""
    selects, params = [], []
    for table, where, args, *columns in sources:
        row = f"({columns[0]})" if columns else "t"
        rows = f"string_agg({row}::text, '|' ORDER BY t.id)"
        selects.append(f"(SELECT md5(coalesce({rows}, '')) FROM {table} t WHERE {where})")
        params.extend(args)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        return list(cursor.fetchone())


def rows_version(*sources: tuple) -> str:
    """rows_versions of all the sources as one version."""
    return "".join(rows_versions(*sources))


def versions_per_school(schools, read) -> list[tuple]:
    """(school pk, school name, *read(schema)) for each school: the versions a part drawn from several
    schools is cached under (one query a school). `read` names the school's tables with `schema`
    (qualified_table) instead of the connection switching to it and back: two round trips less a school."""
    return [(school.pk, school.name, *read(school.schema_name)) for school in schools]


def qualified_table(schema: str, model) -> str:
    """The model's table in that schema, for SQL run from another schema's search path."""
    return f"{connection.ops.quote_name(schema)}.{connection.ops.quote_name(model._meta.db_table)}"


def cached_part(name: str, *, schemas: list[str], viewer: int, version, build):
    """A part of a page (rendered HTML, or any picklable value) for these schools' schemas and this viewer
    (a user's id), in the current language, at `version` (rows_version and whatever else the part depends
    on, e.g. a date). build() → (value, seconds it stays right by itself or None) makes it on a miss; it is
    kept that long, at most PART_SECONDS. Keys always name the schools and the viewer: nothing cached for
    one person or school can be answered to another.

    Kept in Redis for every process and, until the same moment, in this process's memory (the "local"
    cache, Django's LocMemCache: a copy for each read, so a caller may change what it gets). A key names
    the version of what the part shows, so a copy in memory can only be out of date by time, never by a
    change of its rows."""
    digest = hashlib.blake2b(repr(version).encode(), digest_size=16).hexdigest()
    key = f"page-part:{name}:{','.join(schemas)}:{viewer}:{get_language()}:{digest}"
    kept = caches["local"].get(key)
    if kept is None:
        kept = platform_cache().get(key)  # (the moment it stops being right, the part)
        if kept is None:
            value, seconds = build()
            kept = (
                time.time() + (PART_SECONDS if seconds is None else max(1, min(seconds, PART_SECONDS))),
                value,
            )
            platform_cache().set(key, kept, kept[0] - time.time())
        caches["local"].set(key, kept, kept[0] - time.time())
    return kept[1]
