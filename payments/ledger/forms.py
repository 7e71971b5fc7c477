"""The accountant's forms on the money pages: which day and status to list, an assignment of what is left
of a transfer to an invoice, a refund note, a reversal's reason. Amounts are whole đồng, typed as people
write them ("500000" or "500.000"); anything else is refused with the reason, never guessed."""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models import MAX_AMOUNT, BankTransaction, Invoice, InvoiceState
from students.forms import date_field

# Digits, optionally grouped by thousands with dots or spaces (Vietnamese style): "1.500.000", "1 500 000".
AMOUNT_RE = re.compile(r"\d{1,3}(?:[. ]\d{3})+|\d+")


class AmountField(forms.CharField):
    """Whole đồng, greater than zero. A comma or a decimal part is refused: "1,5" is not an amount of đồng."""

    def __init__(self, **kwargs):
        super().__init__(max_length=20, **kwargs)

    def clean(self, value):
        text = super().clean(value).strip()
        if text.startswith("-"):
            raise forms.ValidationError(_("Số tiền phải lớn hơn 0."))
        if not AMOUNT_RE.fullmatch(text):
            raise forms.ValidationError(_("Số tiền là số đồng nguyên, ví dụ 500000 hoặc 500.000."))
        amount = int(re.sub(r"[. ]", "", text))
        if not 0 < amount <= MAX_AMOUNT:
            raise forms.ValidationError(_("Số tiền phải lớn hơn 0 và không quá 1 tỷ đồng."))
        return amount


class TransactionFilterForm(forms.Form):
    day = date_field(_("Ngày"))
    status = forms.ChoiceField(
        label=_("Tình trạng"), required=False, choices=[("", _("Tất cả")), *BankTransaction.Status.choices]
    )

    def __init__(self, data=None):
        super().__init__(data or None, initial={"day": timezone.localdate()})
        self.fields["day"].required = False

    def filters(self) -> tuple:
        """(day, status): today and every status unless valid choices were made."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["day"] or timezone.localdate(), self.cleaned_data["status"]
        return timezone.localdate(), ""


class AssignForm(forms.Form):
    """The accountant gives (part of) what is left of `row` to an invoice found by the search (the view
    has made sure something is left: payments.ledger.services.assign_refusal)."""

    invoice = forms.ModelChoiceField(
        queryset=Invoice.objects.exclude(state=InvoiceState.CANCELLED),
        error_messages={
            "required": _("Hãy chọn một hoá đơn trong kết quả tìm kiếm."),
            "invalid_choice": _("Hoá đơn này không còn (có thể đã huỷ). Hãy tìm lại."),
        },
    )
    amount = AmountField(label=_("Số tiền gán"), error_messages={"required": _("Hãy nhập số tiền gán.")})

    def __init__(self, *args, row: BankTransaction, **kwargs):
        super().__init__(*args, **kwargs)
        self.row = row

    def clean(self):
        cleaned = super().clean()
        amount = cleaned.get("amount")
        if amount is not None and amount > self.row.unapplied:
            self.add_error(
                "amount",
                _("Số tiền phải từ 1 đến %(rest)s đồng (phần còn lại của giao dịch).")
                % {"rest": self.row.unapplied},
            )
        return cleaned


class RefundForm(forms.Form):
    note = forms.CharField(
        label=_("Ghi chú hoàn tiền"),
        help_text=_("Ví dụ: đã chuyển trả về tài khoản người gửi ngày 05/09, chuyển nhầm trường."),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("Hãy ghi lại đã hoàn tiền thế nào (ngày, cho ai)."),
            "max_length": _("Tối đa 300 ký tự."),
        },
    )


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do điều chỉnh"),
        max_length=300,
        error_messages={"required": _("Hãy ghi lý do điều chỉnh."), "max_length": _("Tối đa 300 ký tự.")},
    )
