"""Form fields shared by the students packages (roster, people, setup, transfers)."""

from django import forms
from django.utils.translation import gettext_lazy as _

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def date_field(label):
    """A date typed as dd/mm/yyyy or picked in the browser's date input."""
    return forms.DateField(
        label=label,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Nhập ngày hợp lệ (dd/mm/yyyy).")},
    )
