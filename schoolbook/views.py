"""Small platform pages: the favicon (the health check is schoolbook.health)."""

from django.conf import settings
from django.http import FileResponse
from django.views.decorators.cache import cache_control

FAVICON = settings.BASE_DIR / "static" / "favicon.ico"


@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links to; the icon is served here, not a 404."""
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")
