"""A school's bank-notification services: the settings page where fee managers enter, replace or remove
the SePay API key or the Casso Webhook V2 key (everyone else: 404), and the two public webhooks SePay and
Casso call when money reaches the school's account.

The webhooks are outside /s/<code>/ (a provider has no login) and csrf-exempt (no session either); the
school's key is the authentication. `/hooks/sepay/<code>/` and `/hooks/casso/<code>/` work in that school's
schema only, so a request can never touch another school's records. Any request that cannot be verified (no
such active school, no account with that provider, a wrong key or signature, a stale signature) gets the same
403 and changes nothing (for Casso, a body that is not JSON too: its signature cannot be checked). An
authenticated body that cannot be read gets a 400 with a short reason, which SePay and Casso show in their
delivery logs. Otherwise the answer is what the providers document: `{"success": true}`
with a 2xx (201 when the transfer is new, 200 for a replay or an outgoing transfer, which are not stored).

Sources: SePay, developer.sepay.vn "SePay Webhooks" (tich-hop-webhook: the body, `Authorization: Apikey`,
`{"success": true}` with 200 or 201; xu-ly-loi: retries on any status outside 200–299 or no answer within
30 s, 8 attempts with Fibonacci waits over about 33 minutes, so the same id comes again). Casso,
developer.casso.vn "Thiết lập Webhook thủ công" (Webhook V2, the "Gọi thử" test call) and
CassoHQ/casso-webhook-v2-verify-signature (the signature and its sample transaction, id 0). docs/bank-feeds.md
says it for schools.
"""

import json
import logging
import time

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from payments.bank_feeds import (
    FeedRefused,
    casso_transaction,
    casso_verify,
    sepay_authorised,
    sepay_transaction,
)
from payments.feeds.forms import FeedKeyForm
from payments.feeds.selectors import FEEDS, Provider, feed_account, feed_accounts, feed_key
from payments.feeds.services import feed_account_remove, feed_account_save, feed_transaction_record
from payments.permissions import FEE_MANAGERS
from schoolbook.confirm import confirm_page, confirmation_token, confirmed
from schoolbook.permissions import school_role_required
from tenants.routing import school_for_code

logger = logging.getLogger("schoolbook.payments")

# Casso's "Gọi thử" (test call) sends its sample transaction, whose id is 0 (CassoHQ's published sample in
# casso-webhook-v2-verify-signature); real transactions have positive ids. It is answered, never stored.
CASSO_TEST_ID = "0"


# --- the settings page ---------------------------------------------------------------------------------


@school_role_required(*FEE_MANAGERS)
def feeds_settings_view(request):
    return _settings_page(request)


def _settings_page(request, *, submitted: FeedKeyForm | None = None):
    """Both cards, each with its state, the webhook address to give the provider and the key's form (the
    submitted one with its errors: 400)."""
    accounts = feed_accounts()
    cards = [
        {
            "provider": provider,
            "account": accounts.get(provider),
            "form": submitted
            if submitted and submitted.provider == provider
            else FeedKeyForm(provider=provider),
            "webhook": request.build_absolute_uri(
                reverse(
                    f"{provider}_webhook", urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=[request.tenant.code]
                )
            ),
        }
        for provider in FEEDS
    ]
    status = 400 if submitted is not None else 200
    return render(request, "payments/feeds/settings.html", {"cards": cards}, status=status)


@school_role_required(*FEE_MANAGERS)
@require_POST
def feed_save_view(request, provider):
    form = FeedKeyForm(request.POST, provider=provider)
    if not form.is_valid():
        return _settings_page(request, submitted=form)
    feed_account_save(actor=request.user, provider=provider, key=form.cleaned_data["key"])
    messages.success(
        request,
        gettext("Đã lưu key %(provider)s. Hãy đặt địa chỉ webhook bên dưới trong %(provider)s rồi gọi thử.")
        % {"provider": Provider(provider).label},
    )
    return redirect("payment_feeds_settings")


@school_role_required(*FEE_MANAGERS)
def feed_remove_view(request, provider):
    """Asks first (schoolbook.confirm): from then on the provider's webhooks are refused, so transfers are
    no longer recorded by themselves."""
    account = feed_account(provider)
    if account is None:
        return redirect("payment_feeds_settings")
    token = confirmation_token("feed-remove", account.pk, account.hint, account.updated_at)
    if not confirmed(request, token):
        label = Provider(provider).label
        return confirm_page(
            request,
            title=gettext("Ngừng nhận thông báo từ %(provider)s?") % {"provider": label},
            action=request.path,
            token=token,
            summary=[
                gettext(
                    "Key đã lưu (kết thúc bằng …%(hint)s) bị xoá hẳn. Từ lúc này mọi thông báo giao dịch từ "
                    "%(provider)s bị từ chối: tiền phụ huynh chuyển không còn tự ghi nhận, kế toán phải nhập "
                    "sao kê. Muốn dùng lại phải nhập lại key."
                )
                % {"hint": account.hint, "provider": label}
            ],
            button=gettext("Xác nhận xoá"),
            back=reverse("payment_feeds_settings"),
        )
    feed_account_remove(actor=request.user, provider=provider)
    messages.success(request, gettext("Đã xoá key %(provider)s.") % {"provider": Provider(provider).label})
    return redirect("payment_feeds_settings")


# --- the webhooks ------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def sepay_webhook(request, code: str):
    school = _active_school(code)
    if school is None:
        return _refused("sepay", code, "no such active school")
    with schema_context(school.schema_name):
        if not sepay_authorised(request.headers.get("Authorization", ""), feed_key(Provider.SEPAY)):
            return _refused("sepay", code, "no account or a wrong API key")
        try:
            return _recorded(sepay_transaction(_body(request)))
        except FeedRefused as exc:
            return _unreadable("sepay", code, exc)


@csrf_exempt
@require_POST
def casso_webhook(request, code: str):
    school = _active_school(code)
    if school is None:
        return _refused("casso", code, "no such active school")
    with schema_context(school.schema_name):
        key = feed_key(Provider.CASSO)
        if not key:
            return _refused("casso", code, "no account")
        try:  # a body that is not JSON cannot be verified: refused like a wrong signature
            payload = _body(request)
            casso_verify(request.headers.get("X-Casso-Signature", ""), payload, key, now_ms=_now_ms())
        except FeedRefused as exc:
            return _refused("casso", code, str(exc))
        try:
            found = casso_transaction(payload)
        except FeedRefused as exc:
            return _unreadable("casso", code, exc)
        if found is not None and found.provider_id == CASSO_TEST_ID:
            return JsonResponse({"success": True})
        return _recorded(found)


def _active_school(code: str):
    school = school_for_code(code)
    return school if school is not None and school.is_active else None


def _now_ms() -> int:
    return int(time.time() * 1000)


def _body(request):
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise FeedRefused("the body is not JSON") from None


def _recorded(found) -> JsonResponse:
    """Store the transfer (the ledger matches it); an outgoing one (None) is not a payment."""
    if found is None:
        return JsonResponse({"success": True})
    _row, created = feed_transaction_record(found)
    return JsonResponse({"success": True}, status=201 if created else 200)


def _refused(provider: str, code: str, why: str) -> HttpResponseForbidden:
    logger.warning("%s webhook for %s refused: %s", provider, code, why)
    return HttpResponseForbidden()


def _unreadable(provider: str, code: str, exc: FeedRefused) -> JsonResponse:
    logger.warning("%s webhook for %s unreadable: %s", provider, code, exc)
    return JsonResponse({"success": False, "error": str(exc)}, status=400)
