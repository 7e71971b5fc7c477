"""The key of a school's SePay or Casso webhook. A password field that never renders its value, even when
the form comes back with errors: the page shows only the last characters of a saved key."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import PaymentProvider

KEY_MIN, KEY_MAX = 16, 200  # the key is all that stands between a stranger and the school's payment records

LABELS = {
    PaymentProvider.Provider.SEPAY: (
        _("API Key của webhook SePay"),
        _("Chuỗi bí mật trường tự đặt (ít nhất 16 ký tự, không dấu cách), nhập giống hệt vào ô API Key khi "
          "tạo webhook trên SePay với kiểu chứng thực “API Key”."),
    ),
    PaymentProvider.Provider.CASSO: (
        _("Key bảo mật của Webhook V2 (Casso)"),
        _("Casso tạo key này trong mục Tích hợp → Webhook V2; sao chép nguyên văn vào đây."),
    ),
}  # fmt: skip


class FeedKeyForm(forms.Form):
    key = forms.CharField(
        max_length=KEY_MAX,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        error_messages={
            "required": _("Hãy nhập key."),
            "max_length": _("Key quá dài (tối đa 200 ký tự)."),
        },
    )

    def __init__(self, *args, provider: str, **kwargs):
        super().__init__(*args, prefix=provider, **kwargs)
        self.provider = provider
        self.fields["key"].label, self.fields["key"].help_text = LABELS[provider]

    def clean_key(self):
        key = self.cleaned_data["key"].strip()
        if len(key) < KEY_MIN or re.search(r"\s", key) or not key.isascii():
            raise forms.ValidationError(
                _("Key không hợp lệ: ít nhất 16 ký tự, không dấu cách, không chữ có dấu.")
            )
        return key
