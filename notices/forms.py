from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Channel
from notices.audience import AudienceChoice
from notices.models import Audience, Category, NoticeAttachment
from notices.permissions import is_notice_manager
from notices.services import NoticeData, NoticeError, attachments_check
from schoolbook.uploads import attachment_max_mb
from students.models import GradeLevel, SchoolClass, StaffMember, Student, StudentStatus
from students.selectors import current_enrolments, with_current_class


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's FileField keeps only the last)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class StudentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, student):
        return f"{student.full_name} – {student.current_class_name}"


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("Tiêu đề"), max_length=200)
    body = forms.CharField(label=_("Nội dung"), widget=forms.Textarea(attrs={"rows": 8}))
    category = forms.ChoiceField(label=_("Loại thông báo"), choices=Category.choices)
    audience = forms.ChoiceField(label=_("Gửi đến"), choices=Audience.choices, widget=forms.RadioSelect)
    grades = forms.ModelMultipleChoiceField(
        label=_("Khối"), queryset=GradeLevel.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    classes = forms.ModelMultipleChoiceField(
        label=_("Lớp"), queryset=SchoolClass.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    students = StudentChoiceField(
        label=_("Học sinh"), queryset=Student.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Giữ Ctrl (hoặc Cmd) để chọn nhiều học sinh."),
    )  # fmt: skip
    channels = forms.MultipleChoiceField(
        label=_("Kênh gửi"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Không chọn kênh nào: gửi theo thứ tự kênh của trường."),
    )  # fmt: skip
    scheduled_at = forms.DateTimeField(
        label=_("Hẹn giờ gửi"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        help_text=_("Để trống: gửi ngay khi được phép."),
    )  # fmt: skip
    attachments = MultipleFileField(label=_("Tệp đính kèm"), required=False)
    remove_attachments = forms.ModelMultipleChoiceField(
        label=_("Bỏ tệp đính kèm"), queryset=NoticeAttachment.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args, staff: StaffMember, notice=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.notice = notice
        self.fields["grades"].queryset = GradeLevel.objects.order_by("number")
        self.fields["classes"].queryset = SchoolClass.objects.filter(
            year__is_current=True, archived_at__isnull=True
        ).order_by("grade__number", "name")
        # Managers choose among every student studying today; others among their homeroom classes'.
        enrolled = current_enrolments()
        if not is_notice_manager(staff):
            enrolled = enrolled.filter(school_class__homeroom_teacher=staff)
        self.fields["students"].queryset = with_current_class(
            Student.objects.filter(status=StudentStatus.STUDYING, pk__in=enrolled.values("student_id"))
        ).order_by("sort_key", "pk")
        self.fields["attachments"].help_text = gettext(
            "PDF, JPEG hoặc PNG; tối đa %(count)d tệp, mỗi tệp tối đa %(size)s MB."
        ) % {"count": settings.NOTICE_ATTACHMENTS_MAX, "size": attachment_max_mb()}
        if notice is not None and notice.pk:
            self.fields["remove_attachments"].queryset = notice.attachments.all()
        else:
            del self.fields["remove_attachments"]

    @classmethod
    def initial_for(cls, notice) -> dict:
        return {
            "title": notice.title, "body": notice.body, "category": notice.category,
            "audience": notice.audience, "grades": list(notice.grades.all()),
            "classes": list(notice.classes.all()), "students": list(notice.students.all()),
            "channels": notice.channels,
            "scheduled_at": timezone.localtime(notice.scheduled_at) if notice.scheduled_at else None,
        }  # fmt: skip

    def clean_scheduled_at(self):
        when = self.cleaned_data.get("scheduled_at")
        if when and when <= timezone.now():
            raise forms.ValidationError(gettext("Thời điểm hẹn gửi đã qua. Để trống để gửi ngay."))
        return when

    def clean(self):
        data = super().clean()
        needed = {Audience.GRADES: "grades", Audience.CLASSES: "classes", Audience.STUDENTS: "students"}
        name = needed.get(data.get("audience"))
        if name and not data.get(name):
            self.add_error(name, gettext("Hãy chọn ít nhất một mục để biết gửi cho ai."))
        existing = self.notice.attachments.count() - len(data.get("remove_attachments") or []) if (
            self.notice is not None and self.notice.pk
        ) else 0  # fmt: skip
        try:
            attachments_check(data.get("attachments") or [], existing=existing)
        except NoticeError as error:
            self.add_error("attachments", str(error))
        return data

    def notice_data(self) -> NoticeData:
        data = self.cleaned_data
        return NoticeData(
            title=data["title"], body=data["body"], category=data["category"], audience=data["audience"],
            grades=data["grades"], classes=data["classes"], students=data["students"],
            channels=data["channels"], scheduled_at=data["scheduled_at"],
        )  # fmt: skip

    def audience_choice(self) -> AudienceChoice | None:
        """What the form chose so far, for the estimate (None until an audience is chosen)."""
        data = self.cleaned_data
        if not data.get("audience"):
            return None
        return AudienceChoice(
            audience=data["audience"],
            grade_ids=frozenset(g.pk for g in data.get("grades") or []),
            class_ids=frozenset(c.pk for c in data.get("classes") or []),
            student_ids=frozenset(s.pk for s in data.get("students") or []),
            emergency=data.get("category") == Category.EMERGENCY,
        )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do từ chối"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
