"""QR codes as inline SVG (segno), for the two-factor setup page."""

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, title: str) -> SafeString:
    """An `<svg role="img">` that encodes `data`: dark modules on white with the standard quiet zone,
    sized by CSS, named by its `<title>`. segno writes the markup (the title is escaped by segno)."""
    svg = segno.make(data, error="m").svg_inline(
        scale=5, border=4, dark="#1d2433", light="#fff", title=title, omitsize=True, svgclass="qr"
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # segno escapes the title
