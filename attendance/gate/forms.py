"""Forms of the gate pages (register a device, assign a student to an event) and of the attendance
settings page. They validate only; attendance.gate.services saves."""

from django import forms
from django.utils.translation import gettext_lazy as _

from attendance.gate.services import SETTINGS_FIELDS
from attendance.models import AttendanceSettings

LONG_LEAVE_DAYS_MAX = 30


class DeviceForm(forms.Form):
    name = forms.CharField(
        label=_("Tên thiết bị"),
        max_length=100,
        help_text=_("Ví dụ: Cổng chính – máy nhận diện khuôn mặt."),
        error_messages={"required": _("Hãy đặt tên cho thiết bị.")},
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Hãy đặt tên cho thiết bị."))
        return name


class AssignForm(forms.Form):
    student_code = forms.CharField(
        label=_("Mã học sinh"),
        max_length=30,
        error_messages={"required": _("Nhập mã học sinh đúng.")},
    )


class AttendanceSettingsForm(forms.ModelForm):
    class Meta:
        model = AttendanceSettings
        fields = SETTINGS_FIELDS
        widgets = {
            "morning_starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "afternoon_starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "long_leave_days": forms.NumberInput(attrs={"min": 1, "max": LONG_LEAVE_DAYS_MAX}),
        }
        help_texts = {
            "long_leave_days": _("Đơn nghỉ dài hơn số ngày này được chuyển tiếp để hiệu trưởng duyệt."),
            "morning_starts": _("Học sinh vào cổng sau giờ này bị ghi đi muộn (nếu đã điểm danh buổi đó)."),
            "notify_arrivals": _(
                "Mỗi lần thiết bị ở cổng ghi nhận học sinh đến trường, phụ huynh nhận một tin."
            ),
            "notify_departures": _(
                "Mỗi lần thiết bị ở cổng ghi nhận học sinh ra về, phụ huynh nhận một tin."
            ),
        }

    def clean_long_leave_days(self):
        days = self.cleaned_data["long_leave_days"]
        if not 1 <= days <= LONG_LEAVE_DAYS_MAX:
            raise forms.ValidationError(_("Số ngày phải từ 1 đến %(max)d.") % {"max": LONG_LEAVE_DAYS_MAX})
        return days

    def clean(self):
        data = super().clean()
        morning, afternoon = data.get("morning_starts"), data.get("afternoon_starts")
        if morning and afternoon and morning >= afternoon:
            self.add_error("afternoon_starts", _("Giờ vào học buổi chiều phải sau giờ vào học buổi sáng."))
        return data

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}
