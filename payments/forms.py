"""Form fields shared by the fee pages."""

from django import forms
from django.utils.translation import gettext

from payments.models import MAX_AMOUNT
from payments.money import AmountError, amount_parse, gettext_noop


class AmountField(forms.Field):
    """Whole đồng as people type them ("1.500.000"), refused with the reason (payments.money)."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20})

    def to_python(self, value):
        value = str(value or "").strip()
        if not value:
            return None
        try:
            if len(value) > 40:
                raise AmountError(gettext_noop("Số tiền quá lớn."))
            return amount_parse(value, maximum=MAX_AMOUNT)
        except AmountError as error:
            raise forms.ValidationError(gettext(str(error)), code="amount") from error

    def prepare_value(self, value):
        return f"{value:,}".replace(",", ".") if isinstance(value, int) else value
