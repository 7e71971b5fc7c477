"""Demo fees for `seed_demo`: what the accountant and parents of a freshly seeded school see. Written
through the real services: a catalogue, a round generated from its confirmed preview, and transfers
recorded through the ledger as a bank feed would deliver them (most matched, a few for the unmatched
queue)."""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from payments.codes import FAMILY, code_make
from payments.invoicing.plan import round_plan
from payments.invoicing.services import round_create, round_generate
from payments.ledger.services import Incoming, transactions_record
from payments.models import FeeItem, FeeOptIn, Invoice, ReceivingAccount
from students.models import GradeLevel, SchoolYear, StaffMember, StudentGuardian

ITEMS = (
    ("Tiền ăn bán trú", 650_000, "month", True),
    ("Nước uống", 20_000, "month", True),
    ("Bảo hiểm y tế", 884_520, "year", True),
    ("Câu lạc bộ tiếng Anh", 300_000, "month", False),
)


@dataclass
class DemoFees:
    invoices: int = 0
    transfers: int = 0


def fees_seed(*, accountant: StaffMember, rng: random.Random) -> DemoFees:
    """In the current school's schema; nothing when the school has no current year or no students."""
    year = SchoolYear.objects.filter(is_current=True).first()
    if year is None:
        return DemoFees()
    ReceivingAccount.objects.get_or_create(
        defaults={"bank_bin": "970436", "account_number": "1023456789", "account_name": "TRUONG THCS DEMO"}
    )
    items = [
        FeeItem.objects.create(year=year, name=name, amount=amount, unit=unit, compulsory=compulsory)
        for name, amount, unit, compulsory in ITEMS
    ]
    books = FeeItem.objects.create(year=year, name="Sách giáo khoa lớp 6", amount=210_000, unit="once")
    books.grades.set(GradeLevel.objects.filter(number=6))
    links = list(StudentGuardian.objects.filter(guardian__user__isnull=False).select_related("guardian"))
    FeeOptIn.objects.bulk_create(
        FeeOptIn(item=items[3], student_id=link.student_id, chosen_by_id=link.guardian.user_id)
        for link in links[::4]
    )
    round_ = round_create(
        actor=accountant.user,
        staff=accountant,
        year=year,
        data={
            "name": "Tháng 12",
            "months": 1,
            "due_on": timezone.localdate() + timedelta(days=10),
            "items": [*items, books],
        },
    )
    plan = round_generate(actor=accountant.user, round_=round_, token=round_plan(round_).token)
    invoices = list(Invoice.objects.filter(round=round_).order_by("pk"))
    now = timezone.now()
    transfers = []
    for n, invoice in enumerate(invoices):
        roll = rng.random()
        if roll < 0.55:
            note, amount = f"MBVCB.{rng.randint(1000000, 9999999)}.{invoice.code} hoc phi", invoice.total
        elif roll < 0.65:
            note, amount = f"{invoice.code.lower()} nop truoc mot phan", invoice.total // 2
        else:
            continue
        transfers.append(
            Incoming(
                source="sepay",
                provider_id=f"demo-{n}",
                amount=amount,
                note=note,
                occurred_at=now - timedelta(hours=rng.randint(0, 72)),
                counter_account=f"0{rng.randint(10**8, 10**9 - 1)}",
            )
        )
    if links:
        family = code_make(FAMILY, links[0].guardian_id)
        transfers.append(
            Incoming(
                source="sepay",
                provider_id="demo-family",
                amount=1_000_000,
                note=f"IBFT {family} ca nha",
                occurred_at=now,
            )
        )
    for n in range(3):
        transfers.append(
            Incoming(
                source="sepay",
                provider_id=f"demo-unmatched-{n}",
                amount=650_000,
                note=f"chuyen tien an ban tru cho con lop 6A{n + 1}",
                occurred_at=now,
            )
        )
    transactions_record(transfers)
    return DemoFees(invoices=len(plan.new), transfers=len(transfers))
