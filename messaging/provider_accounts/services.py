"""A school's own provider accounts: save (or replace), remove, and the test send. Audited without secrets:
the events name the provider and the key's last characters only."""

import json
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext

from messaging import zalo_tokens
from messaging.gateways.base import OutgoingMessage
from messaging.models import Channel, ProviderAccount
from messaging.provider_accounts.selectors import gateway_for, school_account
from messaging.sms_text import sms_normalise
from schoolbook.audit.services import audit_record
from schoolbook.sealed import seal

HINT_LENGTH = 4


def key_hint(credentials: dict) -> str:
    """The last characters of the account's key (a Zalo app's id): enough for a person to tell two apart."""
    key = credentials.get("api_key") or credentials.get("token") or credentials.get("app_id") or ""
    return key[-HINT_LENGTH:]


def _described(account: ProviderAccount) -> dict:
    return {"provider": account.provider, "key": f"…{account.hint}"}


@transaction.atomic
def provider_account_save(
    *, actor, provider: str, credentials: dict, channel: str = Channel.SMS, request=None
) -> ProviderAccount:
    """Store (or replace) the school's own account for `channel`, sealed."""
    account = ProviderAccount.objects.select_for_update().filter(channel=channel).first()
    before = _described(account) if account else None
    account = account or ProviderAccount(channel=channel)
    account.provider = provider
    account.credentials = seal(json.dumps(credentials))
    account.hint = key_hint(credentials)
    account.save()
    if channel == Channel.ZALO:
        zalo_tokens.tokens_forget()  # the old OA's tokens: the next send starts from the new refresh token
    audit_record(
        actor=actor,
        action="provider_account.save",
        obj=account,
        before=before,
        after=_described(account),
        request=request,
    )
    return account


@transaction.atomic
def provider_account_remove(*, actor, channel: str = Channel.SMS, request=None) -> bool:
    """Forget the school's own account: its messages go through the platform's again. False if none."""
    account = ProviderAccount.objects.select_for_update().filter(channel=channel).first()
    if account is None:
        return False
    audit_record(
        actor=actor,
        action="provider_account.remove",
        obj=account,
        before=_described(account),
        request=request,
    )
    account.delete()
    if channel == Channel.ZALO:
        zalo_tokens.tokens_forget()
    return True


@dataclass(frozen=True)
class TestOutcome:
    ok: bool
    answer: str  # the provider's words: its message id, or its error


def provider_account_test(*, actor, channel: str = Channel.SMS, request=None) -> TestOutcome | None:
    """Send one message (an SMS, or a ZNS through the school's OA) through the school's own account to the
    actor's own phone, now, and say what the provider answered. None when the school has no account. The
    send happens outside any transaction (it waits for the provider); the audit event records the outcome."""
    account = school_account(channel)
    if account is None:
        return None
    school = {"school": connection.tenant.name}
    if channel == Channel.ZALO:
        title = gettext("Tin thử của %(school)s") % school
        body = gettext("Sổ liên lạc: tin thử qua Zalo OA riêng của %(school)s.") % school
    else:
        title = ""
        body = sms_normalise(
            gettext("Sổ liên lạc: tin thử qua tài khoản SMS riêng của %(school)s.") % school, True
        )
    # Letters and digits only: Zalo's tracking_id and eSMS's RequestId refuse anything else.
    message = OutgoingMessage(f"test{secrets.token_hex(8)}", actor.phone, body, title=title)
    (result,) = gateway_for(account.provider).send([message])
    if result.error is None:
        outcome = TestOutcome(True, result.provider_message_id)
    else:
        outcome = TestOutcome(False, str(result.error))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="provider_account.test",
            obj=account,
            after={**_described(account), "ok": outcome.ok, "answer": outcome.answer[:200]},
            request=request,
        )
    return outcome
