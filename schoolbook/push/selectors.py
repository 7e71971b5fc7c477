"""What the push pages read from messaging's gateway settings."""

from django.conf import settings

from accounts.push import GATEWAY
from messaging.gateways.registry import gateway_configured


def vapid_public_key() -> str:
    """The key browsers subscribe with; empty when push is not configured (then nobody is offered it)."""
    options = settings.GATEWAYS.get(GATEWAY, {})
    return options.get("vapid_public_key", "") if gateway_configured(GATEWAY) else ""
