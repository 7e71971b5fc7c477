"""The office list's sortable headers and its percentages."""

from django import template
from django.utils.html import format_html

from schoolbook.text import decimal_percent

register = template.Library()


@register.filter
def percent(value) -> str:
    """A rate as "93,4%" (schoolbook.text.decimal_percent), "—" when there is none."""
    return "—" if value is None else decimal_percent(value)


@register.simple_tag(takes_context=True)
def sort_link(context, key: str, label: str) -> str:
    """A header that sorts by `key`; on the current column it flips the direction and shows an arrow."""
    current, descending = context["sort"], context["descending"]
    query = context["request"].GET.copy()
    query.pop("page", None)
    query["sort"] = key
    flip = key == current and not descending
    if flip:
        query["dir"] = "desc"
    else:
        query.pop("dir", None)
    arrow = (" ↓" if descending else " ↑") if key == current else ""
    return format_html('<a href="?{}">{}{}</a>', query.urlencode(), label, arrow)
