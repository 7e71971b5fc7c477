"""The ledger: money received (BankTransaction) and applied to invoices (Payment, Receipt).

Every source (bank webhooks, statement rows, VNPay's IPN) ends in `transactions_record` (or
`transaction_record` for one), which stores a transaction once per (source, provider id) and, when it is
new, matches it in the same database transaction: a replay finds its row and changes nothing. A batch (a
statement's rows) is stored and matched with a fixed number of statements, whatever its size. Payments are
only ever added; `payment_reverse` corrects one by adding its opposite. Invoices touched are locked
(SELECT … FOR UPDATE, in id order) so two transfers for one invoice at the same moment both count. Every
payment applied, matched or assigned, is announced to the child's guardians once it is committed
(payments.ledger.notify, from the worker).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django_tenants.utils import schema_context

from payments import matching
from payments.codes import FAMILY, INVOICE, code_make, code_number, codes_in
from payments.models import BankTransaction, Invoice, InvoiceState, Payment, Receipt
from schoolbook.audit.services import audit_record
from schoolbook.bulk import bulk_insert, bulk_set, next_ids
from schoolbook.celery import app as celery_app
from students.models import SchoolYear, StudentGuardian

OPEN_STATES = (InvoiceState.OPEN, InvoiceState.PARTLY_PAID)


class LedgerError(ValueError):
    """A correction the ledger refuses (the message says why, in Vietnamese)."""


@dataclass(frozen=True)
class Incoming:
    """A transaction as a source reports it, before it is stored."""

    source: str
    provider_id: str
    amount: int
    note: str
    occurred_at: datetime.datetime
    reference: str = ""
    counter_account: str = ""


def mask_account(number: str) -> str:
    """Only the last four digits of a bank account on screens and in the database ("••••6789")."""
    digits = "".join(c for c in number if c.isalnum())
    return f"••••{digits[-4:]}" if digits else ""


def transaction_record(incoming: Incoming) -> tuple[BankTransaction, bool]:
    """(the stored transaction, whether it is new): `transactions_record` of one."""
    new = transactions_record([incoming])
    if new:
        return new[0], True
    return BankTransaction.objects.get(source=incoming.source, provider_id=incoming.provider_id), False


def transactions_record(incomings: list[Incoming]) -> list[BankTransaction]:
    """Store the transactions not seen before (one INSERT … ON CONFLICT DO NOTHING for all) and match them,
    in one database transaction; returns the new ones, matched. Replays, and repeats within the list, are
    left out: a webhook delivered twice or a statement imported twice changes nothing."""
    if not incomings:
        return []
    with transaction.atomic():
        new = _insert_new(incomings)
        if new:
            _match(new)
    return new


def _insert_new(incomings: list[Incoming]) -> list[BankTransaction]:
    """The transactions not stored before, inserted in one statement and returned as model instances built
    here (not read back): the first of each (source, provider id), in the list's order."""
    now = timezone.now()
    rows = {}
    for incoming in incomings:
        row = BankTransaction(
            source=incoming.source,
            provider_id=incoming.provider_id[:64],
            amount=incoming.amount,
            note=incoming.note[:500],
            reference=incoming.reference[:64],
            counter_account=mask_account(incoming.counter_account),
            occurred_at=incoming.occurred_at,
            received_at=now,
            status=BankTransaction.Status.UNMATCHED,
            unapplied=incoming.amount,
        )
        rows.setdefault((row.source, row.provider_id), row)
    fields = {
        "source": "varchar",
        "provider_id": "varchar",
        "amount": "bigint",
        "note": "varchar",
        "reference": "varchar",
        "counter_account": "varchar",
        "occurred_at": "timestamptz",
        "received_at": "timestamptz",
        "status": "varchar",
        "unapplied": "bigint",
        "refund_note": "varchar",
    }
    inserted = bulk_insert(
        BankTransaction,
        {name: (kind, [getattr(row, name) for row in rows.values()]) for name, kind in fields.items()},
        suffix="ON CONFLICT (source, provider_id) DO NOTHING RETURNING id, source, provider_id",
    )
    new = []
    for pk, source, provider_id in sorted(inserted):
        row = rows[(source, provider_id)]
        row.pk = pk
        row._state.adding = False
        new.append(row)
    return new


