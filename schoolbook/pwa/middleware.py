"""Marks the pages the service worker may keep for offline use (templates/pwa/sw.js reads the header)."""

from schoolbook.pwa.selectors import offline_owner

OWNER_HEADER = "X-Offline-Cache"
# What base.html renders on a parent's page only (the banner the worker shows on a kept copy): a page
# without it (another base template, a fragment) is not kept, as it could not say it is out of date.
BANNER_MARK = b"data-offline-banner"


class OfflinePagesMiddleware:
    """A signed-in parent's page (a successful GET of HTML carrying the offline banner) gets `X-Offline-Cache:
    <owner>`; the worker keeps exactly those, under that owner. Every other answer (staff, anonymous, POST,
    redirects, errors, files) has no header and is never kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method == "GET"
            and response.status_code == 200
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and BANNER_MARK in response.content
        ):
            owner = offline_owner(request)
            if owner:
                response[OWNER_HEADER] = owner
        return response
