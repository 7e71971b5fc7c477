"""A guardian's choices of voluntary items (FeeOptIn): choosing one adds it to the child's coming invoices
(payments.invoicing.plan bills a voluntary item only to students with an opt-in); withdrawing is allowed
until the item is on one of the child's invoices, after which only the school can take it off. Audited."""

from django.db import transaction

from payments.models import FeeItem, FeeOptIn, InvoiceLine, InvoiceState
from schoolbook.audit.services import audit_record
from students.models import Student


class OptInError(ValueError):
    """A choice the rules refuse; the message says why, in Vietnamese."""


def fee_opt_in(*, actor, student: Student, item: FeeItem) -> FeeOptIn:
    """`actor` (a guardian of `student`, checked by the caller) chooses the voluntary `item`; choosing it
    twice changes nothing."""
    if item.compulsory or item.archived_at is not None:
        raise OptInError("Khoản này không còn nhận đăng ký.")
    with transaction.atomic():
        opt_in, created = FeeOptIn.objects.get_or_create(
            item=item, student=student, defaults={"chosen_by": actor}
        )
        if created:
            audit_record(
                actor=actor, action="payments.opt_in", obj=opt_in,
                after={"item": item.name, "student": student.student_code, "amount": item.amount,
                       "unit": item.unit},
            )  # fmt: skip
    return opt_in


def fee_opt_out(*, actor, student: Student, item: FeeItem) -> None:
    """Withdraw the choice, unless the item is already on one of the child's invoices."""
    with transaction.atomic():
        opt_in = FeeOptIn.objects.select_for_update().filter(item=item, student=student).first()
        if opt_in is None:
            return
        if item_invoiced(student, item):
            raise OptInError(
                "Khoản này đã có trong hoá đơn của con nên không thể tự thôi đăng ký. "
                "Xin liên hệ bộ phận kế toán của nhà trường."
            )
        audit_record(
            actor=actor, action="payments.opt_out", obj=opt_in,
            before={"item": item.name, "student": student.student_code,
                    "chosen_at": opt_in.chosen_at.isoformat()},
        )  # fmt: skip
        opt_in.delete()


def item_invoiced(student: Student, item: FeeItem) -> bool:
    return (
        InvoiceLine.objects.filter(item=item, invoice__student=student)
        .exclude(invoice__state=InvoiceState.CANCELLED)
        .exists()
    )
