import contextlib
import datetime
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from celery.signals import before_task_publish
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from messaging.models import DEFAULT_CHANNEL_ORDER, Delivery, Message, MessagingSettings
from schoolbook.caching import forget_local
from schoolbook.devstack import WORKER_QUEUES, free_port
from schoolbook.onboarding import school_onboard
from schoolbook.phones import PhoneError, normalize_phone
from schoolbook.ratelimit import redis_client
from students.services import staff_add
from tenants.models import School

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
    parent: User  # guardian (with a login) of WORLD_CHILD_A in school A: a parent of some other child
    outsider_parent: User  # guardian (with a login) of WORLD_CHILD_B in school B only


# The session world's children: each has one guardian with a login (World.parent, World.outsider_parent), no
# class and no other data, so that tests building their own classes and children keep their own counts.
WORLD_CHILD_A = ("W-PH-A", "Đinh Con Thế Giới A", "0900000014", "Đinh Phụ Huynh A")
WORLD_CHILD_B = ("W-PH-B", "Đinh Con Thế Giới B", "0900000024", "Đinh Phụ Huynh B")


def _onboard(code, name, admin_phone, admin_name, actor):
    return school_onboard(actor=actor, data={
        "code": code, "name": name, "levels": ["lower_secondary"], "province": "Hà Nội",
        "admin_phone": admin_phone, "admin_name": admin_name,
    })  # fmt: skip


