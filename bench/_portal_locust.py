"""The load generator of bench/portal.py: locust as a library, run by it in a process of its own (locust's
gevent patches every socket of the process it is imported in, so it never shares the bench's).

    python bench/_portal_locust.py <plan.json>

The plan (written by bench/portal.py) names the server, the parents (phone, their pages), the password, the
think time, the number of parents and how long the steady phase lasts. Every parent signs in through the real
form (GET /login/ for the CSRF token, POST phone and password) as soon as it is spawned: that is the login
phase. When the last one is in, the steady phase starts: each parent opens one of its pages, waits the think
time, and again, for `seconds`. One anonymous visitor opens /login/ every half second from start to end: the
baseline page, which costs the server almost nothing and so shows the queueing alone.

At each phase boundary the CPU time of the server's processes (gunicorn's master and workers, and the
PostgreSQL backends of the bench database) and of this process is read from /proc. Every request is recorded
(phase, page, milliseconds, error); all of it goes to the `out` file of the plan as JSON.
"""

import json
import os
import random
import re
import sys
from pathlib import Path

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant_pacing, events, task
from locust.env import Environment

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _setup

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

plan = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
records: list[tuple[str, str, float, str]] = []  # (phase, page, ms, error or "")
marks: dict[str, dict] = {}  # phase boundary → time and CPU seconds
phase = "login"
all_in = Event()
signed_in = 0
next_parent = 0


@events.request.add_listener
def _record(request_type, name, response_time, exception, context, **kwargs):
    records.append((context.get("phase", phase), name, response_time, repr(exception) if exception else ""))


class Parent(FastHttpUser):
    """A parent: signs in once, then taps through their pages with a think time between two."""

    def wait_time(self):
        return random.uniform(*plan["think"])

    def on_start(self):
        global next_parent, signed_in
        self.parent = plan["parents"][next_parent]
        next_parent += 1
        try:
            self._sign_in()
        finally:
            signed_in += 1
            if signed_in == plan["users"]:
                marks["steady"] = _setup.cpu_snapshot(plan["gunicorn_pid"], plan["database"])
                global phase
                phase = "steady"
                all_in.set()
        all_in.wait()
        gevent.sleep(random.uniform(0, plan["think"][1]))  # not all at the same instant

    def _sign_in(self):
        with self.client.get("/login/", name="sign-in: GET /login/", catch_response=True) as page:
            token = CSRF.search(page.text or "")
            if token is None:
                page.failure("no CSRF token on /login/")
                return
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "phone": self.parent["phone"],
            "password": plan["password"],
        }
        with self.client.post(
            "/login/", data=data, name="sign-in: POST /login/", allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"sign-in answered {answer.status_code}, not a redirect")

    @task
    def page(self):
        name, url = random.choices(self.parent["pages"], weights=[w for _, _, w in self.parent["pages"]])[0][
            :2
        ]
        if name == "notice":
            url = random.choice(self.parent["notices"])
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"answered {answer.status_code}")


class Visitor(FastHttpUser):
    """Someone opening the sign-in page: the baseline (1.2 ms of work: what the page costs is queueing)."""

    fixed_count = 1
    wait_time = constant_pacing(0.5)

    @task
    def login_page(self):
        with self.client.get("/login/", name="/login/ (baseline)", catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"answered {answer.status_code}")


def main() -> int:
    Parent.host = Visitor.host = plan["host"]
    env = Environment(user_classes=[Parent, Visitor], events=events)
    runner = env.create_local_runner()
    marks["start"] = _setup.cpu_snapshot(plan["gunicorn_pid"], plan["database"])
    runner.start(plan["users"] + 1, spawn_rate=plan["spawn_rate"])
    timed_out = not all_in.wait(timeout=plan["login_timeout"])
    if not timed_out:
        gevent.sleep(plan["seconds"])
    global phase
    phase = "after"  # requests still in flight belong to no phase
    marks["end"] = _setup.cpu_snapshot(plan["gunicorn_pid"], plan["database"])
    runner.quit()
    Path(plan["out"]).write_text(json.dumps({"records": records, "marks": marks, "timed_out": timed_out}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
