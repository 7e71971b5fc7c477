"""Fees: generating a round's invoices, matching bank transactions, and the bank webhook's latency.

One school, `bench-payments`, is seeded with `seed_demo`'s planner and bulk writer (bench/_setup.py
roster_school: classes of 45 in grades 6–9), then given a fee catalogue of 6 items (four for the whole
school, one for grade 6 only, one voluntary with a third of the students opted in), one approved reduction
per 20 students, and its receiving account. Then:

- *generate*: `round_plan` (the preview) and `round_generate` (its confirmation) of a round billing the 6
  items, for every student: one invoice each with its lines. Then the same again: nothing to do.
- *match* (after six more monthly rounds, so there is an invoice for each transaction): `transactions_record`
  of N bank transactions as one batch (a statement import), then
  `transaction_record` of more, one at a time as webhooks deliver them, each in its own database
  transaction: 60 % name one invoice in a note mangled as banks do (prefix, suffix, case,
  lost spaces), 10 % a family code, 10 % two invoice codes, 20 % no code (the unmatched queue); amounts are
  a part, all or more of what is owed. Then the batch is delivered again (replays: nothing changes).
- *webhook*: SePay webhooks posted through the Django test client (routing, the school's API key, the view,
  the ledger; in process, no socket), each a new transaction naming an invoice: p50 and p95 latency.

The school, its schema and people are dropped at the end and at the start (bench/_setup.py).

    .venv/bin/python bench/payments.py [--students 2000] [--transactions 10000] [--singles 1000]
                                       [--webhooks 300]
"""

import argparse
import datetime
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup

SEED = 2026
TARGET_GENERATE_S = 3.0
TARGET_MATCH_S = 10.0
TARGET_WEBHOOK_P95_MS = 50.0
TEACHERS, GUARDIANS, ADMINS = 110_000, 600_000, 910_000
API_KEY = "bench-sepay-key-2026"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=1000, help="transactions recorded one at a time")
    parser.add_argument("--webhooks", type=int, default=300)
    args = parser.parse_args()

    _setup.setup()
    _setup.drop_bench_schools()
    actor = _setup.bench_admin()
    started = time.perf_counter()
    try:
        school, accountant, roster = _school(actor, args.students)
        generate = _generate(school, accountant)
        match = _match(school, args.transactions, args.singles)
        webhook = _webhook(school, args.webhooks)
    finally:
        elapsed = time.perf_counter() - started
        dropped = _setup.drop_bench_schools()
    _print(args, roster, generate, match, webhook)
    print(f"\n{dropped} bench school dropped; run took {elapsed:.0f} s.")
    return 0


def _school(actor, students: int):
    from django_tenants.utils import schema_context

    from accounts.roles import Role
    from payments.feeds.services import feed_account_save
    from payments.models import FeeItem, FeeOptIn, FeeReduction, ReceivingAccount
    from students.models import GradeLevel, SchoolYear, StaffMember, Student
    from students.services import staff_add

    school, roster = _setup.roster_school(
        actor,
        code="payments",
        name="Trường THCS Đo Học Phí",
        students=students,
        seed=SEED,
        teachers=TEACHERS,
        guardians=GUARDIANS,
        admins=ADMINS,
    )
    with schema_context(school.schema_name):
        accountant = staff_add(
            actor=actor,
            school=school,
            phone=_setup.bench_phone(ADMINS + 1),
            full_name="Kế Toán Đo",
            roles=[Role.ACCOUNTANT],
        )
        year = SchoolYear.objects.get(is_current=True)
        items = [
            FeeItem.objects.create(year=year, name=name, amount=amount, unit=unit, compulsory=compulsory)
            for name, amount, unit, compulsory in (
                ("Tiền ăn bán trú", 650_000, "month", True),
                ("Nước uống", 20_000, "month", True),
                ("Bảo hiểm y tế", 884_520, "year", True),
                ("Học phẩm", 150_000, "term", True),
                ("Sách giáo khoa lớp 6", 210_000, "once", True),
                ("Câu lạc bộ tiếng Anh", 300_000, "month", False),
            )
        ]
        items[4].grades.set([GradeLevel.objects.get(number=6)])
        ids = list(Student.objects.order_by("pk").values_list("pk", flat=True))
        chooser = StaffMember.objects.get(pk=accountant.pk).user
        FeeOptIn.objects.bulk_create(
            FeeOptIn(item=items[5], student_id=pk, chosen_by=chooser) for pk in ids[::3]
        )
        FeeReduction.objects.bulk_create(
            FeeReduction(
                item=items[0],
                student_id=pk,
                kind="percent",
                value=50,
                reason="Hộ nghèo",
                requested_by=accountant,
                status=FeeReduction.Status.APPROVED,
            )
            for pk in ids[::20]
        )
        ReceivingAccount.objects.create(
            bank_bin="970436", account_number="0011223344", account_name="TRUONG DO"
        )
        feed_account_save(actor=actor, provider="sepay", key=API_KEY)
        school.items = items
    return school, accountant, roster


