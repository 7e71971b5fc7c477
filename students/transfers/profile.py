"""The "Chuyển trường" card of a student's profile (students.roster.views)."""

from django.utils import timezone

from students.transfers.forms import TransferRequestForm
from students.transfers.selectors import SCHOOL_CHOICES_LIMIT, transfer_school_choices, transfers_of_student


def transfer_form(school, data=None, search: str = "") -> TransferRequestForm:
    schools = transfer_school_choices(this_school=school, search=search)
    if data is None:  # what is shown: the first matches; what is posted is checked against every school
        schools = schools[:SCHOOL_CHOICES_LIMIT]
    return TransferRequestForm(data, schools=schools, initial={"on_date": timezone.localdate()})


def transfer_context(request, student, *, form=None) -> dict:
    """What the profile's "Chuyển trường" card needs: the pending request if there is one (then no form),
    the last decided one (its status, a decline's reason), else the form with the school search."""
    transfers = list(transfers_of_student(school=request.tenant, student_id=student.pk)[:1])
    latest = transfers[0] if transfers else None
    search = request.GET.get("school_q", "").strip()[:100]
    return {
        "transfer_latest": latest,
        "transfer_search": search,
        "transfer_form": form or transfer_form(request.tenant, search=search),
    }
