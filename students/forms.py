from django import forms
from django.utils.translation import gettext_lazy as _

from schoolbook.phones import PhoneError, normalize_phone
from students.models import Role


class StaffAddForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    phone = forms.CharField(
        label=_("Số điện thoại"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    roles = forms.MultipleChoiceField(
        label=_("Vai trò"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"]).e164
        except PhoneError as error:
            raise forms.ValidationError(str(error)) from error
