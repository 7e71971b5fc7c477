"""The installed app's icons (the web app manifest's and the iPhone home screen's), drawn with Pillow
(installed already: reportlab needs it) by `manage.py app_icons` into static/icons/app-<version>/. The files
are committed; draw them again, with ICONS_VERSION raised, only to change the drawing: a new folder keeps
browsers from showing an old icon they cached under the same name."""

from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw

ICONS_VERSION = 1
ICONS_FOLDER = f"icons/app-{ICONS_VERSION}/"  # under static/
BRAND = (11, 107, 203)  # app.css --brand
PAPER = (255, 255, 255)
SUPERSAMPLE = 4  # drawn 4× larger, then reduced: smooth edges without an antialiasing library

# (file name, size, maskable): "any" icons are a rounded square with its corners transparent; a maskable
# one fills the square, its drawing inside the central 80 % circle every platform's mask keeps; iOS rounds
# the corners of apple-touch-icon itself and shows transparency as black, so that one is full too.
ICONS = [
    ("icon-192.png", 192, False),
    ("icon-512.png", 512, False),
    ("icon-maskable-512.png", 512, True),
    ("apple-touch-icon-180.png", 180, True),
]


def icons_folder() -> Path:
    return Path(settings.BASE_DIR) / "static" / ICONS_FOLDER


def icon_draw(size: int, *, full: bool) -> Image.Image:
    """An open contact book, white on the brand's blue, `size` pixels square."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if full:
        draw.rectangle((0, 0, big, big), fill=BRAND)
        scale = 0.62  # the book inside the maskable safe zone (a circle of 80 % of the width)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=BRAND)
        scale = 0.74

    def at(x: float, y: float) -> tuple[float, float]:
        """A point of the book drawn on a unit square, placed in the middle of the icon at `scale`."""
        return (big * (0.5 + (x - 0.5) * scale), big * (0.5 + (y - 0.5) * scale))

    gap = 0.025  # the spine between the pages
    for side in (-1, 1):
        outer = 0.5 + side * 0.5
        inner = 0.5 + side * gap
        draw.polygon([at(inner, 0.22), at(outer, 0.12), at(outer, 0.80), at(inner, 0.90)], fill=PAPER)
        rise = 0.10 / (0.5 - gap)  # the page's top edge rises outwards; its written lines follow it
        for n in range(4):
            y = 0.32 + n * 0.13
            start, end = inner + side * 0.08, outer - side * 0.08
            draw.line(
                [at(start, y - rise * abs(start - inner)), at(end, y - rise * abs(end - inner))],
                fill=BRAND,
                width=max(1, int(big * 0.03 * scale)),
            )
    return image.resize((size, size), Image.LANCZOS)
