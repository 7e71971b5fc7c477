"""What PgBouncer in transaction pooling costs a request: the same statements directly against PostgreSQL,
through PgBouncer with django-tenants' backend (its session-level SET, which transaction pooling makes
unsafe: the pooler's own cost), and through PgBouncer with `tenants.postgresql_backend` (the school set in
each transaction: what DATABASE_POOLING=transaction runs).

Each connection is a Django connection of that backend in a bench school's schema; one round is a page's
worth of reads: --reads autocommit SELECTs of a school table by primary key, then one transaction with the
same reads and an UPDATE. PgBouncer (Debian's, as `make test` installs it) runs on loopback with two server
connections. The three ways alternate round by round so that they see the same machine; medians.

    .venv/bin/python bench/pooling.py [--rounds 300] [--reads 10]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _setup

WAYS = {
    "direct, django-tenants": ("django_tenants.postgresql_backend.base.DatabaseWrapper", False),
    "PgBouncer, django-tenants (unsafe)": ("django_tenants.postgresql_backend.base.DatabaseWrapper", True),
    "PgBouncer, per transaction": ("tenants.postgresql_backend.base.DatabaseWrapper", True),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--reads", type=int, default=10, help="autocommit reads per round")
    args = parser.parse_args()

    _setup.setup()
    from django.db import connection, connections
    from django.utils.module_loading import import_string
    from django_tenants.utils import schema_context

    from schoolbook.onboarding import school_onboard
    from students.models import Subject
    from tests.servers import pgbouncer_start

    _setup.drop_bench_schools()
    school = school_onboard(actor=_setup.bench_admin(), data={
        "code": f"{_setup.CODE_PREFIX}pooling", "name": "Trường THCS Đo Kết Nối",
        "levels": ["lower_secondary"], "province": "Hà Nội", "admin_name": "Quản Trị Đo",
        "admin_phone": _setup.bench_phone(600_000),
    })  # fmt: skip
    with schema_context(school.schema_name):
        subject_id = Subject.objects.values_list("pk", flat=True).first()
    table = Subject._meta.db_table
    directory = Path(tempfile.mkdtemp(prefix="bench-pgbouncer-"))
    pgbouncer, pooler = pgbouncer_start(directory, pool_size=2)
    wrappers = {}
    try:
        for name, (backend, pooled) in WAYS.items():
            settings = connections["default"].settings_dict
            if pooled:
                settings = settings | {"HOST": "127.0.0.1", "PORT": str(pooler.port), "OPTIONS": {}}
            wrapper = import_string(backend)(settings | {"CONN_MAX_AGE": 600}, f"bench-{len(wrappers)}")
            wrapper.set_schema(school.schema_name)
            wrappers[name] = wrapper

        def page(wrapper) -> float:
            started = time.perf_counter()
            for _ in range(args.reads):
                with wrapper.cursor() as cursor:
                    cursor.execute(f"SELECT name FROM {table} WHERE id = %s", [subject_id])
                    cursor.fetchone()
            wrapper.set_autocommit(False)
            with wrapper.cursor() as cursor:
                for _ in range(args.reads):
                    cursor.execute(f"SELECT name FROM {table} WHERE id = %s", [subject_id])
                    cursor.fetchone()
                cursor.execute(f"UPDATE {table} SET name = name WHERE id = %s", [subject_id])
            wrapper.commit()
            wrapper.set_autocommit(True)
            return time.perf_counter() - started

        for wrapper in wrappers.values():  # connect and warm up
            page(wrapper)
        times = {name: [] for name in wrappers}
        for number in range(args.rounds):
            order = list(wrappers) if number % 2 == 0 else list(reversed(wrappers))
            for name in order:
                times[name].append(page(wrappers[name]))
    finally:
        for wrapper in wrappers.values():
            wrapper.close()
        pgbouncer.terminate()
        pgbouncer.wait(timeout=10)
        connection.set_schema_to_public()
        _setup.drop_bench_schools()

    statements = 2 * args.reads + 1
    base = statistics.median(times["direct, django-tenants"])
    print(f"\nA round: {args.reads} autocommit reads + one transaction of {args.reads} reads and an UPDATE "
          f"({statements} statements), {args.rounds} rounds ({_setup.machine()})\n")  # fmt: skip
    print(f"{'way':38} {'ms/round':>9} {'µs/statement':>13} {'vs direct':>10}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:38} {median * 1000:9.2f} {median / statements * 1e6:13.0f} {median / base:9.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
