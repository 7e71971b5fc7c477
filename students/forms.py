from django import forms
from django.utils.translation import gettext_lazy as _

from schoolbook.forms import PhoneField
from students.models import Role


class StaffAddForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    phone = PhoneField(label=_("Số điện thoại"))
    roles = forms.MultipleChoiceField(
        label=_("Vai trò"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())
