"""Reads of the fee catalogue for the fee pages."""

from django.db.models import Count, Q

from payments.models import FeeItem, FeeReduction
from students.models import SchoolYear


def current_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(is_current=True).first()


def fee_items(year: SchoolYear):
    return (
        FeeItem.objects.filter(year=year, archived_at__isnull=True)
        .prefetch_related("grades", "classes")
        .annotate(
            student_count=Count("students", distinct=True), opt_in_count=Count("opt_ins", distinct=True)
        )
    )


def reductions(*, status: str = ""):
    rows = FeeReduction.objects.select_related("item", "student", "requested_by", "decided_by")
    return rows.filter(status=status) if status else rows


def reduction_counts() -> dict[str, int]:
    return FeeReduction.objects.aggregate(
        pending=Count("pk", filter=Q(status=FeeReduction.Status.PENDING)),
        approved=Count("pk", filter=Q(status=FeeReduction.Status.APPROVED)),
    )
