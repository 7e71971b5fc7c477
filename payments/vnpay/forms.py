"""The school's VNPay merchant account, as VNPay issues it: the terminal code (vnp_TmnCode, 8 letters or
digits) and the hash secret that signs every payment URL, return and IPN. The secret is a password field that
never renders its value, even when the form comes back with errors: replacing the account means entering it
whole."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from payments import vnpay_protocol

SECRET_MIN, SECRET_MAX = 16, 128


class VnpayMerchantForm(forms.Form):
    tmn_code = forms.CharField(
        label=_("Mã website (vnp_TmnCode)"),
        help_text=_("8 ký tự chữ và số, trong thư VNPay gửi khi cấp tài khoản cho trường."),
        max_length=20,
        error_messages={"required": _("Hãy nhập mã website VNPay cấp cho trường.")},
    )
    hash_secret = forms.CharField(
        label=_("Chuỗi bí mật (vnp_HashSecret)"),
        help_text=_("Dùng để ký và kiểm tra mọi giao dịch; được mã hoá khi lưu và không bao giờ hiện lại."),
        max_length=SECRET_MAX + 20,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        error_messages={"required": _("Hãy nhập chuỗi bí mật VNPay cấp cho trường.")},
    )

    def clean_tmn_code(self):
        code = self.cleaned_data["tmn_code"].strip().upper()
        if not vnpay_protocol.TMN_CODE.fullmatch(code):
            raise forms.ValidationError(
                _("Mã website gồm đúng 8 chữ cái không dấu hoặc chữ số, ví dụ 2QXUI4J4.")
            )
        return code

    def clean_hash_secret(self):
        secret = self.cleaned_data["hash_secret"].strip()
        if not (SECRET_MIN <= len(secret) <= SECRET_MAX) or not re.fullmatch(r"[A-Za-z0-9]+", secret):
            raise forms.ValidationError(
                _("Chuỗi bí mật gồm 16 đến 128 chữ cái không dấu hoặc chữ số, không có dấu cách.")
            )
        return secret
