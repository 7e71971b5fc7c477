"""Servers the tests (and bench/pooling.py) start next to the test database: PgBouncer, on loopback."""

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

from schoolbook.devstack import free_port


@dataclass
class Pooler:
    """PgBouncer in front of the test database, on 127.0.0.1:`port`."""

    port: int

    def url(self, database: str = "") -> str:
        """For DATABASE_URL: the test database, or `database` ("pgbouncer": its console)."""
        db = connections["default"].settings_dict
        return f"postgresql://{db['USER']}:@127.0.0.1:{self.port}/{database or db['NAME']}"


def pgbouncer_start(directory: Path, *, pool_size: int) -> tuple[subprocess.Popen, Pooler]:
    """Debian's PgBouncer (`make test` installs it) on loopback in transaction pooling, `pool_size` server
    connections for all its clients. It refuses to run as root: then it runs as the owner of the embedded
    PostgreSQL's socket directory (the only user who can reach it), or as nobody for a server on TCP."""
    db = connections["default"].settings_dict
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(binary):
        raise RuntimeError("PgBouncer is missing: `make test` installs Debian's pgbouncer")
    socket_dir = db["HOST"] if db["HOST"].startswith("/") else ""
    server = f"host={db['HOST']}" + (
        "" if socket_dir else f" port={db['PORT'] or 5432} password={db['PASSWORD']}"
    )
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "users.txt").write_text(f'"{db["USER"]}" ""\n')
    (directory / "pgbouncer.ini").write_text(
        f"[databases]\n* = {server}\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"unix_socket_dir =\nauth_type = trust\nauth_file = {directory / 'users.txt'}\n"
        f"admin_users = {db['USER']}\npool_mode = transaction\ndefault_pool_size = {pool_size}\n"
        "max_client_conn = 200\n"
    )
    for path in (directory, *directory.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    user = []
    if os.geteuid() == 0:
        user = ["-u", pwd.getpwuid(os.stat(socket_dir).st_uid).pw_name if socket_dir else "nobody"]
    log = (directory / "pgbouncer.log").open("w")
    process = subprocess.Popen(
        [binary, *user, str(directory / "pgbouncer.ini")], stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while "process up" not in (directory / "pgbouncer.log").read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                f"PgBouncer did not start: {(directory / 'pgbouncer.log').read_text()[-2000:]}"
            )
        time.sleep(0.05)
    return process, Pooler(port)
