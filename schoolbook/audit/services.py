"""The audit log's one writer: `audit_record` stores who did what to which object, from where (the
current origin: address, browser, request id), in the current schema."""

from django.db import models

from schoolbook.audit.context import current_origin
from schoolbook.audit.models import AuditEvent


def client_ip() -> str | None:
    """The address of the current request (set by OriginMiddleware), None outside one."""
    return current_origin().address


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    object_repr: str = "",
) -> AuditEvent:
    """Write one audit event in the current schema. Call it inside the service's transaction.

    Where it came from (address, browser, request id) is the current origin, set by OriginMiddleware."""
    origin = current_origin()
    return AuditEvent.objects.create(
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        before=before,
        after=after,
        ip_address=origin.address,
        user_agent=origin.user_agent,
        request_id=origin.request_id,
    )
