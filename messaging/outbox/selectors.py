"""Reads of the outbox: who a message is for and what they can be reached by (the channel plan that
messages_send writes), and the estimates of what sending would take that pages show before anything is
sent."""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings

from accounts.models import ContactPoint
from messaging.gateways.registry import gateway_configured
from messaging.models import Channel, Message, MessagingSettings
from messaging.provider_accounts.selectors import own_providers
from messaging.sms_text import sms_cost, sms_normalise, sms_segments
from schoolbook.confirm import confirmation_token

PUSH_GATEWAYS = ("webpush", "fcm")  # a push contact point names its own


@dataclass(frozen=True)
class Recipient:
    """Who a message is for and every way we know to reach them."""

    phone: str = ""  # E.164: SMS and Zalo
    email: str = ""
    user_id: int | None = None  # a platform user: their push subscriptions (browsers and the app)
    name: str = ""  # for the delivery report

    @classmethod
    def of(cls, value: "Recipient | str") -> "Recipient":
        """A bare string is a phone number, or an e-mail address when it has an @."""
        if isinstance(value, Recipient):
            return value
        return cls(email=value) if "@" in value else cls(phone=value)


def guardian_recipient(guardian) -> Recipient:
    """A school's guardian row as a recipient: its phone and e-mail, and its platform user's devices."""
    return Recipient(
        phone=guardian.phone, email=guardian.email, user_id=guardian.user_id, name=guardian.full_name
    )


class Reach:
    """What a group of recipients can be reached by, with two queries for all of them: the addresses
    gateways reported bad, and the users' push subscriptions. `plan` orders channels, `addresses` gives a
    channel's (gateway, address) pairs."""

    def __init__(self, recipients: list[Recipient], prefs: MessagingSettings):
        self.prefs = prefs
        own = own_providers()  # a school's own SMS account chooses its gateway; its own OA enables Zalo
        self.gateways = {
            Channel.SMS: own.get(Channel.SMS) or prefs.sms_gateway or settings.SMS_GATEWAY,
            Channel.EMAIL: "email",
            Channel.ZALO: "zalo" if Channel.ZALO in own or gateway_configured("zalo") else "",
        }
        push_gateways = [name for name in PUSH_GATEWAYS if gateway_configured(name)]
        addresses = {r.phone for r in recipients if r.phone} | {r.email for r in recipients if r.email}
        self.bad = set(
            ContactPoint.objects.filter(is_bad=True, address__in=addresses).values_list("channel", "address")
        )
        self.push = defaultdict(list)
        users = {r.user_id for r in recipients if r.user_id}
        if users and push_gateways:
            points = ContactPoint.objects.filter(
                user_id__in=users, channel=Channel.PUSH, gateway__in=push_gateways, is_bad=False
            ).order_by("pk")
            for point in points:
                self.push[point.user_id].append((point.gateway, point.address))

    def addresses(self, recipient: Recipient, channel: str) -> list[tuple[str, str]]:
        if channel == Channel.PUSH:
            return list(self.push.get(recipient.user_id, []))
        address = recipient.email if channel == Channel.EMAIL else recipient.phone
        gateway = self.gateways.get(channel)
        if not (address and gateway) or (channel, address) in self.bad:
            return []
        return [(gateway, address)]

    def plan(self, recipient: Recipient, allowed: list[str] | None) -> list[str]:
        order = self.prefs.channel_order or [c for c in Channel.values]
        return [c for c in order if (allowed is None or c in allowed) and self.addresses(recipient, c)]


def message_recipient(message: Message) -> Recipient:
    return Recipient(phone=message.phone, email=message.email, user_id=message.user_id)


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
