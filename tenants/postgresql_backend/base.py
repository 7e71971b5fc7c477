"""django-tenants' PostgreSQL backend with the school's schema set per transaction, so that the web and
the workers can reach PostgreSQL through PgBouncer in transaction pooling (DATABASE_POOLING=transaction).

django-tenants selects a school with a session-level `SET search_path`, once per switch of school. Behind a
pooler in transaction mode each transaction may run on a different server connection, and a session-level
setting stays with the server connection: the next transaction would run with whatever search_path another
client left there and read or write another school's tables. PgBouncer cannot carry it for us: its
`track_extra_parameters` admits only parameters the server reports to the client, and PostgreSQL 16 does not
report search_path (pgbouncer.org/config.html, "track_extra_parameters").

Here the search path is a property of each transaction: its first statement is preceded by
`set_config('search_path', …, true)` (SET LOCAL, gone at COMMIT or ROLLBACK, so nothing is left on the server
connection for the next client), again whenever the school changes inside it, and a statement run in
autocommit mode is sent with it in one simple query, which PostgreSQL runs as one implicit transaction.
Server-side cursors cannot live in transaction pooling: settings turn them off (DISABLE_SERVER_SIDE_CURSORS)
with this backend.
"""

import contextlib

from django.db.backends.postgresql.base import Cursor
from django.db.backends.postgresql.introspection import DatabaseIntrospection
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.utils import quote_schema_name
from psycopg import pq

SET_PATH = "SELECT set_config('search_path', %s, true)"


class TransactionPathCursor(Cursor):
    """Django's psycopg cursor (client-side binding) that sets its connection's school in each transaction.

    The path goes in the same simple query as the statement when it can (one round trip: in autocommit
    the two form one implicit transaction), in a statement of its own otherwise (executemany, COPY)."""

    wrapper: "DatabaseWrapper | None" = None  # the Django connection that made it (create_cursor)

    def _path_to_set(self) -> str | None:
        if self.wrapper is None:  # psycopg's own, e.g. the health check's SELECT 1: no table, no school
            return None
        path = self.wrapper.search_path()
        if self.connection.autocommit:
            return path
        status = self.connection.info.transaction_status
        if status == pq.TransactionStatus.IDLE or (
            status == pq.TransactionStatus.INTRANS and self.wrapper.transaction_path != path
        ):  # the first statement of a transaction, or the school changed inside it
            return path
        return None

    def _path_set(self, path: str) -> None:
        if not self.connection.autocommit:
            self.wrapper.transaction_path = path

    @contextlib.contextmanager
    def _path_apart(self):
        path = self._path_to_set()
        if path is None:
            yield
            return
        if self.connection.autocommit:
            with self.connection.transaction():
                super().execute(SET_PATH, [path])
                yield
            return
        super().execute(SET_PATH, [path])
        self._path_set(path)
        yield

    def execute(self, query, params=None, **kwargs):
        path = self._path_to_set()
        if path is None or not isinstance(query, str) or kwargs:
            with self._path_apart():
                return super().execute(query, params, **kwargs)
        super().execute(f"{self.mogrify(SET_PATH, [path])}; {self.mogrify(query, params)}")
        self.nextset()  # the statement's result, after set_config's
        self._path_set(path)
        return self

    def executemany(self, query, params_seq, **kwargs):
        with self._path_apart():
            return super().executemany(query, params_seq, **kwargs)

    @contextlib.contextmanager
    def copy(self, statement, params=None, **kwargs):
        with self._path_apart(), super().copy(statement, params, **kwargs) as copy:
            yield copy


class SchemaOnlyIntrospection(DatabaseIntrospection):
    """What django-tenants' introspection does (see only the school's own tables, not public's) without its
    session-level `SET search_path`: the school's schema alone becomes the connection's path meanwhile, which
    the cursor sets per transaction like any other."""

    @contextlib.contextmanager
    def _schema_only(self):
        include = self.connection.include_public_schema
        self.connection.include_public_schema = False
        try:
            yield
        finally:
            self.connection.include_public_schema = include

    def get_table_list(self, cursor):
        with self._schema_only():
            return super().get_table_list(cursor)

    def get_table_description(self, cursor, table_name):
        with self._schema_only():
            return super().get_table_description(cursor, table_name)

    def get_sequences(self, cursor, table_name, table_fields=()):
        with self._schema_only():
            return super().get_sequences(cursor, table_name, table_fields)

    def get_constraints(self, cursor, table_name):
        with self._schema_only():
            return super().get_constraints(cursor, table_name)


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args, **kwargs):
        self.transaction_path = None  # what the open transaction's search_path was set to
        super().__init__(*args, **kwargs)
        self.introspection = SchemaOnlyIntrospection(self)

    def get_connection_params(self):
        return {**super().get_connection_params(), "cursor_factory": TransactionPathCursor}

    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        cursor.wrapper = self
        return cursor

    def search_path(self) -> str:
        return ",".join(quote_schema_name(name) for name in self._get_cursor_search_paths())

    def _handle_search_path(self, cursor=None):
        """Never a session-level SET: the cursor sets the path inside each transaction."""

    def _forget_transaction_path(self):
        self.transaction_path = None

    def _commit(self):
        self._forget_transaction_path()
        return super()._commit()

    def _rollback(self):
        self._forget_transaction_path()
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        try:
            return super()._savepoint_rollback(sid)
        finally:  # ROLLBACK TO SAVEPOINT also undoes a set_config made after the savepoint
            self._forget_transaction_path()

    def close(self):
        self._forget_transaction_path()
        super().close()
