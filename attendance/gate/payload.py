"""What a device posts to the events API, parsed and validated; nothing is stored here.

Why a whole request is refused when one of its events is bad: a device retries a refused request as it is,
so storing half of it would make the retry a mix of new and duplicate events; all or nothing keeps "the
answer for this request" one fact, as the roster and gradebook imports do."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from attendance.models import GateEvent

MAX_EVENTS = 500  # per request: a device that was offline sends its backlog in several requests
# An event later than this after the clock of the server is a device with a wrong clock: refused, since it
# would mark lateness (and tell parents) for a time that has not come.
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)


class GateEventError(ValueError):
    """Why a request was refused: `code` for programs, `message` for people, `index` of the bad event
    (None when the request as a whole is wrong) and the `field` at fault."""

    def __init__(self, code: str, message: str, *, index: int | None = None, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.index, self.field = code, message, index, field

    def as_json(self) -> dict:
        answer = {"error": self.code, "detail": self.message}
        if self.index is not None:
            answer["index"] = self.index
        if self.field is not None:
            answer["field"] = self.field
        return answer


@dataclass(frozen=True)
class IncomingEvent:
    event_id: str
    kind: str
    person_ref: str
    occurred_at: datetime.datetime


def _text(event: dict, index: int, name: str, max_length: int) -> str | None:
    value = event.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # some devices number their events
    if not isinstance(value, str) or not value.strip():
        raise GateEventError(
            "invalid_event", gettext("Phải là một chuỗi không rỗng."), index=index, field=name
        )
    value = value.strip()
    if len(value) > max_length:
        raise GateEventError(
            "invalid_event", gettext("Dài quá %(max)d ký tự.") % {"max": max_length}, index=index, field=name
        )
    return value


def _event_parse(event, index: int, now: datetime.datetime) -> IncomingEvent:
    if not isinstance(event, dict):
        raise GateEventError("invalid_event", gettext("Mỗi sự kiện phải là một đối tượng JSON."), index=index)
    event_id = _text(event, index, "event_id", 100)
    if event_id is None:
        raise GateEventError("invalid_event", gettext("Thiếu event_id."), index=index, field="event_id")
    kind = event.get("kind")
    if kind not in GateEvent.Kind.values:
        raise GateEventError(
            "invalid_event", gettext('kind phải là "arrival" hoặc "departure".'), index=index, field="kind"
        )
    code, card = _text(event, index, "student_code", 100), _text(event, index, "card", 100)
    if code is None and card is None:
        raise GateEventError(
            "invalid_event", gettext("Thiếu student_code (hoặc card)."), index=index, field="student_code"
        )
    raw = event.get("occurred_at")
    try:
        occurred_at = datetime.datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        occurred_at = None
    if occurred_at is None:
        example = "2026-11-25T07:02:13+07:00"
        raise GateEventError(
            "invalid_event", gettext("occurred_at phải là thời điểm ISO 8601, ví dụ %(example)s.")
            % {"example": example}, index=index, field="occurred_at",
        )  # fmt: skip
    if occurred_at.tzinfo is None:
        raise GateEventError(
            "invalid_event",
            gettext("occurred_at phải có múi giờ, ví dụ +07:00."),
            index=index,
            field="occurred_at",
        )
    if occurred_at > now + FUTURE_TOLERANCE:
        raise GateEventError(
            "invalid_event", gettext("occurred_at ở tương lai: đồng hồ của thiết bị có sai không?"),
            index=index, field="occurred_at",
        )  # fmt: skip
    return IncomingEvent(event_id, kind, code or card, occurred_at)


def events_parse(payload, now: datetime.datetime | None = None) -> list[IncomingEvent]:
    """One event object or {"events": [...]} (1 to MAX_EVENTS) → the events, or GateEventError for the first
    problem. Nothing is stored here."""
    now = now or timezone.now()
    if not isinstance(payload, dict):
        raise GateEventError("invalid_json", gettext("Nội dung phải là một đối tượng JSON."))
    if "events" not in payload:
        return [_event_parse(payload, 0, now)]
    events = payload["events"]
    if not isinstance(events, list) or not events:
        raise GateEventError(
            "invalid_json", gettext("events phải là một danh sách không rỗng."), field="events"
        )
    if len(events) > MAX_EVENTS:
        raise GateEventError(
            "too_many_events",
            gettext("Tối đa %(max)d sự kiện mỗi lần gửi (nhận được %(count)d).")
            % {"max": MAX_EVENTS, "count": len(events)},
            field="events",
        )
    return [_event_parse(event, index, now) for index, event in enumerate(events)]