def _generate(school, accountant) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    from payments.invoicing.plan import round_plan
    from payments.invoicing.services import round_generate
    from payments.models import CollectionRound, Invoice, InvoiceLine

    with schema_context(school.schema_name):
        round_ = CollectionRound.objects.create(
            year=school.items[0].year,
            name="Học kỳ I",
            months=4,
            created_by=accountant,
            due_on=datetime.date.today() + datetime.timedelta(days=14),
        )
        round_.items.set(school.items)
        result = {}
        for key in ("first", "again"):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                plan = round_plan(round_)
                preview = time.perf_counter() - start
                round_generate(actor=accountant.user, round_=round_, token=plan.token)
                total = time.perf_counter() - start
            result[key] = {"preview": preview, "total": total, "queries": len(captured), "new": len(plan.new)}
        result["lines"] = InvoiceLine.objects.count()
        # Six more monthly rounds (not timed): the invoices the transactions of `_match` pay.
        for month in range(1, 7):
            more = CollectionRound.objects.create(
                year=round_.year, name=f"Tháng {month}", months=1, created_by=accountant, due_on=round_.due_on
            )
            more.items.set(school.items[:2])
            round_generate(actor=accountant.user, round_=more, token=round_plan(more).token)
        result["invoices"] = Invoice.objects.count()
    return result


