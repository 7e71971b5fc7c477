"""Forms of collection rounds and the school's receiving account."""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from payments.banks import BANKS
from payments.models import FeeItem
from schoolbook.text import fold


class RoundForm(forms.Form):
    name = forms.CharField(
        label=_("Tên đợt thu"), max_length=120, help_text=_("Ví dụ: Tháng 9/2026, Học kỳ I")
    )
    months = forms.IntegerField(
        label=_("Số tháng"),
        min_value=1,
        max_value=12,
        initial=1,
        help_text=_("Khoản thu theo tháng được nhân với số tháng này."),
    )
    due_on = forms.DateField(label=_("Hạn nộp"), widget=forms.DateInput(attrs={"type": "date"}))
    items = forms.ModelMultipleChoiceField(
        label=_("Khoản thu trong đợt"),
        queryset=FeeItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Chọn ít nhất một khoản thu.")},
    )

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = FeeItem.objects.filter(year=year, archived_at__isnull=True)

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise forms.ValidationError(gettext("Hạn nộp không được ở trong quá khứ."))
        return due_on


class ReceivingAccountForm(forms.Form):
    bank_bin = forms.ChoiceField(
        label=_("Ngân hàng"), choices=[("", "—")] + [(b.bin, f"{b.short_name} – {b.name}") for b in BANKS]
    )
    account_number = forms.CharField(
        label=_("Số tài khoản"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    account_name = forms.CharField(
        label=_("Tên chủ tài khoản"),
        max_length=70,
        help_text=_("Đúng như ngân hàng ghi, không dấu, ví dụ TRUONG THCS NGUYEN DU."),
    )

    def clean_account_number(self):
        number = re.sub(r"[\s.-]", "", self.cleaned_data["account_number"])
        if not number.isdigit() or not 6 <= len(number) <= 19:
            raise forms.ValidationError(gettext("Số tài khoản gồm 6 đến 19 chữ số."))
        return number

    def clean_account_name(self):
        # Banks hold the name in capitals without accents: store it as the parent's app will show it.
        words = (
            "".join(c for c in word if c.isalnum())
            for word in fold(self.cleaned_data["account_name"]).split()
        )
        name = " ".join(word for word in words if word).upper()
        if not name:
            raise forms.ValidationError(gettext("Hãy nhập tên chủ tài khoản."))
        return name
