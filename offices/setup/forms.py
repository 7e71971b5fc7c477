"""The platform console's forms for offices."""

from django import forms
from django.utils.translation import gettext_lazy as _

from offices.models import EducationOffice, OfficeStaff
from schoolbook.forms import PhoneField


class OfficeForm(forms.ModelForm):
    class Meta:
        model = EducationOffice
        fields = ["code", "name", "kind", "province", "district"]
        labels = {"code": _("Mã đơn vị (dùng trong địa chỉ /office/<mã>/)")}

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("kind") == EducationOffice.Kind.DISTRICT
            and not (cleaned.get("district") or "").strip()
        ):
            self.add_error("district", _("Phòng GD&ĐT cần tên quận/huyện/xã."))
        if cleaned.get("kind") == EducationOffice.Kind.PROVINCE:
            cleaned["district"] = ""
        for name in ("name", "province", "district"):
            if cleaned.get(name):
                cleaned[name] = " ".join(cleaned[name].split())
        return cleaned


class SchoolCodeForm(forms.Form):
    code = forms.CharField(label=_("Mã trường"), max_length=40)


class StaffForm(forms.Form):
    full_name = forms.CharField(label=_("Họ tên"), max_length=150)
    phone = PhoneField(label=_("Số điện thoại"))
    role = forms.ChoiceField(label=_("Vai trò"), choices=OfficeStaff.Role.choices)
