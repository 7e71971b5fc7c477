"""A freshly migrated school schema written down once per migration state, and written out again for each
new school in one statement: the tables, sequences, constraints and indexes, the rows the migrations
inserted (`django_migrations`, content types) and the sequences' values.

Replaying every migration costs ~2 s a school, almost all of it Django working out the migration states,
not PostgreSQL. So the DDL of a migrated schema is read from the catalogs with PostgreSQL's own rendering
(`format_type`, `pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_expr`, as `pg_dump` uses them) and kept
in the public table `SchemaTemplate`, keyed by a hash of the migration graph's leaves: every web and worker
process of every machine finds it there, and code with other migrations never does (it looks up its own
key). Reading the catalogs on the same connection, rather than running `pg_dump`, needs no client binary
of the server's version and works inside the transaction that has just migrated the schema.

Each table is created with its constraints and foreign keys inline, after the tables it references, so
that no `ALTER TABLE` re-checks an empty table. A kind of object that is not rendered here (a view, a
function, a trigger of our own, a comment, a storage option…) makes the capture refuse: onboarding then
migrates as before. Only the template's own catalog rows are read and only the new schema's are written,
so the cost does not grow with the number of schools (django-tenants' `clone_schema` did: tenants.schemas).
tests/tenants/test_schema_template.py compares a replayed schema with a migrated one through the catalogs.
"""

import functools
import hashlib
import re

from django.db import connection, transaction

from tenants.migration_state import migration_leaves

# Stands for the new schema in a captured script: '@' cannot start an identifier, so the script fails
# loudly if it is ever run without the substitution, and no name PostgreSQL renders can contain it.
PLACEHOLDER = "@schema@"
PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")  # printed unquoted by PostgreSQL, as school_…/spare_… are

# What a schema may hold for the capture to render it faithfully; each query counts what it does not.
UNSUPPORTED = {
    "a relation other than a table, an index or a sequence, or with storage options": """
        SELECT count(*) FROM pg_class WHERE relnamespace = %(ns)s::regnamespace
        AND (relkind NOT IN ('r', 'i', 'S')
        OR relpersistence <> 'p' OR reloptions IS NOT NULL OR reltablespace <> 0 OR relrowsecurity
        OR (relkind = 'r' AND relreplident <> 'd'))""",
    "a sequence not owned by an identity column": """
        SELECT count(*) FROM pg_class s WHERE s.relnamespace = %(ns)s::regnamespace AND s.relkind = 'S'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
                        AND d.deptype = 'i')""",
    "a column with its own storage, compression, statistics or options": """
        SELECT count(*) FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
        WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind = 'r' AND a.attnum > 0
        AND NOT a.attisdropped
        AND (a.attstorage <> t.typstorage OR a.attcompression <> '' OR a.attoptions IS NOT NULL
             OR coalesce(a.attstattarget, -1) <> -1)""",
    "a trigger other than a foreign key's": """
        SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
        WHERE c.relnamespace = %(ns)s::regnamespace AND NOT g.tgisinternal""",
    "a constraint not valid, or of a kind not rendered": """
        SELECT count(*) FROM pg_constraint WHERE connamespace = %(ns)s::regnamespace
        AND (NOT convalidated OR contype NOT IN ('p', 'u', 'c', 'f', 'x', 'n'))""",
    "a clustered or invalid index": """
        SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = %(ns)s::regnamespace AND (i.indisclustered OR NOT i.indisvalid)""",
    "a comment": """
        SELECT count(*) FROM pg_description d
        JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
        WHERE c.relnamespace = %(ns)s::regnamespace""",
    "a function, type, collation, operator, text search object or extended statistics of its own": """
        SELECT (SELECT count(*) FROM pg_proc WHERE pronamespace = %(ns)s::regnamespace)
             + (SELECT count(*) FROM pg_type t WHERE typnamespace = %(ns)s::regnamespace AND typrelid = 0
                AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0))
             + (SELECT count(*) FROM pg_collation WHERE collnamespace = %(ns)s::regnamespace)
             + (SELECT count(*) FROM pg_operator WHERE oprnamespace = %(ns)s::regnamespace)
             + (SELECT count(*) FROM pg_ts_config WHERE cfgnamespace = %(ns)s::regnamespace)
             + (SELECT count(*) FROM pg_statistic_ext WHERE stxnamespace = %(ns)s::regnamespace)
             + (SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
                WHERE c.relnamespace = %(ns)s::regnamespace)""",
}

