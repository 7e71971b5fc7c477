"""The forms a school admin gives its own provider accounts with (its SMS brandname, its Zalo OA): what each
provider's API needs.
Secrets are password fields that never render their value: the page shows only the last characters."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.models import ProviderAccount

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
