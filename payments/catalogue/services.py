"""Writes to the fee catalogue: items, and exemptions or reductions with the principal's decision. Each
write is audited with what changed."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from payments.models import FeeItem, FeeReduction
from schoolbook.audit.services import audit_record


class CatalogueError(ValueError):
    """A write refused, with the Vietnamese reason and the form field it concerns (or None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _item_values(item: FeeItem) -> dict:
    return {
        "name": item.name,
        "amount": item.amount,
        "unit": item.unit,
        "compulsory": item.compulsory,
        "grades": sorted(item.grades.values_list("number", flat=True)),
        "classes": sorted(item.classes.values_list("name", flat=True)),
        "students": sorted(item.students.values_list("student_code", flat=True)),
    }


def fee_item_save(*, actor, year, item: FeeItem | None = None, data: dict) -> FeeItem:
    """Create an item of `year`, or change `item`. Invoices already made keep their lines until the round is
    generated again (its preview shows the difference)."""
    before = _item_values(item) if item else None
    try:
        with transaction.atomic():
            item = item or FeeItem(year=year)
            for field in ("name", "amount", "unit", "compulsory"):
                setattr(item, field, data[field])
            item.save()
            item.grades.set(data["grades"])
            item.classes.set(data["classes"])
            item.students.set(data["student_codes"])
            audit_record(
                actor=actor,
                action="payments.fee_item_save",
                obj=item,
                before=before,
                after=_item_values(item),
            )
    except IntegrityError as error:
        raise CatalogueError(gettext("Năm học này đã có khoản thu tên này."), "name") from error
    return item


def fee_item_archive(*, actor, item: FeeItem) -> FeeItem:
    """Stop billing an item: rounds made from now on leave it out; invoices already made keep their lines."""
    with transaction.atomic():
        item.archived_at = timezone.now()
        item.save(update_fields=["archived_at"])
        audit_record(actor=actor, action="payments.fee_item_archive", obj=item, object_repr=item.name)
    return item


def reduction_request(*, actor, staff, data: dict) -> FeeReduction:
    """An exemption or reduction proposed by the accountant, waiting for the principal."""
    try:
        with transaction.atomic():
            reduction = FeeReduction.objects.create(
                item=data["item"],
                student=data["student_code"],
                kind=data["kind"],
                value=data["value"],
                reason=" ".join(data["reason"].split()),
                evidence=data.get("evidence") or "",
                requested_by=staff,
            )
            audit_record(
                actor=actor,
                action="payments.reduction_request",
                obj=reduction,
                after={
                    "student": reduction.student.student_code,
                    "item": reduction.item.name,
                    "kind": reduction.kind,
                    "value": reduction.value,
                    "reason": reduction.reason,
                    "evidence": bool(reduction.evidence),
                },
            )
    except IntegrityError as error:
        raise CatalogueError(
            gettext("Học sinh này đã có một đề nghị miễn giảm cho khoản thu này (đang chờ hoặc đã duyệt)."),
            "item",
        ) from error
    return reduction


def reduction_decide(*, actor, staff, reduction: FeeReduction, approve: bool, note: str) -> FeeReduction:
    """The principal approves or rejects a pending request; approved ones apply from the next generation."""
    with transaction.atomic():
        reduction = FeeReduction.objects.select_for_update().get(pk=reduction.pk)
        if reduction.status != FeeReduction.Status.PENDING:
            raise CatalogueError(gettext("Đề nghị này đã được quyết định."))
        reduction.status = FeeReduction.Status.APPROVED if approve else FeeReduction.Status.REJECTED
        reduction.decided_by = staff
        reduction.decided_at = timezone.now()
        reduction.decision_note = note.strip()
        reduction.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="payments.reduction_decide",
            obj=reduction,
            after={"status": reduction.status, "note": reduction.decision_note},
        )
    return reduction
