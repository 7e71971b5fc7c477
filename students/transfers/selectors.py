"""Reads for transfers between schools. The sending school reads its own requests and the list of active
schools (name and code, public data); the receiving school reads the requests addressed to it."""

from django.db.models import QuerySet

from schoolbook.text import search_fold
from tenants.models import School, TransferRequest

SCHOOL_CHOICES_LIMIT = 50


def transfer_school_choices(*, this_school: School, search: str = "") -> QuerySet[School]:
    """Active schools other than this one, narrowed by a folded search on name, code and province."""
    schools = School.objects.filter(is_active=True).exclude(pk=this_school.pk)
    folded = search_fold(search or "")
    if folded:
        schools = schools.filter(search_folded__contains=folded)
    return schools.order_by("name")


def transfers_incoming(*, school: School, pending_only: bool = False) -> QuerySet[TransferRequest]:
    transfers = TransferRequest.objects.filter(to_school=school).select_related("from_school")
    if pending_only:
        transfers = transfers.filter(status=TransferRequest.Status.PENDING)
    return transfers


def transfer_incoming_get(*, school: School, pk: int) -> TransferRequest | None:
    return transfers_incoming(school=school).filter(pk=pk).first()


def transfers_of_student(*, school: School, student_id: int) -> QuerySet[TransferRequest]:
    """The sending school's requests for one of its students, newest first."""
    return TransferRequest.objects.filter(from_school=school, student_id=student_id).select_related(
        "to_school"
    )
