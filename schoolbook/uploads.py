"""Uploads: the body's size is refused before it is read; an attachment (a notice's file, a doctor's note)
is a PDF, PNG or JPEG by its first bytes, within one size limit; a stored file is named after what its
first bytes are, never after the uploader's name for it."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils.translation import gettext

# Recognised by their first bytes: the browser's content type and the file name are the uploader's word.
MAGIC = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
EXTENSIONS = {content_type: extension[1:] for _, content_type, extension in MAGIC}


def detected_type(upload) -> tuple[str, str] | None:
    """(content type, extension) from the file's first bytes, or None for anything else."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for magic, content_type, extension in MAGIC:
        if head.startswith(magic):
            return content_type, extension
    return None


class UploadRefused(ValueError):
    """An attachment we do not keep, with a message for the person who sent it."""


def attachment_max_mb() -> str:
    """The attachment size limit as people read it: "5" (MB)."""
    return f"{settings.NOTICE_ATTACHMENT_MAX_BYTES / 2**20:g}"


def attachment_type(upload) -> str:
    """The content type from the file's first bytes: PDF, PNG or JPEG, or UploadRefused."""
    detected = detected_type(upload)
    if detected is not None:
        return detected[0]
    raise UploadRefused(gettext("“%(name)s” không phải tệp PDF, JPEG hoặc PNG.") % {"name": upload.name})


def attachment_check(upload) -> None:
    """A supporting document (a doctor's note, an exemption's evidence): JPEG, PNG or PDF by its first
    bytes, within the attachments' size limit; UploadRefused saying which limit it broke."""
    if upload.size > settings.NOTICE_ATTACHMENT_MAX_BYTES:
        raise UploadRefused(
            gettext("“%(name)s” quá lớn: tối đa %(limit)s MB.")
            % {"name": upload.name, "limit": attachment_max_mb()}
        )
    attachment_type(upload)


def attachment_response(field_file, *, stem: str) -> FileResponse:
    """A stored attachment served to someone the caller has allowed: the type read from the file's bytes,
    never guessed, PDFs downloaded, never cached. 404 for a file changed on disk since it was checked."""
    file = field_file.open("rb")
    try:
        content_type = attachment_type(file)
    except UploadRefused as error:
        file.close()
        raise Http404 from error
    response = FileResponse(
        file,
        content_type=content_type,
        as_attachment=content_type == "application/pdf",
        filename=f"{stem}.{EXTENSIONS[content_type]}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


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
