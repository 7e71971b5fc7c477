"""Reads of a school's bank-notification services (payments.PaymentProvider rows for SePay and Casso), in
the current school's schema. The key is unsealed here and nowhere else."""

import json
import logging

from payments.models import PaymentProvider
from schoolbook.sealed import UnsealError, unseal

logger = logging.getLogger("schoolbook.payments")

Provider = PaymentProvider.Provider
FEEDS = (Provider.SEPAY, Provider.CASSO)


def feed_accounts() -> dict[str, PaymentProvider]:
    """The school's SePay and Casso accounts it has saved, by provider (one query)."""
    return {account.provider: account for account in PaymentProvider.objects.filter(provider__in=FEEDS)}


def feed_account(provider: str) -> PaymentProvider | None:
    return PaymentProvider.objects.filter(provider=provider).first()


def feed_key(provider: str) -> str:
    """The key `provider`'s webhooks are checked with; "" when the school has none, or when it can no
    longer be unsealed (the sealing key changed): then every webhook is refused until it is entered again,
    and the provider retries or shows the failures to the school."""
    account = feed_account(provider)
    if account is None:
        return ""
    try:
        return json.loads(unseal(account.credentials))["key"]
    except (UnsealError, ValueError, KeyError) as exc:
        logger.warning("%s: the school's webhook key is unreadable, %s", provider, exc)
        return ""