def _match(rows: list[BankTransaction]) -> None:
    """Share each new transaction among the open invoices its note names (`_shares`, invoices locked); then
    write every payment, receipt, invoice and transaction touched in a few statements. What no invoice takes
    stays `unapplied`: the unmatched queue."""
    parts, _allocations = _shares(rows, lock=True)
    _apply(parts, actor=None)


def transactions_foresee(
    incomings: list[Incoming],
) -> list[tuple[matching.Allocation, list[tuple[Invoice, int]]]]:
    """What `transactions_record` would do with these transactions were they all new, read without locks
    and written nowhere (a statement's preview): for each, in order, its allocation and the (invoice, đồng)
    it would pay. The record's own code, so the preview says what the commit will do unless something
    changes in between (the preview's fingerprint catches that)."""
    rows = [
        BankTransaction(pk=n, amount=incoming.amount, note=incoming.note, unapplied=incoming.amount)
        for n, incoming in enumerate(incomings, start=1)
    ]
    parts, allocations = _shares(rows, lock=False)
    paying = defaultdict(list)
    for invoice, row, amount in parts:
        paying[row.pk].append((invoice, amount))
    return [
        (allocations.get(row.pk) or matching.Allocation(unmatched=row.amount), paying[row.pk]) for row in rows
    ]


def _shares(rows: list[BankTransaction], *, lock: bool):
    """([(invoice, transaction, đồng)], {transaction pk: its allocation}): each transaction shared among the
    open invoices its note names (payments.matching), in the list's order, what each invoice still owes
    kept up to date between them (in memory: `paid`, `state`, `unapplied`). The invoices are locked, in id
    order, unless `lock` is False (a preview)."""
    allocations = {}
    named = {row.pk: _codes(row.note) for row in rows}
    invoice_ids = {number for _, invoices, _ in named.values() for number in invoices}
    guardian_ids = {number for _, _, families in named.values() for number in families}
    if not invoice_ids and not guardian_ids:
        return [], allocations
    children = defaultdict(list)  # guardian id → their children's ids
    for student_id, guardian_id in StudentGuardian.objects.filter(guardian_id__in=guardian_ids).values_list(
        "student_id", "guardian_id"
    ):
        children[guardian_id].append(student_id)
    child_ids = {student_id for ids in children.values() for student_id in ids}
    named_invoices = (
        Invoice.objects.filter(state__in=OPEN_STATES)
        .filter(Q(pk__in=invoice_ids) | Q(student_id__in=child_ids))
        .annotate(year_id=F("round__year_id"))
        .order_by("pk")  # one lock order for everyone: no deadlock between two batches
    )
    if lock:
        named_invoices = named_invoices.select_for_update(of=("self",))
    invoices = {invoice.pk: invoice for invoice in named_invoices}
    by_student = defaultdict(list)
    for invoice in invoices.values():
        by_student[invoice.student_id].append(invoice)
    parts = []
    for row in rows:
        codes, own, families = named[row.pk]
        candidates = {}
        for number in own:
            if number in invoices:
                candidates[number] = (invoices[number], "")
        for guardian_id in families:
            family = code_make(FAMILY, guardian_id)
            for student_id in children[guardian_id]:
                for invoice in by_student[student_id]:
                    candidates.setdefault(invoice.pk, (invoice, family))
        open_now = [
            _open_invoice(invoice, family)
            for invoice, family in candidates.values()
            if invoice.outstanding > 0
        ]
        by_code = {invoice.code: invoice for invoice, _ in candidates.values()}
        allocation = allocations[row.pk] = matching.allocate(row.note, row.amount, open_now, codes=codes)
        shares = dict(allocation.paid)  # one payment (and receipt) per invoice: an overpayment joins its part
        if allocation.overpaid:
            code, extra = allocation.overpaid
            shares[code] = shares.get(code, 0) + extra
        for code, amount in shares.items():
            invoice = by_code[code]
            invoice.paid += amount  # what the next transaction of the batch sees
            invoice.state = state_for(invoice.total, invoice.paid)
            parts.append((invoice, row, amount))
            row.unapplied -= amount
    return parts, allocations


def _codes(note: str) -> tuple[list[str], list[int], list[int]]:
    """(the note's payment codes, the invoice ids and the guardian ids they name), in the note's order."""
    codes, invoices, families = codes_in(note), [], []
    for code in codes:
        kind, number = code_number(code)
        (invoices if kind == INVOICE else families).append(number)
    return codes, invoices, families


