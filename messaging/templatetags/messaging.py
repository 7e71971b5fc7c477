from django import template

from accounts.models import Channel
from messaging.outbox.selectors import format_vnd

register = template.Library()


@register.filter
def vnd(amount) -> str:
    """1234000 → "1.234.000 đ"."""
    return format_vnd(int(amount or 0))


@register.filter
def channel_label(value: str) -> str:
    return Channel(value).label
