"""One validation for onboarding, used by the console form, the command and the CSV import."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_exists

from schoolbook.forms import PhoneField
from tenants.models import Level, School, schema_name_for, validate_school_code


class SchoolOnboardForm(forms.Form):
    code = forms.CharField(label=_("Mã trường (dùng trong địa chỉ /s/<mã>/)"), max_length=40)
    name = forms.CharField(label=_("Tên trường"), max_length=200)
    levels = forms.MultipleChoiceField(
        label=_("Cấp học"), choices=Level.choices, widget=forms.CheckboxSelectMultiple
    )
    province = forms.CharField(label=_("Tỉnh/thành phố"), max_length=100, required=False)
    district = forms.CharField(label=_("Quận/huyện/xã"), max_length=100, required=False)
    address = forms.CharField(label=_("Địa chỉ"), max_length=300, required=False)
    phone = PhoneField(label=_("Điện thoại trường"), required=False)
    email = forms.EmailField(label=_("Email trường"), required=False)
    admin_name = forms.CharField(label=_("Họ tên quản trị trường"), max_length=150)
    admin_phone = PhoneField(label=_("Số điện thoại quản trị trường"))

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        validate_school_code(code)
        if School.objects.filter(code=code).exists() or schema_exists(schema_name_for(code)):
            raise forms.ValidationError(_("Mã trường “%(code)s” đã tồn tại."), params={"code": code})
        return code

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_admin_name(self):
        return " ".join(self.cleaned_data["admin_name"].split())