def _notes(rng, invoice, invoices, families):
    """A transfer note for `invoice` as a bank might deliver it, and the amount, for one random kind of
    payment (the second code of a two-invoice note, and a family's children, are drawn from all)."""
    roll = rng.random()
    owed = invoice.total
    amount = rng.choice([owed, owed, owed // 2, owed + 50_000])
    prefix = rng.choice(["MBVCB.3312887.", "IBFT ", "TKThe :0123456789, ", ""])
    suffix = rng.choice([" CT tu 0123456789 toi 0011223344", ".FT24123", ""])
    if roll < 0.6:
        code = invoice.code.lower() if rng.random() < 0.5 else invoice.code
        note = f"{prefix}{code}{rng.choice(['HOC PHI', ' hoc phi', ''])}{suffix}"
    elif roll < 0.7:
        note = f"{prefix}{rng.choice(families)} hoc phi{suffix}"
        amount = owed * 2
    elif roll < 0.8:
        other = rng.choice(invoices)
        note = f"{prefix}{invoice.code} {other.code}{suffix}"
        amount = owed + other.total
    else:
        note = f"{prefix}chuyen tien hoc phi con lop 6A{rng.randint(1, 9)}{suffix}"
    return note, max(amount, 1)


def _match(school, count: int, singles: int) -> dict:
    """`count` transactions recorded as one batch (a statement import), then `singles` more one at a time
    (as webhooks deliver them, each in its own database transaction), then the batch again (replays)."""
    from django.db.models import Count
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from payments.invoicing.qr import family_code
    from payments.ledger.services import Incoming, transaction_record, transactions_record
    from payments.models import BankTransaction, Invoice, Payment
    from students.models import StudentGuardian

    rng = random.Random(SEED)
    with schema_context(school.schema_name):
        invoices = list(Invoice.objects.only("pk", "code", "total"))
        guardians = StudentGuardian.objects.values_list("guardian_id", flat=True).distinct()[:500]
        families = [family_code(guardian_id) for guardian_id in guardians]
        now = timezone.now()
        incoming = [
            Incoming(
                source="sepay",
                provider_id=f"b{n}",
                amount=amount,
                note=note,
                occurred_at=now,
                counter_account="0123456789",
            )
            for n, (note, amount) in enumerate(
                _notes(rng, invoice, invoices, families)
                for invoice in rng.sample(invoices, min(len(invoices), count + singles))
            )
        ]
        batch, one_by_one = incoming[:count], incoming[count:]
        start = time.perf_counter()
        transactions_record(batch)
        seconds = time.perf_counter() - start
        timings = []
        for transfer in one_by_one:
            start = time.perf_counter()
            transaction_record(transfer)
            timings.append((time.perf_counter() - start) * 1000)
        payments = Payment.objects.count()
        start = time.perf_counter()
        assert transactions_record(batch) == [], "a replay stored something"
        replay = time.perf_counter() - start
        assert Payment.objects.count() == payments, "a replay changed the ledger"
        statuses = dict(BankTransaction.objects.values_list("status").annotate(n=Count("pk")))
    return {
        "count": count,
        "seconds": seconds,
        "replay": replay,
        "payments": payments,
        "statuses": statuses,
        "singles": singles,
        "single_ms": statistics.median(timings) if timings else 0,
    }


def _webhook(school, count: int) -> dict | None:
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django_tenants.utils import schema_context

    from payments.models import Invoice

    try:
        path = reverse("sepay_webhook", args=[school.code], urlconf="schoolbook.urls_public")
    except NoReverseMatch:
        return None
    with schema_context(school.schema_name):
        codes = list(Invoice.objects.values_list("code", flat=True)[:count])
    client = Client(HTTP_AUTHORIZATION=f"Apikey {API_KEY}")
    timings = []
    for n, code in enumerate(codes):
        body = {
            "id": 900_000 + n,
            "gateway": "Vietcombank",
            "transactionDate": "2026-12-07 10:00:00",
            "accountNumber": "0011223344",
            "code": None,
            "content": f"IBFT {code} hoc phi",
            "transferType": "in",
            "transferAmount": 100_000,
            "accumulated": 0,
            "subAccount": None,
            "referenceCode": f"FT{n}",
            "description": "",
        }
        start = time.perf_counter()
        response = client.post(path, json.dumps(body), content_type="application/json")
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 201), response.content
    timings.sort()
    return {
        "count": len(timings),
        "p50": statistics.median(timings),
        "p95": timings[int(len(timings) * 0.95) - 1],
    }


def _print(args, roster, generate, match, webhook) -> None:
    def verdict(value, target):
        return "met" if value < target else "NOT met"

    first, again = generate["first"], generate["again"]
    print(f"| Fees ({roster.students} students, {roster.classes} classes, 6 items) | time | target |")
    print("|---|---:|---|")
    print(
        f"| generate a round: {first['new']} invoices, {generate['lines']} lines (preview "
        f"{first['preview']:.2f} s; {first['queries']} queries) | **{first['total']:.2f} s** "
        f"| < {TARGET_GENERATE_S:.0f} s: {verdict(first['total'], TARGET_GENERATE_S)} |"
    )
    print(f"| generate it again: nothing to do ({again['queries']} queries) | {again['total']:.2f} s | |")
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(match["statuses"].items()))
    print(
        f"| record and match {match['count']} transactions as one batch (a statement import) "
        f"| **{match['seconds']:.2f} s** "
        f"| < {TARGET_MATCH_S:.0f} s: {verdict(match['seconds'], TARGET_MATCH_S)} |"
    )
    print(
        f"| then {match['singles']} more one at a time, each in its own transaction (as webhooks): median "
        f"| {match['single_ms']:.1f} ms | |"
    )
    print(f"| (all, over {generate['invoices']} invoices: {statuses}; {match['payments']} payments) | | |")
    print(
        f"| the same {match['count']} delivered again (replays change nothing) | {match['replay']:.2f} s | |"
    )
    if webhook:
        print(
            f"| SePay webhook, {webhook['count']} new transactions through the Django test client: p50 "
            f"{webhook['p50']:.1f} ms | **p95 {webhook['p95']:.1f} ms** "
            f"| < {TARGET_WEBHOOK_P95_MS:.0f} ms: {verdict(webhook['p95'], TARGET_WEBHOOK_P95_MS)} |"
        )
    print(f"\nMachine: {_setup.machine()}.")


if __name__ == "__main__":
    sys.exit(main())
