"""The delivery report of one cause (`Message.reference`, e.g. "notice:12"): counts, the list per recipient
with the channels tried and the reasons, and a CSV export. Reads only, in the current school's schema.

Each message has one outcome, computed in SQL so the list can be filtered and paginated in the database:
- reached: some delivery is sent or delivered (as far as a gateway without receipts will ever tell us);
- pending: nothing reached yet, but a delivery is queued or being sent (held by quiet hours, retrying);
- failed: every delivery failed or fell back and nothing is left to try ("resend to failed" picks these);
- unreachable: no channel at all (no phone, e-mail or subscription we may use): no delivery was written."""

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, CharField, Count, Exists, OuterRef, Prefetch, QuerySet, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context

from messaging.models import Channel, Delivery, Message
from schoolbook.name_order import vietnamese_sort_key
from schoolbook.phones import display_phone
from schoolbook.spreadsheets import cell_text

PAGE_SIZE = 50
STATUSES = Delivery.Status.values  # queued, sending, sent, delivered, failed, fallen_back
REACHED, PENDING, FAILED, UNREACHABLE = "reached", "pending", "failed", "unreachable"
OUTCOMES = {
    REACHED: _("Đã tới người nhận"),
    PENDING: _("Đang xử lý"),
    FAILED: _("Gửi lỗi"),
    UNREACHABLE: _("Không có kênh liên lạc"),
}


@dataclass
class ChannelRow:
    channel: str
    label: str
    counts: dict[str, int]  # status → deliveries
    total: int

    @property
    def cells(self) -> list[int]:
        """The counts in STATUSES order, for a table's columns."""
        return [self.counts[status] for status in STATUSES]


@dataclass
class DeliveryReport:
    by_channel: list[ChannelRow]  # channels with at least one delivery, in the platform's channel order
    status_totals: dict[str, int]  # status → deliveries, all channels
    outcomes: dict[str, int] = field(default_factory=dict)  # outcome → messages
    messages: int = 0
    statuses = Delivery.Status.choices  # the columns, with their labels

    @property
    def total_cells(self) -> list[int]:
        return [self.status_totals[status] for status in STATUSES] + [sum(self.status_totals.values())]

    @property
    def outcome_rows(self) -> list[tuple[str, str, int]]:
        return [(outcome, label, self.outcomes[outcome]) for outcome, label in OUTCOMES.items()]


def _deliveries(statuses) -> Exists:
    return Exists(Delivery.objects.filter(message=OuterRef("pk"), status__in=statuses))


def messages_with_outcome(reference: str) -> QuerySet:
    """The reference's messages, each annotated with `outcome` (see the module's docstring)."""
    S = Delivery.Status
    return (
        Message.objects.filter(reference=reference)
        .annotate(
            reached=_deliveries([S.SENT, S.DELIVERED]),
            live=_deliveries([S.QUEUED, S.SENDING]),
            any_delivery=Exists(Delivery.objects.filter(message=OuterRef("pk"))),
        )
        .annotate(
            outcome=Case(
                When(reached=True, then=Value(REACHED)),
                When(live=True, then=Value(PENDING)),
                When(any_delivery=True, then=Value(FAILED)),
                default=Value(UNREACHABLE),
                output_field=CharField(),
            )
        )
    )


