"""Creating and changing a round's invoices from its plan (payments.invoicing.plan), all or nothing.

`round_generate` recomputes the plan under a lock on the round and applies it only if it is still the plan
the accountant confirmed (its token): a catalogue changed in between shows the new preview instead. Running
it again with nothing changed does nothing. Invoice numbers come from the table's own sequence in one query,
so each invoice is inserted with its code (payments.codes) in the same statement.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from payments.codes import INVOICE, code_make
from payments.invoicing.plan import Plan, round_plan
from payments.ledger.services import mask_account, state_for
from payments.models import CollectionRound, Invoice, InvoiceLine, InvoiceState, ReceivingAccount
from schoolbook.audit.services import audit_record
from schoolbook.bulk import bulk_set, next_ids


class InvoiceError(ValueError):
    """A change to an invoice refused, with the Vietnamese reason."""


class PlanChanged(Exception):
    """The plan is no longer the one confirmed; `plan` is the current one, to show again."""

    def __init__(self, plan: Plan):
        super().__init__("the round's plan changed since its preview")
        self.plan = plan


def round_generate(*, actor, round_: CollectionRound, token: str) -> Plan:
    with transaction.atomic():
        round_ = CollectionRound.objects.select_for_update().get(pk=round_.pk)
        plan = round_plan(round_)
        if plan.token != token:
            raise PlanChanged(plan)
        if plan.is_empty:
            return plan
        _create(round_, plan)
        _rewrite(plan)
        now = timezone.now()
        cancelled = [invoice.pk for invoice in plan.cancel]
        Invoice.objects.filter(pk__in=cancelled).update(
            state=InvoiceState.CANCELLED,
            cancelled_at=now,
            updated_at=now,
            cancel_reason="Không còn khoản phải thu khi lập lại đợt thu",
        )
        round_.generated_at = now
        round_.save(update_fields=["generated_at"])
        audit_record(
            actor=actor,
            action="payments.round_generate",
            obj=round_,
            after={
                "new": len(plan.new),
                "changed": len(plan.changed),
                "cancelled": len(cancelled),
                "new_total": plan.new_total,
            },
        )
    return plan


def _create(round_: CollectionRound, plan: Plan) -> None:
    if not plan.new:
        return
    ids = next_ids(Invoice, len(plan.new))
    Invoice.objects.bulk_create(
        Invoice(
            pk=pk,
            code=code_make(INVOICE, pk),
            round=round_,
            student_id=bill.student_id,
            school_class_id=bill.class_id,
            due_on=round_.due_on,
            total=bill.total,
        )
        for pk, bill in zip(ids, plan.new, strict=True)
    )
    InvoiceLine.objects.bulk_create(
        _line(pk, line) for pk, bill in zip(ids, plan.new, strict=True) for line in bill.lines
    )


def _rewrite(plan: Plan) -> None:
    if not plan.changed:
        return
    invoices = [invoice for invoice, _ in plan.changed]
    InvoiceLine.objects.filter(invoice__in=invoices).delete()
    InvoiceLine.objects.bulk_create(
        _line(invoice.pk, line) for invoice, bill in plan.changed for line in bill.lines
    )
    for invoice, bill in plan.changed:
        invoice.total = bill.total
        invoice.state = state_for(invoice.total, invoice.paid)
        invoice.updated_at = timezone.now()
    bulk_set(Invoice, invoices, {"total": "bigint", "state": "varchar", "updated_at": "timestamptz"})


def _line(invoice_id: int, line) -> InvoiceLine:
    item_id, description, quantity, unit_amount, reduction, amount = line
    return InvoiceLine(
        invoice_id=invoice_id,
        item_id=item_id,
        description=description,
        quantity=quantity,
        unit_amount=unit_amount,
        reduction=reduction,
        amount=amount,
    )


def invoice_cancel(*, actor, invoice: Invoice, reason: str) -> Invoice:
    """Cancel an invoice nobody has paid anything on (money received is corrected by reversals first)."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.state == InvoiceState.CANCELLED:
            raise InvoiceError(gettext("Hoá đơn này đã huỷ."))
        if invoice.paid:
            raise InvoiceError(
                gettext("Hoá đơn đã có tiền nộp: hãy điều chỉnh các khoản đã nộp trước khi huỷ.")
            )
        invoice.state = InvoiceState.CANCELLED
        invoice.cancelled_at = timezone.now()
        invoice.cancel_reason = reason.strip()[:300]
        invoice.save(update_fields=["state", "cancelled_at", "cancel_reason", "updated_at"])
        audit_record(
            actor=actor,
            action="payments.invoice_cancel",
            obj=invoice,
            after={"reason": invoice.cancel_reason},
        )
    return invoice


def receiving_account_save(*, actor, data: dict) -> ReceivingAccount:
    """The school's one receiving account, created or replaced; the number is audited masked."""
    with transaction.atomic():
        account = ReceivingAccount.objects.select_for_update().first() or ReceivingAccount()
        before = (
            {"bank": account.bank_bin, "account": mask_account(account.account_number)}
            if account.pk
            else None
        )
        for field in ("bank_bin", "account_number", "account_name"):
            setattr(account, field, data[field])
        account.save()
        audit_record(
            actor=actor,
            action="payments.receiving_account_save",
            obj=account,
            before=before,
            after={
                "bank": account.bank_bin,
                "account": mask_account(account.account_number),
                "name": account.account_name,
            },
        )
    return account


def round_create(*, actor, staff, year, data: dict) -> CollectionRound:
    try:
        with transaction.atomic():
            round_ = CollectionRound.objects.create(
                year=year, name=data["name"], months=data["months"], due_on=data["due_on"], created_by=staff
            )
            round_.items.set(data["items"])
            audit_record(
                actor=actor,
                action="payments.round_create",
                obj=round_,
                after={
                    "name": round_.name,
                    "months": round_.months,
                    "due_on": round_.due_on.isoformat(),
                    "items": [item.name for item in data["items"]],
                },
            )
    except IntegrityError as error:
        raise InvoiceError(gettext("Năm học này đã có đợt thu tên này.")) from error
    return round_
