"""The embedded PostgreSQL that `make run` and `make test` start runs with the settings the project gives
it (schoolbook.devstack.EMBEDDED_SETTINGS), applied at its first start without a second start by hand."""

import os

import pytest
from django.db import connection

from schoolbook.devstack import EMBEDDED_SETTINGS, data_dir

embedded = str(data_dir() / "pg") in os.environ["DATABASE_URL"]


@pytest.mark.skipif(not embedded, reason="DATABASE_URL names an external server, configured by its operator")
def test_the_embedded_server_runs_with_minimal_wal(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(EMBEDDED_SETTINGS)]
        )
        assert (
            dict(cursor.fetchall()) == EMBEDDED_SETTINGS == {"max_wal_senders": "0", "wal_level": "minimal"}
        )
