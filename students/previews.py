"""Import previews (issue 12, item 7): the uploaded bytes of a roster, staff or gradebook import wait for
their confirmation in PostgreSQL (students.models.ImportPreview), in the school's schema, not in Redis (the
Celery broker). One per person: a new upload replaces the last. A preview is deleted once committed; an
expired one by the next upload in the school or by the hourly cleanup task."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from students.models import ImportPreview

PREVIEW_SECONDS = 30 * 60


def _expired_before(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=PREVIEW_SECONDS)


@transaction.atomic
def preview_save(
    *, actor, kind: str, data: bytes, filename: str, context: dict | None = None
) -> ImportPreview:
    """Keep `data` for the actor's confirmation, replacing their previous preview; expired ones go too."""
    now = timezone.now()
    ImportPreview.objects.filter(created_at__lt=_expired_before(now)).delete()
    ImportPreview.objects.filter(user=actor).delete()
    return ImportPreview.objects.create(
        user=actor,
        token=secrets.token_urlsafe(16),
        kind=kind,
        filename=filename[-255:],
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        context=context or {},
        created_at=now,
    )


def preview_get(*, actor, token: str, kind: str | tuple[str, ...], context: dict | None = None):
    """The actor's live preview with this token (and kind and context), or None."""
    kinds = (kind,) if isinstance(kind, str) else kind
    preview = (
        ImportPreview.objects.filter(
            user=actor, token=token, kind__in=kinds, created_at__gte=_expired_before(timezone.now())
        ).first()
        if token
        else None
    )
    if preview is None or (context is not None and preview.context != context):
        return None
    preview.data = bytes(preview.data)  # psycopg hands back a memoryview
    return preview


def preview_delete(*, actor, preview: ImportPreview) -> None:
    ImportPreview.objects.filter(pk=preview.pk, user=actor).delete()


def previews_clean(now: dt.datetime | None = None) -> int:
    """Delete the school's expired previews; how many."""
    deleted, _ = ImportPreview.objects.filter(created_at__lt=_expired_before(now or timezone.now())).delete()
    return deleted
