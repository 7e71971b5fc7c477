"""Uploads: the body's size is refused before it is read, and a stored file is named
after what its first bytes are, never after the uploader's name for it."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext

# Recognised by their first bytes: the browser's content type and the file name are the uploader's word.
MAGIC = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


def detected_type(upload) -> tuple[str, str] | None:
    """(content type, extension) from the file's first bytes, or None for anything else."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for magic, content_type, extension in MAGIC:
        if head.startswith(magic):
            return content_type, extension
    return None


def stored_name(folder: str, upload) -> str:
    """<folder>/<random><extension of the detected type>: the uploaded name neither climbs out of the folder
    nor chooses how the file is served (x.php.jpg, x.html). Only checked files get here (PDF, PNG, JPEG)."""
    detected = detected_type(upload)
    if detected is None:
        raise ValueError("only checked uploads are stored")
    return f"{folder}/{uuid.uuid4().hex}{detected[1]}"


def request_limit(path: str) -> int:
    for pattern, limit in settings.REQUEST_MAX_BYTES_BY_PATH:
        if re.search(pattern, path):
            return limit
    return settings.REQUEST_MAX_BYTES


class RequestSizeMiddleware:
    """413 for a request whose declared Content-Length is over the path's limit, before the body is read
    (a body without Content-Length, chunked, is bounded by DATA_UPLOAD_MAX_MEMORY_SIZE and the proxy's
    client_max_body_size)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = request_limit(request.path)
        if length > limit:
            return HttpResponse(
                gettext("Dữ liệu gửi lên quá lớn (tối đa %(size)s MB).") % {"size": f"{limit / 2**20:g}"},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
