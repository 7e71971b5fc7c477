"""Forms of the leave pages. They read the input; the rules (dates, overlaps, enrolment, the attachment's
type and size) live in attendance.leave.services, whose errors the views put on these fields."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from attendance.leave.services import LeaveError, leave_attachment_check
from attendance.models import LeaveRequest
from schoolbook.uploads import attachment_max_mb
from students.selectors import children_here

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ChildChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, student):
        if student.current_class_name:
            return gettext("%(name)s – lớp %(class)s") % {
                "name": student.full_name,
                "class": student.current_class_name,
            }
        return student.full_name


class LeaveRequestForm(forms.Form):
    student = ChildChoiceField(label=_("Con"), queryset=None, empty_label=None)
    start_date = forms.DateField(label=_("Từ ngày"), widget=DateInput(), input_formats=DATE_FORMATS)
    end_date = forms.DateField(label=_("Đến ngày"), widget=DateInput(), input_formats=DATE_FORMATS)
    sessions = forms.ChoiceField(
        label=_("Buổi nghỉ"),
        choices=LeaveRequest.Sessions.choices,
        initial=LeaveRequest.Sessions.ALL_DAY,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Lý do"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(
        label=_("Ảnh giấy khám bệnh hoặc giấy tờ liên quan"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,image/*"}),
    )

    def __init__(self, *args, guardian, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = children_here(guardian)
        today = timezone.localdate().isoformat()
        for name in ("start_date", "end_date"):
            self.fields[name].widget.attrs["min"] = today
        self.fields["attachment"].help_text = gettext(
            "Không bắt buộc. Ảnh JPEG, PNG hoặc tệp PDF, tối đa %(size)s MB."
        ) % {"size": attachment_max_mb()}

    def clean_attachment(self):
        """Checked here too, so a wrong file is reported with the other fields' errors."""
        upload = self.cleaned_data.get("attachment")
        if upload:
            try:
                leave_attachment_check(upload)
            except LeaveError as error:
                raise forms.ValidationError(str(error)) from error
        return upload


class LeaveDecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Ý kiến"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Bắt buộc khi không duyệt; phụ huynh sẽ đọc ý kiến này."),
    )


class LeaveFilterForm(forms.Form):
    """The staff list's filters; an invalid value is ignored rather than refused (it is a query string)."""

    status = forms.ChoiceField(
        label=_("Trạng thái"), required=False, choices=[("", _("Tất cả")), *LeaveRequest.Status.choices]
    )
    school_class = forms.ModelChoiceField(
        label=_("Lớp"), required=False, queryset=None, empty_label=_("Tất cả")
    )
    date_from = forms.DateField(
        label=_("Từ ngày"), required=False, widget=DateInput(), input_formats=DATE_FORMATS
    )
    date_to = forms.DateField(
        label=_("Đến ngày"), required=False, widget=DateInput(), input_formats=DATE_FORMATS
    )

    def __init__(self, *args, classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = classes

    def filters(self) -> dict:
        """The valid filters as keyword arguments of attendance.leave.selectors.leave_list."""
        self.is_valid()  # keeps the valid fields' values in cleaned_data
        data = getattr(self, "cleaned_data", {})
        school_class = data.get("school_class")
        return {
            "status": data.get("status") or "",
            "class_id": school_class.pk if school_class else None,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
