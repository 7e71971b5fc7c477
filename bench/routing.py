"""Requests per second of a page that renders 21 `{% url %}` links: plain Django vs. our school routing
vs. django-tenants' stock subfolder middleware, in one process, by calling WSGI handlers directly.

The view, its template and its URLconf are defined here, for the bench only: the URLconf is
`schoolbook.urls_school` plus three bench routes, and it serves as both ROOT_URLCONF and SCHOOL_URLCONF,
so the three variants resolve and reverse through the very same patterns:

- (a) plain: settings.MIDDLEWARE without SchoolRoutingMiddleware and SchoolAccessMiddleware, at
  /bench/links/ (no tenant: the connection stays in `public`);
- (b) ours: settings.MIDDLEWARE as is, at /s/<code>/bench/links/: school lookup (Redis), search_path,
  the school's cached URLconf, then the access check (the user's staff row in that school);
- (b') ours without SchoolAccessMiddleware, for reference: what the routing alone costs;
- (c) stock: settings.MIDDLEWARE with django-tenants' TenantSubfolderMiddleware in place of ours: a
  domain → school query, clear_url_caches() and a fresh URLconf on every request, then the access check.

Every request is authenticated as the school's admin (a real session cookie from Client.force_login, past
the 2FA check: _setup.signed_in_client) and carries the CSRF cookie a browser would have. Rounds alternate
the variants (rotating their order); each round runs one variant for --seconds after a short warm-up. The
cost ratio is the median, over rounds, of (time per request of the variant) / (time per request of plain
Django) in the same round.

    .venv/bin/python bench/routing.py [--rounds 9] [--seconds 1.0]
"""

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

URLCONF = "bench_school_urls"  # a module built here and put in sys.modules
SCHOOL_CODE = f"{_setup.CODE_PREFIX}routing"
ROUTING = "tenants.middleware.SchoolRoutingMiddleware"
ACCESS = "schoolbook.access.SchoolAccessMiddleware"
STOCK = "django_tenants.middleware.subfolder.TenantSubfolderMiddleware"
TARGET_RATIO = 1.3
WARMUP_REQUESTS = 5

