from django.db import models

from schoolbook.audit.models import AuditEvent


def client_ip(request) -> str | None:
    # Behind our proxy (docker-compose) REMOTE_ADDR is the proxy; the proxy sets X-Real-IP.
    if request is None:
        return None
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    request=None,
    object_repr: str = "",
) -> AuditEvent:
    """Write one audit event in the current schema. Call it inside the service's transaction."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        before=before,
        after=after,
        ip_address=client_ip(request),
    )
