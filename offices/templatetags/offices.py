"""The office list's sortable headers and its percentages."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def percent(value) -> str:
    """A rate as "93,4 %" (Vietnamese decimal comma), "—" when there is none."""
    if value is None:
        return "—"
    return f"{value:.1f}".replace(".", ",") + " %"


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