def _apply(parts: list[tuple[Invoice, BankTransaction, int]], *, actor) -> list[Payment]:
    """Write payments (with their receipts) whose invoices and transactions were locked and already carry
    their new `paid`, `state` and `unapplied`."""
    if not parts:
        return []
    now = timezone.now()
    payments = [
        Payment(pk=pk, invoice=invoice, transaction=row, amount=amount, created_by=actor, created_at=now)
        for pk, (invoice, row, amount) in zip(next_ids(Payment, len(parts)), parts, strict=True)
    ]
    actor_id = actor.pk if actor is not None else None
    bulk_insert(Payment, {
        "id": ("bigint", [p.pk for p in payments]),
        "invoice_id": ("bigint", [p.invoice_id for p in payments]),
        "transaction_id": ("bigint", [p.transaction_id for p in payments]),
        "amount": ("bigint", [p.amount for p in payments]),
        "created_by_id": ("bigint", [actor_id] * len(payments)),
        "note": ("varchar", [""] * len(payments)),
        "created_at": ("timestamptz", [now] * len(payments)),
    })  # fmt: skip
    for payment in payments:
        payment._state.adding = False
    _receipts_issue(
        [(payment, invoice.year_id) for payment, (invoice, _, _) in zip(payments, parts, strict=True)], now
    )
    invoices = list({invoice.pk: invoice for invoice, _, _ in parts}.values())
    for invoice in invoices:
        invoice.updated_at = now
    bulk_set(Invoice, invoices, {"paid": "bigint", "state": "varchar", "updated_at": "timestamptz"})
    rows = list({row.pk: row for _, row, _ in parts}.values())
    for row in rows:
        if row.status != BankTransaction.Status.REFUNDED:
            row.status = BankTransaction.Status.UNMATCHED if row.unapplied else BankTransaction.Status.MATCHED
    bulk_set(BankTransaction, rows, {"status": "varchar", "unapplied": "bigint"})
    _confirm_on_commit([payment.pk for payment in payments])
    return payments


CONFIRM_BATCH = 200  # payments per confirmation task: a statement's thousands spread over the workers


def _confirm_on_commit(payment_ids: list[int]) -> None:
    """The guardians' confirmations leave from the worker once the payments are committed, so a webhook
    never waits for messaging. By name: payments.tasks imports the ledger. The schema is pinned to the
    caller's, in case the commit happens after the caller has left its school's schema."""
    schema = connection.schema_name

    def send():
        with schema_context(schema):
            for start in range(0, len(payment_ids), CONFIRM_BATCH):
                chunk = payment_ids[start : start + CONFIRM_BATCH]
                celery_app.send_task("payments.tasks.payments_confirm", args=[chunk], ignore_result=True)

    transaction.on_commit(send)


def _receipts_issue(payments: list[tuple[Payment, int]], now) -> None:
    """The next numbers of each payment's school year, in order. The years' rows are locked for the count,
    so numbers have no gaps and no duplicates however many payments arrive at once."""
    year_ids = sorted({year_id for _, year_id in payments})
    list(SchoolYear.objects.select_for_update().filter(pk__in=year_ids).order_by("pk").values_list("pk"))
    last = dict(
        Receipt.objects.filter(year_id__in=year_ids).values("year_id").annotate(last=Max("number"))
        .values_list("year_id", "last")
    )  # fmt: skip
    numbers = []
    for _, year_id in payments:
        last[year_id] = last.get(year_id, 0) + 1
        numbers.append(last[year_id])
    bulk_insert(Receipt, {
        "payment_id": ("bigint", [payment.pk for payment, _ in payments]),
        "year_id": ("bigint", [year_id for _, year_id in payments]),
        "number": ("integer", numbers),
        "issued_at": ("timestamptz", [now] * len(payments)),
    })  # fmt: skip


def transaction_assign(*, actor, row: BankTransaction, invoice: Invoice, amount: int) -> Payment:
    """The accountant applies (part of) what is left of a transaction to an invoice they chose."""
    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().get(pk=row.pk)
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .annotate(year_id=F("round__year_id"))
            .get(pk=invoice.pk)
        )
        if refusal := assign_refusal(row):
            raise LedgerError(refusal)
        if invoice.state == InvoiceState.CANCELLED:
            raise LedgerError("Hoá đơn này đã huỷ.")
        if not 0 < amount <= row.unapplied:
            raise LedgerError(f"Số tiền phải từ 1 đến {row.unapplied} đồng (phần còn lại của giao dịch).")
        invoice.paid += amount
        invoice.state = state_for(invoice.total, invoice.paid)
        row.unapplied -= amount
        (payment,) = _apply([(invoice, row, amount)], actor=actor)
        audit_record(
            actor=actor,
            action="payments.assign",
            obj=payment,
            after={"transaction": row.pk, "invoice": invoice.code, "amount": amount},
        )
    return payment


