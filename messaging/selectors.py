"""Reads of the messaging side that pages need before anything is sent."""

from collections import Counter

from django.conf import settings

from messaging.models import Channel, Message, MessagingSettings
from messaging.services import Reach, Recipient, message_recipient
from messaging.sms_text import sms_cost, sms_normalise, sms_segments
from schoolbook.confirm import confirmation_token


def send_estimate(recipients: list[Recipient], body: str, channels: list[str] | None) -> dict:
    """The estimate of one text sent to every one of `recipients` (a notice): see items_estimate."""
    return items_estimate([(recipient, body) for recipient in recipients], channels)


def items_estimate(items: list[tuple[Recipient, str]], channels: list[str] | None) -> dict:
    """What messages_send(items=items, channels=channels) would take, planned exactly as it plans (Reach):
    the number of messages, recipients per first channel, those with no channel at all, the SMS segments of
    the longest text as it would go out (NFC, accents stripped when the school says so) and the SMS cost in
    đồng, both for the recipients whose first channel is SMS and if every recipient who has SMS in their
    plan ended on it (the other channels failing or not delivering in time). `token` fingerprints the
    recipients and texts (schoolbook.confirm): a confirmation is only good for exactly these messages.
    The one estimate of every confirmation page. Two queries (Reach), whatever the size."""
    prefs = MessagingSettings.current()
    recipients = [Recipient.of(recipient) for recipient, _ in items]
    reach = Reach(recipients, prefs)
    segments_of = {
        body: sms_segments(sms_normalise(body, prefs.strip_accents)).segments
        for body in {b for _, b in items}
    }
    first, unreachable, sms_first, sms_any = Counter(), 0, 0, 0
    for recipient, (_, body) in zip(recipients, items, strict=True):
        plan = reach.plan(recipient, channels)
        if not plan:
            unreachable += 1
            continue
        first[plan[0]] += 1
        sms_first += segments_of[body] if plan[0] == Channel.SMS else 0
        sms_any += segments_of[body] if Channel.SMS in plan else 0
    price = settings.SMS_PRICE_PER_SEGMENT_VND
    fingerprint = [
        (r.phone, r.email, r.user_id, body) for r, (_, body) in zip(recipients, items, strict=True)
    ]
    return {
        "messages": len(items),
        "by_channel": {c: first[c] for c in prefs.channel_order or Channel.values if first[c]},
        "unreachable": unreachable,
        "sms_segments": max(segments_of.values(), default=0),
        "sms_cost_vnd": sms_cost(sms_first, price),
        "sms_cost_if_all_fall_back_vnd": sms_cost(sms_any, price),
        "token": confirmation_token(sorted(fingerprint, key=str), channels),
    }


def resend_estimate(message_ids: list[int], channels: list[str] | None) -> dict:
    """The estimate of "resend to failed" (messages_resend): the same messages, to the same people, with
    the same texts, planned on today's addresses."""
    messages = Message.objects.filter(pk__in=message_ids).order_by("pk")
    return items_estimate([(message_recipient(m), m.body) for m in messages], channels)


def format_vnd(amount: int) -> str:
    """Money as Vietnamese write it, whatever the page's language: "1.234.000 đ"."""
    return f"{amount:,}".replace(",", ".") + " đ"
