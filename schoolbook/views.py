from django.conf import settings
from django.db import connection
from django.http import FileResponse, JsonResponse
from django.views.decorators.cache import cache_control

from schoolbook.ratelimit import redis_client

FAVICON = settings.BASE_DIR / "static" / "favicon.ico"


def healthz(request):
    """For the load balancer and docker-compose: the database and Redis answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    redis_client().ping()
    return JsonResponse({"status": "ok"})


@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links to; the icon is served here, not a 404."""
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")