COLUMNS = """
SELECT quote_ident(c.relname), quote_ident(a.attname), a.attgenerated <> '',
       quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attcollation <> t.typcollation
               THEN ' COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname) ELSE '' END
       || CASE a.attidentity WHEN '' THEN ''
               ELSE ' GENERATED ' || CASE a.attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END
                    || ' AS IDENTITY (SEQUENCE NAME '
                    || quote_ident(sn.nspname) || '.' || quote_ident(s.relname)
                    || ' START WITH ' || q.seqstart || ' INCREMENT BY ' || q.seqincrement
                    || ' MINVALUE ' || q.seqmin || ' MAXVALUE ' || q.seqmax || ' CACHE ' || q.seqcache
                    || CASE WHEN q.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END || ')' END
       || CASE WHEN a.attgenerated = 's'
               THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
               WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END
       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
LEFT JOIN pg_depend dep ON a.attidentity <> '' AND dep.classid = 'pg_class'::regclass AND dep.refobjid = c.oid
     AND dep.refobjsubid = a.attnum AND dep.deptype = 'i'
LEFT JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
LEFT JOIN pg_namespace sn ON sn.oid = s.relnamespace
LEFT JOIN pg_sequence q ON q.seqrelid = s.oid
WHERE c.relnamespace = %(ns)s::regnamespace AND c.relkind = 'r'
ORDER BY c.relname, a.attnum
"""

# The last column names the table a foreign key references ('' when in another schema): the order to create
# the tables in.
# NOT NULL constraints ('n', PostgreSQL 18) come out as the columns' NOT NULL.
CONSTRAINTS = """
SELECT quote_ident(c.relname), 'CONSTRAINT ' || quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid),
       CASE WHEN k.contype = 'f' AND k.confrelid <> k.conrelid
            THEN CASE WHEN r.relnamespace = c.relnamespace THEN quote_ident(r.relname) ELSE '' END END
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_class r ON r.oid = k.confrelid
WHERE c.relnamespace = %(ns)s::regnamespace AND k.contype <> 'n'
ORDER BY c.relname, k.contype <> 'p', k.conname
"""

INDEXES = """
SELECT pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = %(ns)s::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                  AND k.contype IN ('p', 'u', 'x'))
ORDER BY c.relname
"""

SEQUENCE_VALUES = """
SELECT 'pg_catalog.setval(' || quote_literal(quote_ident(schemaname) || '.' || quote_ident(sequencename))
       || ', ' || last_value || ', true)'
FROM pg_sequences WHERE schemaname = %(name)s AND last_value IS NOT NULL
ORDER BY sequencename
"""


class UnsupportedSchema(Exception):
    """The schema holds a kind of object that the capture does not render."""


