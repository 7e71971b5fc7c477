"""Form pieces shared by every app."""

from django import forms
from django.utils.translation import gettext
from phonenumber_field.formfields import PhoneNumberField

from schoolbook.phones import PhoneError, normalize_phone


def phone_error_text(error: PhoneError) -> str:
    """The phone error in the active language (schoolbook.phones itself cannot import Django)."""
    params = {name: gettext(value) if name == "why" else value for name, value in error.params.items()}
    return gettext(error.template).format(**params)


class PhoneField(PhoneNumberField):
    """django-phonenumber-field's form field, region VN, with our Vietnamese rules (schoolbook.phones): any
    Vietnamese written form in, E.164 out ("0912 345 678" → "+84912345678"), old 11-digit 01x numbers
    converted, and a refusal that says why in the person's language. It gives the E.164 text the models
    keep (varchar, checked E.164), not a PhoneNumber object; the field stays as typed on the page."""

    default_validators = []  # normalize_phone is the validation

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
        super().__init__(region="VN", **kwargs)

    def to_python(self, value):
        value = forms.CharField.to_python(self, value)
        if value in self.empty_values:
            return self.empty_value
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