LINKS_TEMPLATE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Liên kết</title></head>
<body>
<header><a href="{% url 'school_home' %}">Trang chủ</a> <a href="{% url 'bench_links' %}">Liên kết</a>
<span>{{ user.full_name }}</span></header>
<form method="post" action="{% url 'staff_list' %}">{% csrf_token %}<button>Gửi</button></form>
<ul>{% for i in items %}
<li><a href="{% url 'bench_class' i %}">Lớp {{ i }}</a>
<a href="{% url 'bench_student' class_id=i pk=i %}">Học sinh {{ i }}</a></li>{% endfor %}
</ul>
</body></html>
"""
_template = None


def links_view(request, **kwargs):
    from django.http import HttpResponse
    from django.template import engines

    global _template
    if _template is None:
        _template = engines["django"].from_string(LINKS_TEMPLATE)
    return HttpResponse(_template.render({"items": range(1, 10)}, request))


def install_urlconf() -> None:
    from django.urls import include, path

    module = ModuleType(URLCONF)
    module.urlpatterns = [
        path("bench/links/", links_view, name="bench_links"),
        path("bench/classes/<int:pk>/", links_view, name="bench_class"),
        path("bench/classes/<int:class_id>/students/<int:pk>/", links_view, name="bench_student"),
        path("", include("schoolbook.urls_school")),
    ]
    sys.modules[URLCONF] = module


class Caller:
    """Calls one WSGI handler with a browser-like GET environ."""

    def __init__(self, handler, path: str, cookie: str):
        self.handler = handler
        self.environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "testserver",
            "HTTP_ACCEPT": "text/html",
            "HTTP_ACCEPT_LANGUAGE": "vi",
            "HTTP_COOKIE": cookie,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        self.status = ""
        self.headers: list[tuple[str, str]] = []

    def _start_response(self, status, headers, exc_info=None):
        self.status, self.headers = status, headers

    def cookie_set(self, name: str) -> str | None:
        for header, value in self.headers:
            morsel = value.strip().split(";", 1)[0]
            if header.lower() == "set-cookie" and morsel.startswith(f"{name}="):
                return morsel.split("=", 1)[1]
        return None

    def __call__(self) -> bytes:
        environ = dict(self.environ)
        environ["wsgi.input"] = io.BytesIO(b"")
        response = self.handler(environ, self._start_response)
        try:
            return b"".join(response)
        finally:
            response.close()  # request_finished, as a WSGI server would do


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=1.0, help="per variant and round")
    args = parser.parse_args()

    _setup.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import override_settings

    from accounts.models import User
    from schoolbook.onboarding import school_onboard

    _setup.drop_bench_schools()
    install_urlconf()
    urls = override_settings(ROOT_URLCONF=URLCONF, SCHOOL_URLCONF=URLCONF)
    urls.enable()
    try:
        actor = _setup.bench_admin()
        admin_phone = _setup.bench_phone(300000)
        school_onboard(
            actor=actor,
            data={
                "code": SCHOOL_CODE,
                "name": "Trường Đo Định Tuyến",
                "levels": ["lower_secondary"],
                "province": "Hà Nội",
                "admin_name": "Quản Trị Đo Định Tuyến",
                "admin_phone": admin_phone,
            },
        )
        connection.set_schema_to_public()
        admin = User.objects.get(phone="+84" + admin_phone[1:])
        client = _setup.signed_in_client(admin)
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

        middleware = list(settings.MIDDLEWARE)
        school_path = f"/{settings.TENANT_SUBFOLDER_PREFIX}/{SCHOOL_CODE}/bench/links/"
        variants = {
            "(a) plain Django, no tenant middleware": (
                [name for name in middleware if name not in (ROUTING, ACCESS)],
                "/bench/links/",
                "",
            ),
            "(b) ours: SchoolRoutingMiddleware + access check": (
                middleware,
                school_path,
                f"/{settings.TENANT_SUBFOLDER_PREFIX}/{SCHOOL_CODE}",
            ),
            "(b') ours without the access check (routing only, reference)": (
                [name for name in middleware if name != ACCESS],
                school_path,
                f"/{settings.TENANT_SUBFOLDER_PREFIX}/{SCHOOL_CODE}",
            ),
            "(c) stock TenantSubfolderMiddleware + access check": (
                [STOCK if name == ROUTING else name for name in middleware],
                school_path,
                f"/{settings.TENANT_SUBFOLDER_PREFIX}/{SCHOOL_CODE}",
            ),
        }
        callers = {}
        for label, (stack, path, _) in variants.items():
            with override_settings(MIDDLEWARE=stack):
                callers[label] = Caller(WSGIHandler(), path, cookie)
        # The CSRF cookie the first page sets; a browser sends it back from then on.
        first = next(iter(callers.values()))
        first()
        csrf = first.cookie_set(settings.CSRF_COOKIE_NAME)
        if csrf is None:
            raise SystemExit(f"the page set no CSRF cookie: {first.status} {first.headers}")
        cookie = f"{cookie}; {settings.CSRF_COOKIE_NAME}={csrf}"
        for label, caller in callers.items():
            caller.environ["HTTP_COOKIE"] = cookie
            text = caller().decode()
            expected = f'href="{variants[label][2]}/bench/classes/9/students/9/"'
            if (
                not caller.status.startswith("200")
                or expected not in text
                or admin.full_name not in text
                or text.count('href="') + text.count('action="') != 21
                or caller.cookie_set(settings.CSRF_COOKIE_NAME) != csrf  # the same secret, renewed
            ):
                raise SystemExit(f"{label}: unexpected answer {caller.status}:\n{text}")

        labels = list(callers)
        seconds_per_request: dict[str, list[float]] = {label: [] for label in labels}
        started = time.perf_counter()
        for round_number in range(args.rounds):
            shift = round_number % len(labels)
            for label in labels[shift:] + labels[:shift]:
                caller = callers[label]
                if label == labels[0]:
                    connection.set_schema_to_public()  # plain Django never leaves `public`
                for _ in range(WARMUP_REQUESTS):
                    caller()
                count = 0
                start = time.perf_counter()
                deadline = start + args.seconds
                while True:
                    caller()
                    count += 1
                    now = time.perf_counter()
                    if now >= deadline:
                        break
                if not caller.status.startswith("200"):
                    raise SystemExit(f"{label}: answered {caller.status}")
                seconds_per_request[label].append((now - start) / count)
        elapsed = time.perf_counter() - started
    finally:
        urls.disable()
        _setup.drop_bench_schools()

    plain = seconds_per_request[labels[0]]
    lines = [
        "| Variant (page with 21 `{% url %}`, staff session) | median req/s | median ms/req "
        "| cost vs plain (median of per-round ratios) |",
        "|---|---:|---:|---:|",
    ]
    ratios = {}
    for label in labels:
        values = seconds_per_request[label]
        ratios[label] = statistics.median(value / base for value, base in zip(values, plain, strict=True))
        lines.append(
            f"| {label} | {statistics.median(1 / value for value in values):.0f} | "
            f"{statistics.median(values) * 1000:.2f} | {ratios[label]:.2f}× |"
        )
    ours = ratios[labels[1]]
    lines.append(
        f"| target: (b) ≤ {TARGET_RATIO}× plain | | | {'met' if ours <= TARGET_RATIO else 'NOT met'} "
        f"({ours:.2f}×) |"
    )
    print("\n".join(lines))
    print(
        f"\n{args.rounds} rounds × {len(labels)} variants × {args.seconds:g} s (order rotated each round), "
        f"{elapsed:.0f} s; one process, WSGI handlers called directly."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
