from django.db import connection
from django.http import JsonResponse

from schoolbook.ratelimit import redis_client


def healthz(request):
    """For the load balancer and docker-compose: the database and Redis answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    redis_client().ping()
    return JsonResponse({"status": "ok"})
