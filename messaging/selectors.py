"""Reads of the messaging side that pages need before anything is sent."""

from collections import Counter

from django.conf import settings

from messaging.models import Channel, MessagingSettings
from messaging.services import Reach, Recipient
from messaging.sms_text import sms_cost, sms_normalise, sms_segments


def send_estimate(recipients: list[Recipient], body: str, channels: list[str] | None) -> dict:
    """What sending `body` to `recipients` would take, planned exactly as messages_send plans it (Reach):
    recipients per first channel, those with no channel at all, the SMS segments of the text as it would
    go out (NFC, accents stripped when the school says so) and the SMS cost in đồng, both for the
    recipients whose first channel is SMS and if every recipient who has SMS in their plan ended on it
    (the other channels failing or not delivering in time). Two queries (Reach), whatever the size."""
    prefs = MessagingSettings.current()
    reach = Reach(recipients, prefs)
    first, with_sms, unreachable = Counter(), 0, 0
    for recipient in recipients:
        plan = reach.plan(recipient, channels)
        if not plan:
            unreachable += 1
            continue
        first[plan[0]] += 1
        with_sms += Channel.SMS in plan
    segments = sms_segments(sms_normalise(body, prefs.strip_accents)).segments
    price = settings.SMS_PRICE_PER_SEGMENT_VND
    return {
        "by_channel": {c: first[c] for c in prefs.channel_order or Channel.values if first[c]},
        "unreachable": unreachable,
        "sms_segments": segments,
        "sms_cost_vnd": sms_cost(segments * first[Channel.SMS], price),
        "sms_cost_if_all_fall_back_vnd": sms_cost(segments * with_sms, price),
    }


def format_vnd(amount: int) -> str:
    """Money as Vietnamese write it, whatever the page's language: "1.234.000 đ"."""
    return f"{amount:,}".replace(",", ".") + " đ"
