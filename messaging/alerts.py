"""Alerts to the platform's administrators about the platform itself (a provider's quota spent, an account
refused): an urgent message to every active platform admin over push, SMS or e-mail in the platform's
channel order (never Zalo, the channel an alert is most likely about), written in public where the
platform's own messages live. Callers make sure it goes once (e.g. zalo.pause_until_midnight's atomic
cache.add), not this module."""

from django.dispatch import receiver
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from accounts.models import User
from messaging.gateways.zalo import quota_spent
from messaging.models import Channel
from messaging.outbox.selectors import Recipient
from messaging.outbox.services import messages_send

CHANNELS = [Channel.PUSH, Channel.SMS, Channel.EMAIL]


def platform_alert(*, key: str, title: str, body: str) -> int:
    """Send `title`/`body` to every active platform admin; returns the number of admins. `key` is the
    messages' reference (what the report and a search find)."""
    with schema_context("public"):
        admins = User.objects.filter(is_platform_admin=True, is_active=True).order_by("pk")
        items = [
            (Recipient(phone=a.phone, email=a.email, user_id=a.pk, name=a.full_name or a.phone), body)
            for a in admins
        ]
        messages_send(
            purpose="platform_alert",
            items=items,
            urgent=True,
            channels=CHANNELS,
            title=title,
            reference=key[:40],
        )
    return len(items)


@receiver(quota_spent)
def zalo_quota_alert(sender, *, oa: str, **kwargs) -> None:
    """A Zalo OA's daily ZNS quota is spent: Zalo is paused for it until midnight."""
    platform_alert(
        key=f"zalo-quota-{oa}",
        title=gettext("Zalo: hết hạn mức ZNS trong ngày"),
        body=gettext(
            "Official Account của ứng dụng Zalo %(app)s đã dùng hết hạn mức ZNS hôm nay (mã -144). "
            "Tin Zalo tạm dừng đến 0 giờ; các tin nhắn chuyển sang kênh tiếp theo."
        )
        % {"app": oa},
    )
