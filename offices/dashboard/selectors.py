"""An office's schools with their figures, read from the public summary rows alone (offices.models
SchoolSummary): one query for a page of the list, one for the totals, however many schools."""

from django.db.models import Case, Count, F, FloatField, Max, Min, Q, Sum, When

from offices.models import SchoolSummary
from schoolbook.text import search_fold
from tenants.models import School

# Each figure of the list: (numerator, denominator) of a percentage, or a plain column; "today" figures
# count only when the summary is of today (a summary refreshed yesterday says nothing of today's roll call).
RATES = {
    "coverage": ("roll_calls_taken", "roll_calls_due", True),
    "attendance": ("present", "marked", True),
    "grades": ("grades_entered", "grades_expected", False),
    "reach": ("notice_reached", "notice_recipients", False),
    "fees": ("fees_paid", "fees_due", False),
}
PLAIN = {"name": "name", "students": "summary__students", "leave": "summary__leave_pending",
         "notices": "summary__notices_sent", "refreshed": "summary__refreshed_at"}  # fmt: skip
SORTS = (*PLAIN, *RATES)


def _rate(numerator: str, denominator: str, today_only: bool, today):
    condition = Q(**{f"summary__{denominator}__gt": 0})
    if today_only:
        condition &= Q(summary__day=today)
    return Case(
        When(condition, then=F(f"summary__{numerator}") * 100.0 / F(f"summary__{denominator}")),
        default=None,
        output_field=FloatField(),
    )


def office_schools(*, office, today, search: str = "", sort: str = "name", descending: bool = False):
    """The schools the office covers with their summary and each rate (percent, or None) annotated."""
    schools = (
        School.objects.filter(office_memberships__office=office)
        .select_related("summary")
        .annotate(**{key: _rate(*parts, today) for key, parts in RATES.items()})
    )
    if search:
        schools = schools.filter(search_folded__contains=search_fold(search))
    key = sort if sort in SORTS else "name"
    column = F(PLAIN.get(key, key))
    ordering = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return schools.order_by(ordering, "name", "pk")


def office_totals(*, office, today) -> dict:
    """The office's whole area: schools covered, with a summary, the oldest refresh, and every figure
    summed (the rates of the sums, not the mean of the rates: a big school weighs what it weighs)."""
    summaries = SchoolSummary.objects.filter(school__office_memberships__office=office)
    figures = {
        name: Sum(name)
        for name in ("students", "notices_sent", "notice_recipients", "notice_reached", "leave_pending",
                     "grades_expected", "grades_entered", "fees_due", "fees_paid")
    }  # fmt: skip
    for name in ("roll_calls_due", "roll_calls_taken", "marked", "present"):
        figures[name] = Sum(name, filter=Q(day=today))
    totals = summaries.aggregate(
        with_summary=Count("pk"), oldest=Min("refreshed_at"), newest=Max("refreshed_at"), **figures
    )
    totals["schools"] = office.memberships.count()
    for key, (numerator, denominator, _) in RATES.items():
        total = totals[denominator]
        totals[key] = totals[numerator] * 100.0 / total if total else None
    return totals