@functools.cache
def migration_state() -> str:
    """The key of this code's migration state: a hash of every app's latest migration."""
    text = "\n".join(f"{app}.{name}" for app, name in migration_leaves())
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def capture(schema: str) -> str:
    """The script that makes a schema like `schema` (freshly migrated, before any school data) under the
    name PLACEHOLDER. Raises UnsupportedSchema when the schema holds what the script would not make."""
    if not PLAIN_NAME.match(schema):
        raise UnsupportedSchema(f"{schema!r} is not a plain lowercase name")
    args = {"ns": schema, "name": schema}
    # With nothing on the search path, PostgreSQL qualifies every name it renders, the template's too. Set
    # in this transaction only (a failure's rollback undoes it) and put back after: nothing is left on the
    # server connection, which PgBouncer in transaction pooling hands to others (tenants.postgresql_backend).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        search_path = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('search_path', '', true)")
        for problem, query in UNSUPPORTED.items():
            cursor.execute(query, args)
            if cursor.fetchone()[0]:
                raise UnsupportedSchema(f"{schema} holds {problem}")
        tables, late_foreign_keys, insertable = _tables(cursor, args)
        rows = _rows(cursor, schema, insertable)
        cursor.execute(INDEXES, args)
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(SEQUENCE_VALUES, args)
        setvals = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])
    # Rows after every ALTER TABLE: a row under a deferred foreign key leaves a trigger event pending,
    # which forbids altering its table until commit.
    statements = [f"CREATE SCHEMA {PLACEHOLDER}", *tables, *indexes, *late_foreign_keys, *rows]
    if setvals:
        statements.append("SELECT " + ", ".join(setvals))
    text = ";\n".join(statements) + ";\n"
    return re.sub(rf"(?<![\w\"$.@]){schema}\.", PLACEHOLDER + ".", text)


def _tables(cursor, args: dict) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """CREATE TABLE statements, each table after the tables its foreign keys reference (ties by name);
    the foreign keys to be added at the end; each table's columns that take values."""
    columns, insertable, inline, references = {}, {}, {}, {}
    cursor.execute(COLUMNS, args)
    for table, name, generated, definition in cursor.fetchall():
        columns.setdefault(table, []).append(definition)
        insertable.setdefault(table, [])
        if not generated:
            insertable[table].append(name)
        inline.setdefault(table, [])
        references.setdefault(table, [])
    cursor.execute(CONSTRAINTS, args)
    for table, definition, target in cursor.fetchall():
        if target is None:
            inline[table].append(definition)
        else:
            references[table].append((target, definition))
    statements, late, created = [], [], set()
    pending = sorted(columns)
    while pending:
        ready = [table for table in pending if all(t in created for t, _ in references[table] if t)]
        table = ready[0] if ready else pending[0]  # none ready: a cycle, broken at the first name
        for target, definition in references[table]:
            # A foreign key to a public table (accounts_user) locks that table against every write to it
            # (a sign-in's last_login) until commit: added last, the lock is held for a moment only.
            if target in created:
                inline[table].append(definition)
            else:
                late.append(f"ALTER TABLE {PLACEHOLDER}.{table} ADD {definition}")
        body = ",\n  ".join([*columns[table], *inline[table]])
        statements.append(f"CREATE TABLE {PLACEHOLDER}.{table} (\n  {body}\n)")
        created.add(table)
        pending.remove(table)
    return statements, late, insertable


def _rows(cursor, schema: str, insertable: dict[str, list[str]]) -> list[str]:
    """One INSERT per table that holds rows (the migrations' own), its rows carried as JSON."""
    tables = sorted(insertable)
    cursor.execute(
        " UNION ALL ".join(f"SELECT %s WHERE EXISTS (SELECT 1 FROM {schema}.{table})" for table in tables),
        tables,
    )
    statements = []
    for (table,) in cursor.fetchall():
        names = ", ".join(insertable[table])
        cursor.execute(f"SELECT quote_literal(json_agg(r ORDER BY r.ctid)::text) FROM {schema}.{table} AS r")
        rows = cursor.fetchone()[0]
        statements.append(
            f"INSERT INTO {PLACEHOLDER}.{table} ({names}) OVERRIDING SYSTEM VALUE SELECT {names} "
            f"FROM json_populate_recordset(NULL::{PLACEHOLDER}.{table}, {rows})"
        )
    return statements


def replay(schema: str, script: str) -> None:
    """Make `schema` from a captured script, in the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(script.replace(PLACEHOLDER, connection.ops.quote_name(schema)))
