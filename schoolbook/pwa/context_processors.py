"""What base.html needs for the parent's app: whether to show the bottom bar and the offline banner, and the
owner name the page's script compares with the pages kept on the device. Callables: worked out only by a
template that asks (most HTMX fragments do not)."""

from schoolbook.pwa.icons import ICONS_FOLDER
from schoolbook.pwa.selectors import offline_owner, parent_app
from schoolbook.pwa.views import THEME_COLOR


def pwa(request):
    return {
        "parent_app": lambda: parent_app(request),
        "offline_owner": lambda: offline_owner(request),
        "app_icons": ICONS_FOLDER,
        "theme_color": THEME_COLOR,
    }