def transaction_refund(*, actor, row: BankTransaction, note: str) -> BankTransaction:
    """Mark what is left of a transaction as refunded to the payer (the refund itself is made in the bank)."""
    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().get(pk=row.pk)
        if refusal := refund_refusal(row):
            raise LedgerError(refusal)
        row.status = BankTransaction.Status.REFUNDED
        row.refund_note = note[:300]
        row.save(update_fields=["status", "refund_note"])
        audit_record(
            actor=actor,
            action="payments.refund",
            obj=row,
            after={"amount": row.unapplied, "note": row.refund_note},
        )
    return row


def assign_refusal(row: BankTransaction) -> str:
    """Why nothing of `row` can be assigned any more ("" if something can): what transaction_assign checks
    first, for pages to say before asking for a confirmation."""
    if row.status == BankTransaction.Status.REFUNDED:
        return "Giao dịch này đã được đánh dấu hoàn tiền."
    if row.unapplied <= 0:
        return "Giao dịch này không còn tiền chưa khớp để gán."
    return ""


def refund_refusal(row: BankTransaction) -> str:
    """Why `row` cannot be marked refunded ("" if it can)."""
    if row.unapplied <= 0 or row.status == BankTransaction.Status.REFUNDED:
        return "Giao dịch này không còn tiền chưa khớp để hoàn."
    return ""


def reverse_refusal(payment: Payment) -> str:
    """Why `payment` cannot be reversed ("" if it can): a reversal, or one reversed already."""
    if payment.amount <= 0 or Payment.objects.filter(reverses=payment).exists():
        return "Khoản thanh toán này đã được điều chỉnh trước đó."
    return ""


def payment_reverse(*, actor, payment: Payment, reason: str) -> Payment:
    """The one correction: a payment with the opposite amount; the money goes back to the transaction's
    unapplied part (the queue), the original receipt is voided. A payment is reversed at most once."""
    if not reason.strip():
        raise LedgerError("Hãy ghi lý do điều chỉnh.")
    with transaction.atomic():
        original = Payment.objects.select_for_update().get(pk=payment.pk)
        if refusal := reverse_refusal(original):
            raise LedgerError(refusal)
        invoice = Invoice.objects.select_for_update().get(pk=original.invoice_id)
        row = BankTransaction.objects.select_for_update().get(pk=original.transaction_id)
        if row.status == BankTransaction.Status.REFUNDED:
            raise LedgerError("Giao dịch này đã được đánh dấu hoàn tiền: không điều chỉnh được nữa.")
        reversal = Payment.objects.create(
            invoice=invoice,
            transaction=row,
            amount=-original.amount,
            reverses=original,
            created_by=actor,
            note=reason[:300],
        )
        invoice.paid -= original.amount
        if invoice.state != InvoiceState.CANCELLED:
            invoice.state = state_for(invoice.total, invoice.paid)
        invoice.save(update_fields=["paid", "state", "updated_at"])
        row.unapplied += original.amount
        row.status = BankTransaction.Status.UNMATCHED
        row.save(update_fields=["unapplied", "status"])
        Receipt.objects.filter(payment=original).update(voided_at=timezone.now())
        audit_record(
            actor=actor,
            action="payments.reverse",
            obj=reversal,
            before={"payment": original.pk, "invoice": invoice.code, "amount": original.amount},
            after={"reason": reversal.note},
        )
    return reversal


def state_for(total: int, paid: int) -> str:
    if paid <= 0:
        return InvoiceState.OPEN
    if paid < total:
        return InvoiceState.PARTLY_PAID
    return InvoiceState.PAID if paid == total else InvoiceState.OVERPAID


def _open_invoice(invoice: Invoice, family: str) -> matching.OpenInvoice:
    return matching.OpenInvoice(
        code=invoice.code, outstanding=invoice.outstanding, due=invoice.due_on.isoformat(), family=family
    )