def with_password(user):
    """`user` with the tests' password, saved: browser tests sign in through the real form."""
    user.set_password(TEST_PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """Always the test database, whichever tests were selected: pytest-django's own fixture sets one up only
    when a selected test uses `db`, and tests that reach the database only through the live server or the
    worker would otherwise run on the development database."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set()
        )
        assert connection.settings_dict["NAME"].startswith("test_"), "tests must never touch a real database"
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # no task left over from an earlier run
        call_command("prepare_database", verbosity=0)
        _create_world()
    yield
    with django_db_blocker.unblock():
        connections.close_all()
        teardown_databases(config, verbosity=0)


NO_QUIET = datetime.time(0, 0)


def _create_world():
    admin = User.objects.create_user("0900000001", full_name="Quản trị Nền tảng", is_platform_admin=True)
    a = _onboard("test-a", "Trường THCS Thử Nghiệm A", "0900000011", "Lê Quản Trị A", admin)
    b = _onboard("test-b", "Trường THCS Thử Nghiệm B", "0900000021", "Phạm Quản Trị B", admin)
    people = [
        (a, "0900000012", "Hoàng Hiệu Trưởng", Role.PRINCIPAL),
        (a, "0900000013", "Vũ Giáo Viên", Role.TEACHER),
        (b, "0900000022", "Đỗ Người Ngoài", Role.TEACHER),
    ]
    for school, phone, name, role in people:
        with schema_context(school.schema_name):
            staff_add(actor=admin, school=school, phone=phone, full_name=name, roles=[role])
    for school, (code, child_name, phone, name) in ((a, WORLD_CHILD_A), (b, WORLD_CHILD_B)):
        _world_parent(school, code, child_name, phone, name)
    for user in User.objects.all():
        with_password(user)
    # No quiet hours, so no test depends on the hour it runs at; the quiet-hour tests set their own.
    for schema in ("public", a.schema_name, b.schema_name):
        with schema_context(schema):
            MessagingSettings.objects.create(
                channel_order=list(DEFAULT_CHANNEL_ORDER),
                quiet_hours_start=NO_QUIET,
                quiet_hours_end=NO_QUIET,
            )


def _world_parent(school, code, child_name, phone, name):
    """A parent who can sign in to `school`: a user, a guardian row with that user, and a child of theirs."""
    from students.models import Guardian, Student, StudentGuardian
    from tenants.services import affiliation_add

    # Signed in before, like a parent using the app ("invite those who never signed in" leaves them out).
    user = User.objects.create_user(phone, full_name=name, last_login=timezone.now())
    affiliation_add(user=user, school=school, is_guardian=True)
    with schema_context(school.schema_name):
        child = Student.objects.create(
            student_code=code, full_name=child_name, date_of_birth="2014-01-01", gender="female"
        )
        guardian = Guardian.objects.create(full_name=name, phone=user.phone, user=user)
        StudentGuardian.objects.create(
            student=child, guardian=guardian, relationship="mother", is_primary_contact=True
        )


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
        parent=user("+84900000014"),
        outsider_parent=user("+84900000024"),
    )


@pytest.fixture
def parent(world) -> User:
    """A parent in school A (guardian of the world's child there, not of any child a test builds)."""
    return world.parent


@pytest.fixture
def outsider_parent(world) -> User:
    """A parent in school B only: for school A, an outsider."""
    return world.outsider_parent


@pytest.fixture
def school(world):
    """Inside school A's schema, with classes 6A1 and 6A2 in the current year."""
    from django_tenants.utils import schema_context

    from students.models import GradeLevel, SchoolClass, SchoolYear

    with schema_context(world.school_a.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        grade = GradeLevel.objects.get(number=6)
        for name in ("6A1", "6A2"):
            SchoolClass.objects.create(name=name, grade=grade, year=year)
        yield world


def assert_refused(client, user, requests) -> None:
    """Each (path, data) of `requests`, by GET and by POST, is refused to `user`: 404 when signed in, the
    login page when `user` is None (the client signed out)."""
    for path, data in requests:
        for response in (client.get(path), client.post(path, data)):
            if user is None:
                assert response.status_code == 302 and response["Location"].startswith("/login/"), path
            else:
                assert response.status_code == 404, path


def signed_in(user) -> Client:
    """A test client with `user` signed in."""
    client = Client()
    client.force_login(user)
    return client


def sign_in(page, phone: str) -> None:
    """Log in through the real login form (browser tests)."""
    page.goto("/login/")
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def without_tokens(response) -> str:
    """The page's HTML without its CSRF tokens: 64 random letters and digits, which may spell anything a
    test looks for ("6A2", a name's digits)."""
    return re.sub(r'(csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"', "", response.content.decode())


def confirm_token(response) -> str:
    """The confirmation token a preview page carries (schoolbook.confirm), to post it back as a person would
    after reading the preview; fails when the response is not a preview."""
    found = re.search(r'name="confirm" value="([0-9a-f]+)"', response.content.decode())
    assert found, "no confirmation form in the response"
    return found.group(1)


@pytest.fixture
def published():
    """(task name, delivery ids or None, schema header, routing key) of every task published meanwhile."""
    sent = []

    def record(sender=None, body=None, headers=None, routing_key=None, **kwargs):
        args = body[0]
        sent.append((sender, args[0] if args else None, (headers or {}).get("_schema_name"), routing_key))

    before_task_publish.connect(record, weak=False)
    yield sent
    before_task_publish.disconnect(record)


@pytest.fixture(autouse=True)
def _staff_2fa_off(settings):
    """The whole suite logs managers in with force_login and no authenticator app; staff 2FA is off here.
    tests/accounts/test_two_factor.py turns it on and tests the enforcement."""
    settings.STAFF_2FA_REQUIRED = False


@pytest.fixture(autouse=True)
def _clean_redis_and_schema():
    """Rate limits and cached lookups never leak from one test to the next (the broker is another db)."""
    redis_client().flushdb()
    forget_local()
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


def worker_start(log: Path, *args: str, **env: str) -> subprocess.Popen:
    """A real Celery worker process on the test database and the test broker, returned once it consumes.
    `args` add to its command line (a node name), `env` to its environment (gateway URLs, messaging
    settings). In its own process group, so that a test can kill it with its pool as a crash would."""
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "schoolbook.celery", "worker", "-Q", WORKER_QUEUES,
             "--concurrency", "2", "--loglevel", "INFO", "--without-mingle", "--without-gossip", *args],
            cwd=ROOT, env=dict(os.environ, DATABASE_URL=_test_database_url()) | env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while "ready." not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            worker_kill(process)
            raise RuntimeError(f"Celery worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return process


def worker_kill(process: subprocess.Popen) -> None:
    """SIGKILL to the worker and its pool, as when its machine dies: nothing is acknowledged or recorded."""
    with contextlib.suppress(ProcessLookupError):  # already gone, pool included
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def worker_stop(process: subprocess.Popen) -> None:
    """Warm shutdown (finish the tasks at hand), killing the group if that takes too long."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker_kill(process)


@contextlib.contextmanager
def other_workers_paused(prefix: str):
    """The running workers whose node names do not start with `prefix` (the session's `celery_worker`)
    stop consuming meanwhile, so that no task of a test's own workers reaches one configured otherwise."""
    from schoolbook.celery import app

    paused = [
        name for reply in app.control.ping(timeout=1.0) for name in reply if not name.startswith(prefix)
    ]

    def consume(on: bool) -> None:
        control = app.control.add_consumer if on else app.control.cancel_consumer
        for queue in WORKER_QUEUES.split(","):
            control(queue, destination=paused, reply=True, timeout=5.0)

    if not paused:  # an empty destination would mean every worker
        yield
        return
    consume(on=False)
    queues = app.control.inspect(destination=paused, timeout=1.0).active_queues() or {}
    assert set(queues) == set(paused) and not any(queues.values()), "the session's worker still consumes"
    try:
        yield
    finally:
        consume(on=True)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup):
    """A real Celery worker process on the test database and the test broker. Its pool's Prometheus metrics
    are at `celery_worker.metrics_url` (schoolbook.metrics)."""
    port = free_port()
    process = worker_start(ARTIFACTS / "celery-worker.log", WORKER_METRICS_PORT=str(port))
    process.metrics_url = f"http://127.0.0.1:{port}/metrics"
    yield process
    worker_stop(process)


def wait_for(predicate, timeout=15.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def sent_by_the_worker(django_db_blocker, recipient: str, body: str) -> None:
    """A committed SMS of school A that the session's `celery_worker` sends; waits for it, then removes it."""
    from messaging.outbox.services import message_send

    with django_db_blocker.unblock(), schema_context("school_test_a"):
        with transaction.atomic():
            message = message_send(purpose="test", recipient=recipient, body=body)
        try:
            wait_for(lambda: Delivery.objects.filter(message=message, status="sent").exists(), timeout=30)
        finally:
            Message.objects.filter(pk=message.pk).delete()


OTP_RE = re.compile(r"Schoolbook: (\d{6})")


def unused_mobile(django_db_blocker) -> str:
    """A valid, not yet registered Vietnamese mobile number, national form ("09xxxxxxxx")."""
    with django_db_blocker.unblock():
        while True:
            national = "09" + "".join(random.choices("0123456789", k=8))
            try:
                phone = normalize_phone(national)
            except PhoneError:
                continue
            if phone.is_mobile and not User.objects.filter(phone=phone.e164).exists():
                return national


def sent_code(django_db_blocker, e164: str) -> str:
    """The 6-digit code from the latest login SMS the Celery worker has sent to this number."""

    def sent_body():
        with django_db_blocker.unblock(), schema_context("public"):
            message = (
                Message.objects.filter(recipient=e164, purpose="otp", deliveries__status=Delivery.Status.SENT)
                .order_by("-pk")
                .first()
            )
            return message and message.body

    return OTP_RE.search(wait_for(sent_body, timeout=30)).group(1)


@pytest.fixture
def sent_to(django_db_blocker):
    """Phone numbers (E.164) a test has codes sent to; their committed messages are removed afterwards, so
    tests that count the login messages of the shared public schema start from none."""
    recipients = []
    yield recipients

    with django_db_blocker.unblock(), schema_context("public"):
        Message.objects.filter(recipient__in=recipients).delete()


# --- a real browser: Debian's chromium driven by Playwright (never `playwright install`) ---------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session; each test opens its own contexts (fresh cookies). A missing
    chromium is a failure, not a skip: CI installs it (apt-get install chromium).

    Playwright's sync API marks its asyncio loop as running in this thread between calls, by design, and
    Django's async-safety guard cannot tell that from an async view: every ORM call in the test process
    (this test's reads, later tests' fixtures) would raise SynchronousOnlyOperation while the browser is
    alive. Schoolbook has no async code, so the guard is switched off for as long as the browser lives."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"Browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)", False)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # While that loop counts as running, asgiref gives this thread a second set of Django connections
        # (context-local instead of thread-local). Close them now: after Playwright stops they can no
        # longer be reached, and an open one keeps the test database from being dropped.
        connections.close_all()


def paste_from_excel(page, selector, text):
    """A paste event as Excel's copy produces it (rows by newline, cells by tab) on the element at
    `selector`. Synthetic: headless chromium has no system clipboard."""
    page.evaluate(
        """([selector, text]) => {
            const cell = document.querySelector(selector);
            cell.focus();
            const data = new DataTransfer();
            data.setData("text/plain", text);
            const init = {clipboardData: data, bubbles: true, cancelable: true};
            cell.dispatchEvent(new ClipboardEvent("paste", init));
        }""",
        [selector, text],
    )
