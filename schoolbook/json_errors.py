"""The one way a JSON endpoint refuses a request: `{"error": …}` with the status, and any further fields
the endpoint's clients read (the gate API's `detail`, its rejected events). Pages' scripts (the grids, the
push subscription) show `error` to the person as it is, so it is a sentence in their language; machine
clients (gate devices) get a stable code there and the sentence in `detail`."""

from django.http import JsonResponse


def json_error(error: str, status: int = 400, **fields) -> JsonResponse:
    return JsonResponse({"error": error, **fields}, status=status)
