from django import template

from schoolbook.phones import format_national

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """+84912345678 → the national form people dial ("0912 345 678")."""
    try:
        return format_national(e164) if e164 else ""
    except ValueError:
        return e164
