"""Reads of the gate: the device a token belongs to, the devices page's list, and the review list of events
whose person we could not match."""

import datetime
import hashlib

from django.db.models import Count, Q
from django.utils import timezone

from attendance.models import GateDevice, GateEvent


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_for_token(token: str) -> GateDevice | None:
    """The active device with this token (one lookup on the unique hash index), else None."""
    if not token:
        return None
    return GateDevice.objects.filter(token_hash=token_hash(token), is_active=True).first()


def devices_with_counts() -> list[GateDevice]:
    """Every device, active first, each with `events_today` (one query whatever the number of devices)."""
    today = local_day_start(timezone.now())
    return list(
        GateDevice.objects.annotate(
            events_today=Count("events", filter=Q(events__occurred_at__gte=today))
        ).order_by("-is_active", "name", "pk")
    )


def local_day_start(moment: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def pending_events():
    """Events whose person is not known and that nobody has dealt with yet, oldest first."""
    return (
        GateEvent.objects.filter(student__isnull=True, resolved_by__isnull=True)
        .select_related("device")
        .order_by("occurred_at", "pk")
    )
