"""The roster pages' forms: adding a staff member, a class change, the year rollover."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from schoolbook.forms import PhoneField
from students.forms import date_field
from students.models import SchoolYear


class StaffAddForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    phone = PhoneField(label=_("Số điện thoại"))
    roles = forms.MultipleChoiceField(
        label=_("Vai trò"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())


class EnrolmentMoveForm(forms.Form):
    """A class of the current school year other than the student's current one, and the first day there."""

    to_class = forms.ModelChoiceField(
        label=_("Chuyển sang lớp"),
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": _("Chọn một lớp khác của năm học hiện tại.")},
    )
    on_date = date_field(_("Từ ngày"))

    def __init__(self, *args, classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_class"].queryset = classes


class YearRolloverForm(forms.Form):
    """The new school year. Mirrors the checks of students.roster.services.year_rollover so that the preview
    already shows them; the service checks again when the rollover is confirmed."""

    name = forms.RegexField(
        label=_("Năm học mới"),
        regex=r"^\d{4}-\d{4}$",
        max_length=9,
        error_messages={"invalid": _("Năm học có dạng 2025-2026.")},
    )
    starts_on = date_field(_("Ngày bắt đầu"))
    ends_on = date_field(_("Ngày kết thúc"))

    def __init__(self, *args, from_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.from_year = from_year

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if SchoolYear.objects.filter(name=name).exists():
            raise forms.ValidationError(_("Năm học %(name)s đã có."), params={"name": name})
        return name

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and starts_on <= self.from_year.ends_on:
            self.add_error(
                "starts_on",
                _("Năm học mới phải bắt đầu sau ngày %(end)s.")
                % {"end": self.from_year.ends_on.strftime("%d/%m/%Y")},
            )
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return cleaned
