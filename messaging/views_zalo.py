"""Zalo's webhooks, csrf-exempt (Zalo has no session); the signature check in ZaloZnsGateway.parse_receipt
is the authentication.

- `/hooks/zalo/`: the platform's OA. Each receipt's tracking id names the schema its delivery lives in
  (`delivery_key`), so the receipts are applied per schema, only for active schools' schemas and public
  (messaging.services.receipts_apply_by_schema).
- `/hooks/zalo/<code>/`: a school's own OA (messaging.provider_accounts), whose Zalo app the school points
  here. Signed with that school's OA secret, and applied in that school's schema only: a receipt for any
  other schema finds nothing there. Any request that cannot be verified (no such active school, no OA of
  its own, a wrong signature) gets the same 403.
"""

import logging
from collections.abc import Callable

from django.http import HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from messaging.gateways.base import Gateway, Receipt, ReceiptRejected
from messaging.gateways.registry import get_gateway
from messaging.gateways.zalo import RECEIVED, zns_event
from messaging.models import Channel
from messaging.provider_accounts.selectors import gateway_for, school_account
from messaging.services import deliveries_apply_receipts, receipts_apply_by_schema
from tenants.routing import school_for_code

logger = logging.getLogger("schoolbook.messaging")


@csrf_exempt
@require_POST
def zns_webhook(request):
    gateway = get_gateway("zalo")
    return _receive(
        request, gateway, lambda receipts: receipts_apply_by_schema(receipts, gateway=gateway.name)
    )


@csrf_exempt
@require_POST
def zns_school_webhook(request, code: str):
    school = school_for_code(code)
    if school is None or not school.is_active:
        return HttpResponseForbidden()
    with schema_context(school.schema_name):
        if school_account(Channel.ZALO) is None:
            return HttpResponseForbidden()
        gateway = gateway_for("zalo")
        return _receive(
            request, gateway, lambda receipts: deliveries_apply_receipts(receipts, gateway=gateway.name)
        )


def _receive(request, gateway: Gateway, apply: Callable[[list[Receipt]], int]):
    try:
        receipts = gateway.parse_receipt(request)
    except ReceiptRejected as exc:
        logger.warning("Zalo webhook refused: %s", exc)
        return HttpResponseForbidden()
    event_name = zns_event(request.body).get("event_name", "")
    if event_name != RECEIVED:
        # Followers' messages and other OA events come to the same URL; Zalo only needs a 200.
        return JsonResponse({"ignored": event_name})
    # The count helps whoever replays an event by hand: a replay changes nothing and says 0.
    return JsonResponse({"updated": apply(receipts)})
