"""The school's messaging settings saved, audited with what changed."""

from django.db import transaction
from django.utils.translation import gettext

from messaging.models import MessagingSettings
from schoolbook.audit.services import audit_record

SETTINGS_FIELDS = (  # a school's MessagingSettings saved as given; `channel_order` is checked by the form
    "fallback_minutes",
    "sms_gateway",
    "strip_accents",
    "quiet_hours_start",
    "quiet_hours_end",
    "teacher_notices_need_approval",
)


@transaction.atomic
def messaging_settings_update(*, actor, **values) -> MessagingSettings:
    """Save the school's settings (its single row, created on first save), audited with what changed.
    The view validates with MessagingSettingsForm; the row is locked so two admins saving at once each
    record their own before/after."""
    unknown = set(values) - {"channel_order", *SETTINGS_FIELDS}
    if unknown:
        raise TypeError(f"not messaging settings: {', '.join(sorted(unknown))}")
    prefs = MessagingSettings.objects.select_for_update().order_by("pk").first()
    if prefs is None:
        prefs = MessagingSettings.current()  # the defaults, unsaved
    before = _snapshot(prefs)
    for name, value in values.items():
        setattr(prefs, name, value)
    after = _snapshot(prefs)
    if prefs.pk is None or before != after:
        prefs.save()
        changed = {k for k in after if before[k] != after[k]}
        audit_record(
            actor=actor,
            action="messaging_settings.update",
            obj=prefs,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            object_repr=gettext("Cài đặt gửi tin"),
        )
    return prefs


def _snapshot(prefs: MessagingSettings) -> dict:
    """JSON-ready values for the audit (times as HH:MM)."""
    values = {name: getattr(prefs, name) for name in ("channel_order", *SETTINGS_FIELDS)}
    for name in ("quiet_hours_start", "quiet_hours_end"):
        values[name] = values[name].strftime("%H:%M")
    values["channel_order"] = list(values["channel_order"])
    return values
