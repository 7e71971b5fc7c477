"""The forms of the school's messaging settings page: the settings themselves, and the school's own
provider accounts (its SMS brandname, its Zalo OA) with what each provider's API needs.

Channels are ordered with one "position" choice per channel rather than a drag-and-drop list: it works
without JavaScript, on a phone and with a screen reader, and an unused channel is simply "not used".
Secrets are password fields that never render their value: the page shows only the last characters."""

import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from messaging.gateways.registry import GATEWAYS, gateway_class, gateway_configured
from messaging.models import Channel, MessagingSettings, ProviderAccount
from messaging.provider_accounts.selectors import sms_gateway_name
from messaging.settings.services import SETTINGS_FIELDS as FIELDS
from schoolbook.forms import int_or_none

FALLBACK_MINUTES_MIN, FALLBACK_MINUTES_MAX = 1, 1440  # a minute to a day
UNUSED = ""
# Which gateways carry a channel (SMS is the school's choice below; push reaches whichever subscriptions a
# parent has: browsers through Web Push, the app through FCM).
CHANNEL_GATEWAYS = {Channel.PUSH: ("webpush", "fcm"), Channel.ZALO: ("zalo",), Channel.EMAIL: ("email",)}
SMS_GATEWAY_LABELS = {
    "console": _("Console (chỉ ghi lại, không gửi thật)"),
    "esms": "eSMS",
    "speedsms": "SpeedSMS",
    "http_sms": _("SMS qua HTTP (nhà cung cấp khác)"),
}
FALLBACK_RANGE_ERROR = _("Thời gian chuyển kênh phải từ 1 đến 1440 phút (một ngày).")


def channel_configured(channel: str, sms_gateway: str = "") -> bool:
    """Whether configuration lets the platform send on `channel` at all: a channel that is not is skipped
    by every plan (messaging.outbox.selectors.Reach), so the page says so next to it."""
    if channel == Channel.SMS:
        return gateway_configured(sms_gateway_name(sms_gateway or settings.SMS_GATEWAY))
    return any(gateway_configured(name) for name in CHANNEL_GATEWAYS[channel])


def sms_gateway_choices() -> list[tuple[str, str]]:
    """The SMS gateways a school may pick: those configured on this platform. The console gateway sends
    nothing to phones, so it is offered only in development or when it is the platform's own default."""
    default = settings.SMS_GATEWAY
    label = SMS_GATEWAY_LABELS.get(default, default)
    choices = [(UNUSED, gettext("Mặc định của hệ thống (%(name)s)") % {"name": label})]
    for name in sorted(GATEWAYS):
        if name == "console" and not (settings.DEBUG or default == "console"):
            continue
        if gateway_class(name).channel == Channel.SMS and gateway_configured(name):
            choices.append((name, SMS_GATEWAY_LABELS.get(name, name)))
    return choices


def _position_field(label):
    choices = [(UNUSED, _("Không dùng"))] + [(str(n), str(n)) for n in range(1, len(Channel.values) + 1)]
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("Hãy chọn một thứ tự trong danh sách.")},
    )


