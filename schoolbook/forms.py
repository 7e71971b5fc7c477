"""Form pieces shared by every app."""

from django import forms
from django.utils.translation import gettext

from schoolbook.phones import PhoneError, normalize_phone


def phone_error_text(error: PhoneError) -> str:
    """The phone error in the active language (schoolbook.phones itself cannot import Django)."""
    params = {name: gettext(value) if name == "why" else value for name, value in error.params.items()}
    return gettext(error.template).format(**params)


class PhoneField(forms.CharField):
    """Any Vietnamese written form in, E.164 out ("0912 345 678" → "+84912345678")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return normalize_phone(value).e164
        except PhoneError as error:
            raise forms.ValidationError(phone_error_text(error), code="invalid_phone") from error


def int_or_none(value) -> int | None:
    """A query-string or form value as an int, or None when it is missing or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
