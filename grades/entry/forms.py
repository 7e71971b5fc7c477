"""Forms of the entry deadlines page and of the principal's unlock page."""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext, gettext_lazy

from students.models import SchoolClass, Subject, Term
from tenants.models import Level

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SubjectChoiceField(forms.ModelChoiceField):
    """The school's active subjects, secondary and primary: "Toán" exists at several levels, so each is
    named with its level."""

    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.get_level_display()}"


def _subjects():
    return Subject.objects.filter(is_active=True).order_by("level", "order", "name")


class DeadlineForm(forms.Form):
    term = forms.ModelChoiceField(queryset=Term.objects.none(), label=gettext_lazy("Học kỳ"))
    subject = SubjectChoiceField(
        queryset=Subject.objects.none(),
        required=False,
        label=gettext_lazy("Môn học"),
        empty_label=gettext_lazy("Tất cả các môn (hạn chung)"),
    )
    deadline = forms.DateTimeField(
        label=gettext_lazy("Hạn nhập điểm"),
        required=False,
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M"],
    )

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = Term.objects.filter(year=year).order_by("number")
        self.fields["subject"].queryset = _subjects()

    def clean(self):
        data = super().clean()
        if not data.get("deadline") and "remove" not in self.data and "deadline" not in self.errors:
            self.add_error("deadline", gettext("Chọn ngày và giờ hết hạn nhập điểm."))
        return data


# The subject choice's value for a class's homeroom assessments (primary qualities, competencies and general
# comment, Circular 27): they belong to no subject, and an unlock without a subject reopens them.
HOMEROOM = "homeroom"


HOMEROOM_LABEL = gettext_lazy("Phẩm chất, năng lực và nhận xét chung (tiểu học)")


class _SubjectOrHomeroomChoices(ModelChoiceIterator):
    def __iter__(self):
        yield from super().__iter__()
        if self.field.homeroom:
            yield HOMEROOM, HOMEROOM_LABEL

    def __len__(self):
        return super().__len__() + self.field.homeroom


class SubjectOrHomeroomField(SubjectChoiceField):
    """A subject, or HOMEROOM for the class's homeroom assessments when `homeroom` (the school has primary
    classes this year; a secondary school is not offered the choice)."""

    iterator = _SubjectOrHomeroomChoices
    homeroom = False

    def to_python(self, value):
        return HOMEROOM if self.homeroom and value == HOMEROOM else super().to_python(value)


class UnlockForm(forms.Form):
    school_class = forms.ModelChoiceField(queryset=SchoolClass.objects.none(), label=gettext_lazy("Lớp"))
    subject = SubjectOrHomeroomField(queryset=Subject.objects.none(), label=gettext_lazy("Môn học"))
    term = forms.ModelChoiceField(queryset=Term.objects.none(), label=gettext_lazy("Học kỳ"))
    reason = forms.CharField(label=gettext_lazy("Lý do"), widget=forms.Textarea(attrs={"rows": 2}))
    until = forms.DateTimeField(
        label=gettext_lazy("Mở đến"), widget=DATETIME_WIDGET, input_formats=["%Y-%m-%dT%H:%M"]
    )

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = (
            SchoolClass.objects.filter(year=year).select_related("grade").order_by("grade__number", "name")
        )
        self.fields["subject"].queryset = _subjects()
        self.fields["term"].queryset = Term.objects.filter(year=year).order_by("number")
        self.fields["subject"].homeroom = SchoolClass.objects.filter(
            year=year, grade__level=Level.PRIMARY
        ).exists()

    def clean(self):
        data = super().clean()
        school_class, subject = data.get("school_class"), data.get("subject")
        if subject == HOMEROOM:
            data["subject"] = None  # what entry_unlock takes for the homeroom assessments
            if school_class and school_class.grade.level != Level.PRIMARY:
                self.add_error(
                    "subject",
                    gettext(
                        "Lớp %(cls)s không phải lớp tiểu học: chỉ lớp tiểu học có đánh giá phẩm chất, năng "
                        "lực và nhận xét chung của giáo viên chủ nhiệm."
                    )
                    % {"cls": school_class.name},
                )
        elif school_class and subject and not school_class.assignments.filter(subject=subject).exists():
            self.add_error(
                "subject",
                gettext("Lớp %(cls)s không có phân công dạy môn %(subject)s.")
                % {"cls": school_class.name, "subject": subject.name},
            )
        return data
