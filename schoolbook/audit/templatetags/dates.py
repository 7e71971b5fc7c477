from django import template
from django.utils import timezone, translation

from schoolbook.dates import moment_words

register = template.Library()


@register.filter
def in_words(value):
    """A stored moment in words in the page's language: "hôm qua lúc 18:02", "7 tháng 12, 2026 lúc 09:15"."""
    if not value:
        return ""
    return moment_words(
        timezone.localtime(value), today=timezone.localdate(), language=translation.get_language() or "vi"
    )
