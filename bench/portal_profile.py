"""Where a parent page's CPU goes: bench/portal.py's school and parents, each page opened in this process
(Django's test client through the whole middleware stack, no network) while a CPU-time timer (SIGPROF,
every `--interval` ms of this process's CPU) samples the stack. A sample is put in the category of its
innermost frame that has one (SQL building inside a template's loop counts as SQL building), so the
categories add up to 100 % without counting anything twice; waiting for PostgreSQL or Redis costs no CPU
and is not sampled. Printed: one table, the pages as columns, each category's share and milliseconds a page;
with --top N, the N lines of the project's own code under which most samples fell, per page.

    .venv/bin/python bench/portal_profile.py [--requests 1000] [--students 450] [--notices 100] [--top 0]
"""

import argparse
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

# (category, path fragments), the first match of a frame's file wins; the innermost frame with a category
# decides the sample's.
CATEGORIES = [
    ("database driver (psycopg)", ("/psycopg/", "/psycopg_pool/", "/django/db/backends/")),
    ("cache and Redis (pickle included)", ("/django/core/cache/", "/redis/", "/schoolbook/caching.py")),
    ("sessions and auth", ("/django/contrib/sessions/", "/django/contrib/auth/", "/accounts/backends.py")),
    ("i18n and formats", ("/django/utils/translation/", "/gettext.py", "/django/utils/formats.py")),
    ("templates", ("/django/template/", "/templatetags/", "/django/forms/")),
    ("ORM: building SQL, making rows", ("/django/db/",)),
    ("URLs (resolve, reverse)", ("/django/urls/", "/tenants/routing.py")),
    (
        "middleware",
        (
            "/django/middleware/",
            "/whitenoise/",
            "/django/contrib/messages/",
            "/schoolbook/access.py",
            "/tenants/middleware.py",
            "/schoolbook/audit/context.py",
            "/schoolbook/logs.py",
            "/schoolbook/metrics.py",
            "/schoolbook/uploads.py",
            "/schoolbook/i18n.py",
            "/prometheus_client/",
        ),
    ),
    ("request and response (Django's handler, HTTP)", ("/django/core/handlers/", "/django/http/")),
    ("logging", ("/logging/",)),
]
OTHER = "other (Python, libraries, the test client)"
PROJECT = str(_setup.ROOT) + "/"
OURS = "the project's views and selectors"


def _ours(path: str) -> bool:
    return path.startswith(PROJECT) and "/site-packages/" not in path and "/bench/" not in path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per page")
    parser.add_argument("--students", type=int, default=450)
    parser.add_argument("--notices", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.2, help="ms of CPU between two samples")
    parser.add_argument("--top", type=int, default=0, help="the project's lines with the most samples")
    args = parser.parse_args()

    _setup.setup()
    import portal  # after Django's apps (it puts bench/ first on the path: bench/attendance.py is no app)

    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    try:
        _, parents = portal._seed(actor, args.students, args.notices, 1)
        pages = _profile(parents[0], args.requests, args.interval / 1000)
    finally:
        dropped = _setup.drop_bench_schools()

    names = list(pages)
    print(f"\nParent pages profiled in one process, {args.requests} requests a page, {_setup.machine()}")
    print(f"{args.students} students, {args.notices} notices; a sample every {args.interval:g} ms of CPU\n")
    print("| category | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    categories = [name for name, _ in CATEGORIES] + [OURS, OTHER]
    for category in categories:
        cells = []
        for name in names:
            samples, milliseconds = pages[name]["categories"], pages[name]["ms"]
            share = samples[category] / max(1, samples.total())
            cells.append(f"{share * 100:.0f} % ({share * milliseconds:.2f})")
        print(f"| {category} | " + " | ".join(cells) + " |")
    print("| **CPU ms a page (this process)** | " + " | ".join(f"{pages[n]['ms']:.2f}" for n in names) + " |")
    for name in names if args.top else []:
        print(f"\n{name}: the project's lines under which most samples fell")
        total = max(1, pages[name]["categories"].total())
        for line, count in pages[name]["lines"].most_common(args.top):
            print(f"  {count / total * 100:5.1f} %  {line}")
    print(f"\n{dropped} bench schools dropped.")
    return 0


def _category(frame) -> tuple[str, str | None]:
    """The sample's category and the innermost line of the project's own code on the stack."""
    category, line = None, None
    while frame is not None and (category is None or line is None):
        path = frame.f_code.co_filename
        ours = _ours(path)
        if category is None:
            category = next((name for name, parts in CATEGORIES if any(p in path for p in parts)), None)
            category = category or (OURS if ours else None)
        if line is None and ours:
            line = f"{path[len(PROJECT) :]}:{frame.f_lineno} {frame.f_code.co_name}"
        frame = frame.f_back
    return category or OTHER, line


def _profile(parent: dict, requests: int, interval: float) -> dict:
    import portal
    from django.test import Client

    client = Client()
    answer = client.post("/login/", {"phone": parent["phone"], "password": portal.PASSWORD})
    assert answer.status_code == 302, f"sign-in answered {answer.status_code}"
    urls = {}
    for name, url, _ in parent["pages"]:
        urls.setdefault(name, url or parent["notices"][0])
    results = {}
    for name, url in urls.items():
        for _ in range(5):  # templates compiled, caches filled, the notice read
            client.get(url)
        categories, lines = Counter(), Counter()

        def sample(signum, frame, categories=categories, lines=lines):
            category, line = _category(frame)
            categories[category] += 1
            if line:
                lines[line] += 1

        signal.signal(signal.SIGPROF, sample)
        started = time.process_time()
        signal.setitimer(signal.ITIMER_PROF, interval, interval)
        for _ in range(requests):
            answer = client.get(url)
            assert answer.status_code == 200, f"{name}: {answer.status_code}"
        signal.setitimer(signal.ITIMER_PROF, 0)
        elapsed = time.process_time() - started
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
        results[name] = {"categories": categories, "lines": lines, "ms": elapsed * 1000 / requests}
    return results


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbook.settings")
    raise SystemExit(main())