class MessagingSettingsForm(forms.Form):
    fallback_minutes = forms.IntegerField(
        label=MessagingSettings._meta.get_field("fallback_minutes").verbose_name,
        help_text=MessagingSettings._meta.get_field("fallback_minutes").help_text,
        min_value=FALLBACK_MINUTES_MIN,
        max_value=FALLBACK_MINUTES_MAX,
        error_messages={
            "min_value": FALLBACK_RANGE_ERROR,
            "max_value": FALLBACK_RANGE_ERROR,
            "required": _("Hãy nhập số phút trước khi chuyển sang kênh tiếp theo."),
            "invalid": _("Hãy nhập một số phút nguyên."),
        },
    )
    sms_gateway = forms.ChoiceField(
        label=MessagingSettings._meta.get_field("sms_gateway").verbose_name,
        required=False,
        error_messages={"invalid_choice": _("Nhà cung cấp SMS này chưa được cấu hình trên hệ thống.")},
    )
    strip_accents = forms.BooleanField(
        label=MessagingSettings._meta.get_field("strip_accents").verbose_name,
        help_text=MessagingSettings._meta.get_field("strip_accents").help_text,
        required=False,
    )
    quiet_hours_start = forms.TimeField(
        label=_("Giờ yên lặng từ"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Hãy nhập giờ dạng 21:00."), "required": _("Hãy nhập giờ bắt đầu.")},
    )
    quiet_hours_end = forms.TimeField(
        label=_("đến"),
        help_text=_("Tin không khẩn gửi trong khoảng này chờ đến giờ kết thúc. Hai giờ bằng nhau: không có."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Hãy nhập giờ dạng 06:30."), "required": _("Hãy nhập giờ kết thúc.")},
    )
    teacher_notices_need_approval = forms.BooleanField(
        label=MessagingSettings._meta.get_field("teacher_notices_need_approval").verbose_name,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sms_gateway"].choices = sms_gateway_choices()
        for channel in Channel:
            self.fields[f"position_{channel.value}"] = _position_field(channel.label)

    @classmethod
    def initial_for(cls, prefs: MessagingSettings) -> dict:
        initial = {name: getattr(prefs, name) for name in FIELDS}
        for position, channel in enumerate(prefs.channel_order, start=1):
            initial[f"position_{channel}"] = str(position)
        return initial

    def position_fields(self):
        """The channel rows in their current order (unused ones last), each with whether it can be used on
        this platform today."""
        sms_gateway = self["sms_gateway"].value() or ""
        rows = [(self[f"position_{c.value}"], channel_configured(c.value, sms_gateway)) for c in Channel]
        last = len(Channel.values) + 1  # not used (or not a number): after the others
        return sorted(rows, key=lambda row: int_or_none(row[0].value()) or last)

    def other_fields(self):
        return [self[name] for name in FIELDS]

    def clean(self):
        cleaned = super().clean()
        positions = {c: cleaned.get(f"position_{c}") for c in Channel.values}
        used = {c: p for c, p in positions.items() if p is not None}
        if not used:
            raise forms.ValidationError(gettext("Hãy chọn ít nhất một kênh gửi."))
        if len(set(used.values())) != len(used):
            raise forms.ValidationError(gettext("Mỗi kênh cần một thứ tự khác nhau (1, 2, 3…)."))
        cleaned["channel_order"] = sorted(used, key=used.get)
        return cleaned

    def values(self) -> dict:
        """What messaging_settings_update takes, once the form is valid."""
        return {name: self.cleaned_data[name] for name in ("channel_order", *FIELDS)}


# The school's own provider accounts.

Provider = ProviderAccount.Provider
# A brandname (eSMS, SpeedSMS) is registered with the carriers: at most 11 letters, digits, spaces, . - _
SENDER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,10}")
KEY_MIN, KEY_MAX = 8, 200


def _secret(label, help_text="", *, required=False):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=KEY_MAX,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        error_messages={
            "max_length": _("Mã quá dài (tối đa 200 ký tự)."),
            "required": _("Hãy nhập mã do nhà cung cấp cấp cho trường."),
        },
    )


class SmsAccountForm(forms.Form):
    provider = forms.ChoiceField(
        label=_("Nhà cung cấp"),
        choices=Provider.choices,
        error_messages={
            "required": _("Hãy chọn nhà cung cấp."),
            "invalid_choice": _("Hãy chọn eSMS hoặc SpeedSMS."),
        },
    )
    api_key = _secret(_("API key / access token"), _("eSMS: ApiKey. SpeedSMS: access token."))
    secret_key = _secret(_("Secret key (chỉ eSMS)"))
    sender = forms.CharField(
        label=_("Brandname"),
        help_text=_("Tên thương hiệu trường đã đăng ký với nhà cung cấp, tối đa 11 ký tự."),
        max_length=40,
        error_messages={"required": _("Hãy nhập brandname đã đăng ký."), "max_length": _("Tối đa 11 ký tự.")},
    )

    def clean_api_key(self):
        return _clean_key(self.cleaned_data["api_key"], required=True)

    def clean_secret_key(self):
        return _clean_key(self.cleaned_data["secret_key"], required=False)

    def clean_sender(self):
        sender = self.cleaned_data["sender"].strip()
        if not SENDER_RE.fullmatch(sender):
            raise forms.ValidationError(
                _("Brandname gồm tối đa 11 chữ cái không dấu, chữ số, dấu cách, dấu chấm hoặc gạch.")
            )
        return sender

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("provider") == Provider.ESMS and "secret_key" in cleaned and not cleaned["secret_key"]:
            self.add_error("secret_key", _("eSMS cần cả Secret key."))
        return cleaned

    def credentials(self) -> dict:
        """The account as the provider's gateway options name it (once the form is valid)."""
        data = self.cleaned_data
        if data["provider"] == Provider.ESMS:
            return {"api_key": data["api_key"], "secret_key": data["secret_key"], "brandname": data["sender"]}
        return {"token": data["api_key"], "sender": data["sender"]}


def _clean_key(value: str, *, required: bool) -> str:
    value = value.strip()
    if not value:
        if required:
            raise forms.ValidationError(_("Hãy nhập mã do nhà cung cấp cấp cho trường."))
        return ""
    if len(value) < KEY_MIN or re.search(r"\s", value):
        raise forms.ValidationError(_("Mã không hợp lệ: ít nhất 8 ký tự, không có dấu cách."))
    return value


class ZaloAccountForm(forms.Form):
    """A school's own Zalo Official Account: the Zalo app its OA authorised (id and secret key), the OA's
    secret key (it signs the webhook), the approved ZNS template and the refresh token of the authorisation
    (single-use, valid three months: the platform rotates it from then on)."""

    app_id = forms.CharField(
        label=_("App ID"),
        help_text=_("Mã ứng dụng trên developers.zalo.me mà OA của trường đã cấp quyền."),
        max_length=30,
        error_messages={"required": _("Hãy nhập App ID của ứng dụng Zalo.")},
    )
    app_secret = _secret(_("Secret key của ứng dụng"), required=True)
    oa_secret = _secret(
        _("OA Secret Key (webhook)"),
        _("Trong mục Webhook của ứng dụng: Zalo dùng nó để ký báo nhận tin."),
        required=True,
    )
    template_id = forms.CharField(
        label=_("Mã mẫu ZNS"),
        help_text=_("Mẫu đã được Zalo duyệt, có hai tham số title và content."),
        max_length=20,
        error_messages={"required": _("Hãy nhập mã mẫu ZNS đã được duyệt.")},
    )
    refresh_token = _secret(
        _("Refresh token"),
        _("Lấy khi OA cấp quyền cho ứng dụng; chỉ dùng được một lần, hiệu lực 3 tháng: hệ thống tự gia hạn."),
        required=True,
    )

    def clean_app_id(self):
        return _clean_digits(
            self.cleaned_data["app_id"], _("App ID chỉ gồm chữ số (ví dụ 4291763606161179100).")
        )

    def clean_template_id(self):
        return _clean_digits(self.cleaned_data["template_id"], _("Mã mẫu ZNS chỉ gồm chữ số (ví dụ 301234)."))

    def clean_app_secret(self):
        return _clean_key(self.cleaned_data["app_secret"], required=True)

    def clean_oa_secret(self):
        return _clean_key(self.cleaned_data["oa_secret"], required=True)

    def clean_refresh_token(self):
        return _clean_key(self.cleaned_data["refresh_token"], required=True)

    def credentials(self) -> dict:
        """The account as the Zalo gateway's options name it (once the form is valid)."""
        return {name: self.cleaned_data[name] for name in self.fields}


def _clean_digits(value: str, error: str) -> str:
    value = value.strip()
    if not value.isdigit() or not value.isascii():
        raise forms.ValidationError(error)
    return value
