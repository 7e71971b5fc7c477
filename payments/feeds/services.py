"""A school's bank-notification service (SePay or Casso): saving or replacing the key its webhooks are
checked with (sealed, schoolbook.sealed), removing it, and storing what a checked webhook reports through
the ledger (payments.ledger.services.transaction_record: once per provider id, matched at once).

Audited without secrets: the events name the provider and the key's last characters only."""

import datetime
import json
from zoneinfo import ZoneInfo

from django.db import transaction

from payments.bank_feeds import BankTransaction as FeedTransaction
from payments.bank_feeds import FeedRefused
from payments.ledger.services import Incoming, transaction_record
from payments.models import BankTransaction, PaymentProvider
from schoolbook.audit.services import audit_record
from schoolbook.sealed import seal

HINT_LENGTH = 4
# How SePay and Casso write the moment of a transaction (Vietnam time); Casso's samples also use ISO 8601.
MOMENT_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _described(account: PaymentProvider) -> dict:
    return {"provider": account.provider, "key": f"…{account.hint}"}


@transaction.atomic
def feed_account_save(*, actor, provider: str, key: str) -> PaymentProvider:
    """Store (or replace) the school's account with SePay or Casso: the key its webhooks carry."""
    account = PaymentProvider.objects.select_for_update().filter(provider=provider).first()
    before = _described(account) if account else None
    account = account or PaymentProvider(provider=provider)
    account.credentials = seal(json.dumps({"key": key}))
    account.hint = key[-HINT_LENGTH:]
    account.save()
    audit_record(
        actor=actor, action="payments.feed_save", obj=account, before=before, after=_described(account)
    )
    return account


@transaction.atomic
def feed_account_remove(*, actor, provider: str) -> bool:
    """Forget the school's account with `provider`: its webhooks are refused from now on. False if none."""
    account = PaymentProvider.objects.select_for_update().filter(provider=provider).first()
    if account is None:
        return False
    audit_record(actor=actor, action="payments.feed_remove", obj=account, before=_described(account))
    account.delete()
    return True


def feed_transaction_record(found: FeedTransaction) -> tuple[BankTransaction, bool]:
    """Store an incoming transfer a checked webhook reported, once per (provider, id), and match it
    (the ledger); a replay returns the stored row and changes nothing."""
    return transaction_record(
        Incoming(
            source=found.provider,
            provider_id=found.provider_id,
            amount=found.amount,
            note=found.note,
            occurred_at=occurred_at(found.occurred_at),
            reference=found.reference,
        )
    )


def occurred_at(text: str) -> datetime.datetime:
    """The moment a feed wrote ("2024-10-03 15:06:37", Vietnam time), aware; FeedRefused if it is not one."""
    for layout in MOMENT_FORMATS:
        try:
            moment = datetime.datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
        return moment.replace(tzinfo=VIETNAM)
    raise FeedRefused(f"the transaction time must be YYYY-MM-DD HH:MM:SS: {text!r}")
