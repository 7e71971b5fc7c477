"""The fees home (/s/<code>/fees/): the accountant's dashboard, and the next step when fees are not set up."""

from django.shortcuts import render

from payments.catalogue.selectors import current_year
from payments.dashboard.selectors import by_class, by_item, fee_figures, overdue_invoices
from payments.invoicing.selectors import receiving_account
from payments.models import CollectionRound, FeeItem
from payments.permissions import FEE_VIEWERS, can_manage_fees
from schoolbook.permissions import school_role_required


@school_role_required(*FEE_VIEWERS)
def fee_home_view(request):
    year = current_year()
    context = {"year": year, "can_manage": can_manage_fees(request.staff)}
    if year is not None:
        context["setup"] = {
            "account": receiving_account() is not None,
            "items": FeeItem.objects.filter(year=year, archived_at__isnull=True).exists(),
            "rounds": CollectionRound.objects.filter(year=year, generated_at__isnull=False).exists(),
        }
        context.update(
            figures=fee_figures(year),
            classes=by_class(year),
            items=by_item(year),
            overdue=overdue_invoices(year),
        )
    return render(request, "payments/dashboard/home.html", context)
