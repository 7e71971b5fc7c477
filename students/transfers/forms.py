from django import forms
from django.utils.translation import gettext_lazy as _

from students.forms import date_field


def _one_line(value: str) -> str:
    return " ".join(value.split())


class TransferRequestForm(forms.Form):
    """The sending school's request: the receiving school (from the list of active schools), the first day
    there and the reason. Nothing here is checked against the receiving school's data."""

    to_school = forms.ModelChoiceField(
        label=_("Trường chuyển đến"),
        queryset=None,
        empty_label=_("— Chọn trường —"),
        error_messages={
            "required": _("Chọn trường chuyển đến."),
            "invalid_choice": _("Chọn một trường khác đang hoạt động trên Schoolbook."),
        },
    )
    on_date = date_field(_("Từ ngày"))
    reason = forms.CharField(
        label=_("Lý do chuyển trường"),
        max_length=300,
        error_messages={"required": _("Nhập lý do chuyển trường.")},
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_school"].queryset = schools
        self.fields["to_school"].label_from_instance = lambda school: f"{school.name} ({school.code})"

    def clean_reason(self):
        return _one_line(self.cleaned_data["reason"])


class TransferAcceptForm(forms.Form):
    """The receiving school's class (its current year) and its own code for the student."""

    to_class = forms.ModelChoiceField(
        label=_("Xếp vào lớp"),
        queryset=None,
        empty_label=_("— Chọn lớp —"),
        error_messages={
            "required": _("Chọn lớp cho học sinh."),
            "invalid_choice": _("Chọn một lớp của năm học hiện tại."),
        },
    )
    student_code = forms.CharField(
        label=_("Mã học sinh ở trường"), max_length=30, error_messages={"required": _("Nhập mã học sinh.")}
    )

    def __init__(self, *args, classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_class"].queryset = classes

    def clean_student_code(self):
        return self.cleaned_data["student_code"].replace(" ", "")


class TransferDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do từ chối"),
        max_length=300,
        error_messages={"required": _("Nhập lý do từ chối để trường gửi biết.")},
    )

    def clean_reason(self):
        return _one_line(self.cleaned_data["reason"])
