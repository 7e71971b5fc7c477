"""Web Push pages and endpoints on the platform's origin (outside /s/<code>/): one service worker
(schoolbook.pwa) and one subscription per browser serve a parent's children in every school. The
subscriptions are accounts', the receipts and the gateway's key messaging's, so the pages are composition."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.push import (
    SubscriptionInvalid,
    device_endpoint,
    devices_of_user,
    push_subscription_delete,
    push_subscription_save,
    subscription_parse,
)
from schoolbook.json_errors import json_error
from schoolbook.push.selectors import vapid_public_key
from schoolbook.push.services import ReceiptRefused, push_receipt_apply

RECEIPT_MAX_BYTES = 1024  # {key, receipt}: ~120 bytes


@csrf_exempt  # the service worker has the session cookie but no CSRF token; the receipt token is the check
@require_POST
def push_receipt(request):
    """`{key, receipt}` from the service worker once it has shown the notification of delivery `key`."""
    if len(request.body) > RECEIPT_MAX_BYTES:
        return HttpResponseForbidden()
    try:
        data = json.loads(request.body)
        updated = push_receipt_apply(key=data.get("key"), token=data.get("receipt"))
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError, ReceiptRefused):
        return HttpResponseForbidden()
    return JsonResponse({"updated": updated})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def push_subscriptions(request):
    """GET: what push.js needs to show this device's state (the VAPID key, the user's devices by endpoint).
    POST: this browser's PushSubscription JSON, stored for the signed-in user; 400 with the reason."""
    if request.method == "POST":
        try:
            subscription = subscription_parse(request.body)
        except SubscriptionInvalid as error:
            return json_error(str(error))
        point = push_subscription_save(
            user=request.user, subscription=subscription, user_agent=request.headers.get("User-Agent", "")
        )
        return JsonResponse({"device": _device_json(point)}, status=201)
    return JsonResponse(
        {
            "vapid_public_key": vapid_public_key(),
            "devices": [_device_json(point) for point in devices_of_user(request.user)],
        }
    )


def _device_json(point) -> dict:
    return {
        "id": point.pk,
        "endpoint": device_endpoint(point),
        "label": point.label,
        "is_bad": point.is_bad,
        "bad_reason": point.bad_reason,
        "delete_url": reverse("push_subscription_delete", args=[point.pk]),
    }


@login_required
@require_POST
def push_subscription_remove(request, pk: int):
    """Remove one of the user's devices (404 for anyone else's): JSON for push.js, a redirect for the form."""
    if not push_subscription_delete(user=request.user, pk=pk):
        raise Http404
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"deleted": pk})
    messages.success(request, gettext("Đã gỡ thiết bị. Thiết bị đó sẽ không nhận thông báo nữa."))
    return redirect("devices")


@login_required
def devices_view(request):
    context = {"devices": devices_of_user(request.user), "push_configured": bool(vapid_public_key())}
    return render(request, "accounts/devices.html", context)
