"""{% bar_item %}: one item of the parent's bottom bar (templates/pwa/_bottom_bar.html)."""

import re

from django import template

register = template.Library()

# 24×24 icons, filled with the text colour (app.css: .bottom-bar svg).
ICONS = {
    "home": "M3 11 12 3l9 8v10h-6v-6H9v6H3z",
    "bell": "M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0z",
    "chat": "M4 4h16v12H8l-4 4z",
    "child": "M12 3a4 4 0 1 1 0 8 4 4 0 0 1 0-8zm-7 18a7 7 0 0 1 14 0z",
}
CURRENT_TAKEN = "parent_bar_current_taken"


@register.inclusion_tag("pwa/_bar_item.html", takes_context=True)
def bar_item(context, href: str, label: str, icon: str, match: str) -> dict:
    """A link of the bar, `aria-current="page"` when `match` (a regular expression) is found in the path and
    no item before it in the same bar matched."""
    taken = context.render_context.get(CURRENT_TAKEN, False)
    current = not taken and re.search(match, context["request"].path) is not None
    if current:
        context.render_context[CURRENT_TAKEN] = True
    return {"href": href, "label": label, "path": ICONS[icon], "current": current}
