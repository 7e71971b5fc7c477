import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django_tenants.utils import schema_context

from accounts.models import User
from schoolbook.ratelimit import redis_client
from students.models import Role
from students.services import staff_add
from tenants.models import School
from tenants.services import school_onboard

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
TEST_PASSWORD = "Sổ-liên-lạc-2026"


@dataclass
class World:
    """Two schools and the people every permission test uses."""

    school_a: School
    school_b: School
    platform_admin: User
    admin_a: User
    principal_a: User
    teacher_a: User
    staff_b: User  # the outsider: has a role in school B only


def _onboard(code, name, admin_phone, admin_name, actor):
    return school_onboard(actor=actor, data={
        "code": code, "name": name, "levels": ["lower_secondary"], "province": "Hà Nội",
        "admin_phone": admin_phone, "admin_name": admin_name,
    })  # fmt: skip


def _with_password(user):
    user.set_password(TEST_PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("prepare_database", verbosity=0)
        if not School.objects.filter(code="test-a").exists():
            admin = User.objects.create_user(
                "0900000001", full_name="Quản trị Nền tảng", is_platform_admin=True
            )
            a = _onboard("test-a", "Trường THCS Thử Nghiệm A", "0900000011", "Lê Quản Trị A", admin)
            b = _onboard("test-b", "Trường THCS Thử Nghiệm B", "0900000021", "Phạm Quản Trị B", admin)
            with schema_context(a.schema_name):
                staff_add(
                    actor=admin,
                    school=a,
                    phone="0900000012",
                    full_name="Hoàng Hiệu Trưởng",
                    roles=[Role.PRINCIPAL],
                )
                staff_add(
                    actor=admin, school=a, phone="0900000013", full_name="Vũ Giáo Viên", roles=[Role.TEACHER]
                )
            with schema_context(b.schema_name):
                staff_add(
                    actor=admin,
                    school=b,
                    phone="0900000022",
                    full_name="Đỗ Người Ngoài",
                    roles=[Role.TEACHER],
                )
            for user in User.objects.all():
                _with_password(user)


@pytest.fixture
def world(db) -> World:
    def user(phone):
        return User.objects.get(phone=phone)

    return World(
        school_a=School.objects.get(code="test-a"),
        school_b=School.objects.get(code="test-b"),
        platform_admin=user("+84900000001"),
        admin_a=user("+84900000011"),
        principal_a=user("+84900000012"),
        teacher_a=user("+84900000013"),
        staff_b=user("+84900000022"),
    )


@pytest.fixture(autouse=True)
def _clean_redis_and_schema():
    """Rate limits and cached lookups never leak from one test to the next (the broker is another db)."""
    redis_client().flushdb()
    yield
    connection.set_schema_to_public()


# --- processes that need committed data: a real web server and a real Celery worker -------------------


def _test_database_url() -> str:
    db = connections["default"].settings_dict
    host = db["HOST"]
    if host.startswith("/"):
        return f"postgresql://{db['USER']}:@/{db['NAME']}?host={host}"
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    """Our WSGI app in a thread of this process, on loopback. Every request commits (autocommit) and the
    test reads what it wrote, so tests using it create their own uniquely named data."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    with django_db_blocker.unblock():
        server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        server.set_app(StaticFilesHandler(get_wsgi_application()))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup):
    """A real Celery worker process on the test database and the test broker."""
    env = dict(os.environ, DATABASE_URL=_test_database_url())
    log = ARTIFACTS / "celery-worker.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "schoolbook.celery", "worker", "-Q", "urgent,default,bulk",
             "--concurrency", "2", "--loglevel", "INFO", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(predicate, timeout=15.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


OTP_RE = re.compile(r"Schoolbook: (\d{6})")
