"""Writing many rows at once where Django's own bulk helpers are slow."""

from django.db import connection


def bulk_set(model, objects: list, fields: dict[str, str]) -> None:
    """One `UPDATE … FROM unnest(…)` setting `fields` ({column: PostgreSQL type}) of every object from its
    attributes. Django's bulk_update writes a CASE with one branch per row, which PostgreSQL evaluates for
    every row: quadratic, seconds for a few thousand rows; this is linear."""
    if not objects:
        return
    arrays = ", ".join(f"%s::{kind}[]" for kind in ["bigint", *fields.values()])
    assignments = ", ".join(f"{name} = v.{name}" for name in fields)
    sql = (
        f"UPDATE {model._meta.db_table} AS t SET {assignments} "
        f"FROM unnest({arrays}) AS v(id, {', '.join(fields)}) WHERE t.id = v.id"
    )
    values = [[obj.pk for obj in objects]] + [[getattr(obj, name) for obj in objects] for name in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def next_ids(model, count: int) -> list[int]:
    """`count` ids from the table's own sequence in one query, for rows inserted with their ids (and with
    whatever is derived from them, like a payment code) in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def bulk_insert(model, columns: dict[str, tuple[str, list]], *, suffix: str = "") -> list[tuple]:
    """One `INSERT … SELECT * FROM unnest(…)` of columns given as {column: (PostgreSQL type, values)}, all
    lists of one length; `suffix` adds e.g. `ON CONFLICT … DO NOTHING RETURNING id`, whose rows are
    returned. A fraction of bulk_create's time for thousands of rows: no model instances, one statement."""
    arrays = ", ".join(f"%s::{kind}[]" for kind, _ in columns.values())
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) {suffix}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [values for _, values in columns.values()])
        return cursor.fetchall() if cursor.description else []
