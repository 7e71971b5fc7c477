"""Which account a school's messages go through: its own (ProviderAccount, in its schema) or the platform's
(settings.GATEWAYS). Reads only; the credentials are unsealed here and nowhere else."""

import json
import logging

from django.conf import settings
from django.db import connection

from messaging.gateways.base import Gateway
from messaging.gateways.registry import get_gateway
from messaging.models import Channel, ProviderAccount
from schoolbook.sealed import UnsealError, unseal

logger = logging.getLogger("schoolbook.messaging")


def school_account(channel: str = Channel.SMS) -> ProviderAccount | None:
    """The current school's own account for `channel`, if it brought one."""
    return ProviderAccount.objects.filter(channel=channel).first()


def account_credentials(account: ProviderAccount) -> dict:
    """The account's credentials (raises UnsealError when the sealing key changed since they were saved)."""
    return json.loads(unseal(account.credentials))


def gateway_options(name: str) -> dict:
    """The options gateway `name` sends with in the current schema: the school's own account's, else the
    platform's (settings.GATEWAYS)."""
    return _school_options(name) or settings.GATEWAYS.get(name) or {}


def gateway_for(name: str) -> Gateway:
    """Gateway `name` configured with the account in use for the current school (its own, else the
    platform's)."""
    return get_gateway(name, _school_options(name))


def _school_options(name: str) -> dict | None:
    """The platform's options for `name` (URL, timeouts, rate) with the school's own credentials over them,
    when the school has an account with this provider; None when it has not. An account that can no longer
    be unsealed gives empty credentials (the provider refuses them, the message falls back and the reason
    says so), never the platform's: the school chose to pay for its own messages."""
    account = ProviderAccount.objects.filter(provider=name).first()
    if account is None:
        return None
    try:
        credentials = account_credentials(account)
    except UnsealError as exc:
        logger.warning("%s: the school's own account is unreadable, %s", name, exc)
        credentials = dict.fromkeys(ACCOUNT_FIELDS[account.provider], "")
    options = {**(settings.GATEWAYS.get(name) or {}), **credentials}
    if account.provider == ProviderAccount.Provider.ZALO:
        # The school's OA keeps its rotating tokens in its own schema (messaging.zalo_tokens); Zalo's
        # addresses (ZNS and OAuth URLs, timeout) are the platform's settings.
        options["token_schema"] = connection.schema_name
    return options


def own_providers() -> dict[str, str]:
    """The provider of each of the current school's own accounts, by channel (one query)."""
    return dict(ProviderAccount.objects.values_list("channel", "provider"))


def sms_gateway_name(default: str) -> str:
    """The SMS gateway for the current school: its own account's provider, else `default` (its choice among
    the platform's gateways, or the platform's default)."""
    account = school_account(Channel.SMS)
    return account.provider if account else default


# What each provider's account is made of, as the gateways' options name it (schoolbook settings.GATEWAYS).
ACCOUNT_FIELDS = {
    ProviderAccount.Provider.ESMS: ("api_key", "secret_key", "brandname"),
    ProviderAccount.Provider.SPEEDSMS: ("token", "sender"),
    ProviderAccount.Provider.ZALO: ("app_id", "app_secret", "oa_secret", "template_id", "refresh_token"),
}
