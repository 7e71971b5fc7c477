"""Providers' delivery-report webhooks. Public URLs outside /s/<code>/ (a provider has no login), and
csrf-exempt (it has no session either): the gateway's own check of the request is the authentication."""

from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_tenants.utils import schema_context

from messaging.gateways.base import ReceiptRejected
from messaging.gateways.registry import get_gateway
from messaging.services import deliveries_apply_receipts
from tenants.routing import school_for_code


@csrf_exempt
@require_http_methods(["GET", "POST"])  # eSMS reports by GET; a POST form is accepted too
def esms_receipt(request, school: str, token: str):
    """`school` is the school code, or "public" for login codes: the schema whose Delivery ids the report
    carries. The token is checked first, so without it nobody learns which school codes exist."""
    gateway = get_gateway("esms")
    try:
        receipts = gateway.parse_receipt(request)
    except ReceiptRejected:
        return HttpResponseForbidden()
    if school == "public":
        schema = "public"
    else:
        found = school_for_code(school)
        if found is None:
            raise Http404
        schema = found.schema_name
    with schema_context(schema):
        updated = deliveries_apply_receipts(receipts, gateway=gateway.name)
    # eSMS only needs a 200; the count helps whoever replays a report by hand.
    return JsonResponse({"updated": updated})