def delivery_report(reference: str) -> DeliveryReport:
    """Counts by channel × status and messages by outcome: two queries whatever the size."""
    grouped = (
        Delivery.objects.filter(message__reference=reference)
        .values_list("channel", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    cells = {(channel, status): n for channel, status, n in grouped}
    rows = []
    for channel in Channel:
        counts = {status: cells.get((channel.value, status), 0) for status in STATUSES}
        if any(counts.values()):
            rows.append(ChannelRow(channel.value, channel.label, counts, sum(counts.values())))
    totals = {status: sum(row.counts[status] for row in rows) for status in STATUSES}
    per_outcome = dict(
        messages_with_outcome(reference).order_by().values_list("outcome").annotate(n=Count("pk"))
    )
    outcomes = {outcome: per_outcome.get(outcome, 0) for outcome in OUTCOMES}
    return DeliveryReport(rows, totals, outcomes, sum(outcomes.values()))


def _ordered_ids(reference: str, outcome: str | None) -> list[int]:
    """The messages' ids in Vietnamese class-list order of the recipient (schoolbook.name_order): one narrow
    query, the key computed here (a message keeps the name it was sent to, not a sort key)."""
    messages = messages_with_outcome(reference)
    if outcome in OUTCOMES:
        messages = messages.filter(outcome=outcome)
    rows = messages.order_by().values_list("pk", "recipient")
    return [pk for pk, _ in sorted(rows, key=lambda row: (vietnamese_sort_key(row[1]), row[0]))]


def _rows(reference: str, ids: list[int]) -> list[Message]:
    """These messages, in this order, with their outcome and `tried`: two queries."""
    tried = Prefetch("deliveries", queryset=Delivery.objects.order_by("pk"), to_attr="tried")
    messages = messages_with_outcome(reference).prefetch_related(tried).in_bulk(ids)
    return [messages[pk] for pk in ids]


def delivery_rows(reference: str, status: str | None = None, page: int | str | None = 1) -> Page:
    """One page of recipients (PAGE_SIZE), filtered by outcome (`status`: reached, pending, failed,
    unreachable; anything else: all). Each message carries `tried` (its deliveries in the order they were
    written, i.e. the channels tried in order), `last_error`, `sent_at` and `delivered_at` (the first
    ones). In Vietnamese class-list order of the recipients' names. Three queries per page: the ordered ids,
    the page and the deliveries."""
    page_obj = Paginator(_ordered_ids(reference, status), PAGE_SIZE).get_page(page)
    page_obj.object_list = [_describe(message) for message in _rows(reference, page_obj.object_list)]
    return page_obj


def _describe(message: Message) -> Message:
    errors = [d.error for d in message.tried if d.error]
    message.last_error = errors[-1] if errors else ""
    sent = [d.sent_at for d in message.tried if d.sent_at]
    message.sent_at = min(sent) if sent else None
    delivered = [d.delivered_at for d in message.tried if d.delivered_at]
    message.delivered_at = min(delivered) if delivered else None
    message.outcome_label = OUTCOMES[message.outcome]
    return message


def failed_message_ids(reference: str) -> list[int]:
    """The messages "resend to failed" should try again: nothing live, nothing reached, something tried."""
    return list(messages_with_outcome(reference).filter(outcome=FAILED).values_list("pk", flat=True))


class _Echo:
    """csv.writer wants a file; this one hands each written line back (Django's streaming CSV recipe)."""

    def write(self, value):
        return value


def delivery_csv(reference: str, extra_columns: Sequence[tuple[str, Callable]] = ()) -> Iterator[str]:
    """Every recipient as CSV lines for a StreamingHttpResponse: UTF-8 with a BOM (Excel then shows the
    accents), Vietnamese headers, values that could run as formulas quoted. Read in chunks with their
    deliveries. `extra_columns`: (header, message → text) the cause adds (a notice: when it was read).
    The rows are produced while the response is sent, after the view has returned: the generator keeps
    the schema and the language that were current when it was made."""
    schema, language = connection.schema_name, translation.get_language()
    writer = csv.writer(_Echo())
    header = [
        gettext("Người nhận"),
        gettext("Số điện thoại"),
        gettext("Email"),
        gettext("Kết quả"),
        gettext("Các kênh đã thử"),
        gettext("Lý do lỗi"),
        gettext("Gửi lúc"),
        gettext("Nhận lúc"),
        *(header for header, _ in extra_columns),
    ]

    def lines():
        yield "\ufeff" + writer.writerow(header)
        with schema_context(schema), translation.override(language):
            ids = _ordered_ids(reference, None)
            chunks = (_rows(reference, ids[start : start + 500]) for start in range(0, len(ids), 500))
            for message in chain.from_iterable(chunks):
                _describe(message)
                tried = "; ".join(
                    f"{d.get_channel_display()}: {d.get_status_display()}" for d in message.tried
                )
                sent_at, delivered_at = (
                    timezone.localtime(when).strftime("%d/%m/%Y %H:%M") if when else ""
                    for when in (message.sent_at, message.delivered_at)
                )
                yield writer.writerow(
                    [
                        cell_text(message.recipient),
                        cell_text(display_phone(message.phone)),
                        cell_text(message.email),
                        str(message.outcome_label),
                        tried,
                        cell_text(message.last_error),
                        sent_at,
                        delivered_at,
                        *(cell_text(value(message)) for _, value in extra_columns),
                    ]
                )

    return lines()
