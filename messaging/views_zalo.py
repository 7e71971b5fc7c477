"""Zalo's webhook: one public URL for the whole platform (one Official Account serves every school),
csrf-exempt (Zalo has no session); the signature check in ZaloZnsGateway.parse_receipt is the authentication.

Each receipt's tracking id names the schema its delivery lives in (`<schema>-<id>`), so the receipts are
applied per schema, only for active schools' schemas and public (messaging.services.receipts_apply_by_schema).
"""

import logging

from django.http import HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging.gateways.base import ReceiptRejected
from messaging.gateways.registry import get_gateway
from messaging.gateways.zalo import RECEIVED, zns_event
from messaging.services import receipts_apply_by_schema

logger = logging.getLogger("schoolbook.messaging")


@csrf_exempt
@require_POST
def zns_webhook(request):
    gateway = get_gateway("zalo")
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
    return JsonResponse({"updated": receipts_apply_by_schema(receipts, gateway=gateway.name)})
