"""The Zalo Official Account's access token, kept fresh by rotating its refresh token.

Zalo OAuth v4 (`oauth_url`, POST form `refresh_token, app_id, grant_type=refresh_token`, header `secret_key`)
answers `{access_token, refresh_token, expires_in}` with `expires_in` as a string of seconds (about 25 hours).
Each refresh token works once (and lasts three months): the new pair replaces the old one at once, in one row
of `messaging.ProviderToken`, sealed (schoolbook.sealed). The platform's OA keeps its pair in public; a school
that brought its own OA (messaging.provider_accounts) keeps its pair in its own schema: the gateway's options
name the schema (`token_schema`, default public). Source: Zalo's OAuth v4 as its integrators document it
(https://www.hexasync.vn/zalo-oa-api-huong-dan-cach-lay-access-token-tu-refresh-token/: 25-hour access
token, single-use refresh token valid three months; one OA may authorise several apps).

Two workers must never spend the same refresh token (the loser would get "invalid refresh token" and the OA
would need a new authorisation by hand): a refresh locks the row, then looks again, since another worker may
have refreshed while this one waited for the lock.

When there is no row yet, the options' `refresh_token` (from the OA's authorisation: the platform's
configuration, or what the school's admin entered) seeds it. When the stored refresh token is refused and
the configured one is a different one (the OA was authorised again and the new token put in configuration),
the configured one is tried once.

A refresh whose answer is lost (a timeout after Zalo rotated) leaves us with a spent refresh token; nothing on
our side can prevent that, and it shows as the same permanent error, asking for a new authorisation.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.gateways.base import GatewayError
from messaging.gateways.http_sms import post_json, reply_json
from messaging.models import ProviderToken
from schoolbook.sealed import UnsealError, seal, unseal

PROVIDER = "zalo"
REFRESH_BEFORE = timedelta(minutes=5)  # a token about to expire could die between our check and Zalo's
REAUTHORISE = "cần cấp lại quyền OA cho ứng dụng và đặt refresh token mới vào ZALO_REFRESH_TOKEN"
REAUTHORISE_SCHOOL = "cần cấp lại quyền OA cho ứng dụng và nhập lại tài khoản Zalo OA trong cài đặt gửi tin"
logger = logging.getLogger("schoolbook.messaging")


@dataclass(frozen=True)
class _Pair:
    access_token: str
    refresh_token: str
    expires_in: int


def platform_options() -> dict:
    return settings.GATEWAYS.get("zalo") or {}


def token_stored(options: dict | None = None) -> bool:
    """Whether a refresh token is stored (configuration may hold none once the store is seeded)."""
    options = platform_options() if options is None else options
    with schema_context(_schema(options)):
        return ProviderToken.objects.filter(provider=PROVIDER).exclude(refresh_token="").exists()


def _schema(options: dict) -> str:
    return options.get("token_schema") or "public"


def _reauthorise(options: dict) -> str:
    """What a person must do when the refresh token is refused (the platform's operator, or the school)."""
    return REAUTHORISE if _schema(options) == "public" else REAUTHORISE_SCHOOL


def tokens_forget() -> None:
    """Drop the current schema's stored pair: the school replaced or removed its own OA, whose tokens
    belong to the old authorisation (the next send seeds from the new account)."""
    ProviderToken.objects.filter(provider=PROVIDER).delete()


def access_token(options: dict | None = None, *, rejected: str = "") -> str:
    """A valid access token for the OA of `options` (None: the platform's). `rejected`: the token Zalo has
    just refused ("access token invalid"), which is replaced even if it has not expired by our clock. Raises
    GatewayError: transient when Zalo could not be reached, permanent when it refused the refresh token."""
    options = platform_options() if options is None else options
    with schema_context(_schema(options)):
        if not rejected:
            token = _current(ProviderToken.objects.filter(provider=PROVIDER).first())
            if token:
                return token
        return _refresh(options, rejected)


def _current(row: ProviderToken | None, rejected: str = "") -> str:
    """The stored access token while it has over REFRESH_BEFORE to live and is not `rejected`; else ""."""
    if row is None or not row.expires_at or row.expires_at - timezone.now() <= REFRESH_BEFORE:
        return ""
    token = _open(row.access_token)
    return "" if token == rejected else token


def _open(sealed: str) -> str:
    """The stored token, or "" when there is none or it cannot be unsealed (the sealing key changed): then
    the access token is refreshed, and a refresh token that cannot be read gives way to the configured one."""
    if not sealed:
        return ""
    try:
        return unseal(sealed)
    except UnsealError as exc:
        logger.warning("Zalo: a stored token is unreadable, %s", exc)
        return ""


def _refresh(options: dict, rejected: str) -> str:
    seed = options.get("refresh_token") or ""
    if not seed and not ProviderToken.objects.filter(provider=PROVIDER).exists():
        raise GatewayError(f"Zalo: chưa có refresh token ({_reauthorise(options)})", permanent=True)
    # Seeded before the lock: a concurrent seeding hits the unique provider, and get_or_create reads the row.
    ProviderToken.objects.get_or_create(provider=PROVIDER, defaults={"refresh_token": seal(seed)})
    with transaction.atomic():
        row = ProviderToken.objects.select_for_update().get(provider=PROVIDER)
        token = _current(row, rejected)
        if token:  # refreshed by another worker while we waited for the lock
            return token
        stored = _open(row.refresh_token)
        try:
            pair = _ask_zalo(options, stored)
        except GatewayError as error:
            if not error.permanent or not seed or seed == stored:
                raise
            pair = _ask_zalo(options, seed)  # the OA was authorised again: configuration holds the new token
        row.access_token, row.refresh_token = seal(pair.access_token), seal(pair.refresh_token)
        row.expires_at = timezone.now() + timedelta(seconds=pair.expires_in)
        row.save(update_fields=["access_token", "refresh_token", "expires_at", "rotated_at"])
    return pair.access_token


def _ask_zalo(options: dict, refresh_token: str) -> _Pair:
    """One refresh at Zalo. Transport failures and 5xx are transient (retried by the pipeline); any answer
    without a new pair is Zalo refusing the token (expired after three months, spent, or the app's secret
    changed): permanent, and only a person can fix it."""
    if not refresh_token:
        raise GatewayError(f"Zalo: chưa có refresh token ({_reauthorise(options)})", permanent=True)
    form = {
        "refresh_token": refresh_token,
        "app_id": options.get("app_id", ""),
        "grant_type": "refresh_token",
    }
    try:
        with requests.Session() as session:
            response = post_json(
                session,
                options["oauth_url"],
                None,  # a form, not JSON: `data` below
                timeout=float(options.get("timeout") or 10),
                data=form,
                headers={"secret_key": options.get("app_secret", "")},
            )
        reply = reply_json(response)
    except GatewayError as error:
        if not error.permanent:
            raise
        raise GatewayError(
            f"Zalo từ chối refresh token ({error}): {_reauthorise(options)}", permanent=True
        ) from error
    try:
        return _Pair(reply["access_token"], reply["refresh_token"], int(reply["expires_in"]))
    except (KeyError, TypeError, ValueError):
        reason = reply.get("error_reason") or reply.get("error_description") or reply.get("error_name")
        detail = f"{reply.get('error', '?')} {reason or 'no token in the answer'}"
        raise GatewayError(
            f"Zalo từ chối refresh token ({detail}): {_reauthorise(options)}", permanent=True
        ) from None
