"""Template filters for the roster pages."""

from django import template

from schoolbook.phones import display_phone

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """+84912345678 → the national form people dial ("0912 345 678")."""
    return display_phone(e164)
