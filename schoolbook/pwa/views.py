"""The installable app's platform pages: the web app manifest, the service worker and the offline page."""

import hashlib
import json

from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from schoolbook.pwa.icons import ICONS_FOLDER

THEME_COLOR = "#0b6bcb"  # app.css --brand
BACKGROUND_COLOR = "#f5f7fb"  # app.css --bg
# The app shell the worker stores at install: what a parent's pages load besides the page itself, so that
# a page kept for offline use looks as it did (fees.css and copy.js: the fees pages).
SHELL_STATIC = [
    "css/app.css",
    "css/fees.css",
    "vendor/htmx-2.0.4.min.js",
    "js/pwa.js",
    "js/push.js",
    "js/copy.js",
    f"{ICONS_FOLDER}icon-192.png",
    f"{ICONS_FOLDER}icon-512.png",
    f"{ICONS_FOLDER}apple-touch-icon-180.png",
]


@require_GET
def manifest(request):
    """The web app manifest: what a browser needs to install Schoolbook on a home screen (Chrome's
    installability: name or short_name, icons of 192 and 512 px, start_url, display; and a worker with a
    fetch handler)."""
    data = {
        "id": "/home/",
        "name": "Sổ liên lạc Schoolbook",
        "short_name": "Schoolbook",
        "description": "Sổ liên lạc điện tử: điểm, chuyên cần, thông báo, đơn xin nghỉ và học phí của con, "
        "từ mọi trường của con, trên một ứng dụng.",
        "lang": "vi",
        "dir": "ltr",
        "start_url": "/home/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["education"],
        "icons": [
            {
                "src": static(f"{ICONS_FOLDER}icon-192.png"),
                "sizes": "192x192",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": static(f"{ICONS_FOLDER}icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": static(f"{ICONS_FOLDER}icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-cache"  # its icons' names change with each deploy's static files
    return response


@require_GET
def service_worker(request):
    """/sw.js at the root, so its scope can be the whole origin (a worker under /static/ could only
    control /static/); never cached, so a new version reaches browsers at their next visit. Its shell list
    names the static files as this deploy serves them, so a deploy that changes one changes the script,
    which makes browsers install the new worker and store the new shell."""
    shell = [static(path) for path in SHELL_STATIC] + ["/favicon.ico", reverse("offline")]
    context = {
        "shell": json.dumps(shell),
        "shell_version": hashlib.blake2b(json.dumps(shell).encode(), digest_size=6).hexdigest(),
    }
    response = render(request, "pwa/sw.js", context, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request):
    """What the worker shows for a page it has not kept when there is no network. Stored at install
    without cookies (templates/pwa/sw.js), so it names nobody; kept by the worker, not the HTTP cache."""
    # offline_owner None: this page knows nobody, so its script must not treat it as a page of nobody's
    # and forget the kept pages (static/js/pwa.js).
    response = render(request, "pwa/offline.html", {"parent_app": False, "offline_owner": None})
    response["Cache-Control"] = "no-cache"
    return response
