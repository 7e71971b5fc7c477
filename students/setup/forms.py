from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from students.class_names import ClassNameError, parse_class_names
from students.forms import date_field
from students.models import Assessment, DayOff, GradeLevel, SchoolClass, StaffMember, Subject
from students.setup.services import YearDates, assignment_teachers, homeroom_candidates


class YearDatesForm(forms.Form):
    starts_on = date_field(_("Ngày bắt đầu năm học"))
    term1_ends_on = date_field(_("Học kỳ I kết thúc ngày"))
    term2_starts_on = date_field(_("Học kỳ II bắt đầu ngày"))
    ends_on = date_field(_("Ngày kết thúc năm học"))

    def clean(self):
        cleaned = super().clean()
        if all(cleaned.get(name) for name in ("starts_on", "term1_ends_on", "term2_starts_on", "ends_on")):
            self.dates = YearDates(
                cleaned["starts_on"], cleaned["term1_ends_on"], cleaned["term2_starts_on"], cleaned["ends_on"]
            )
            for name, problem in self.dates.problems().items():
                self.add_error(name, problem)
        return cleaned


class YearCreateForm(YearDatesForm):
    name = forms.RegexField(
        label=_("Năm học"),
        regex=r"^\s*\d{4}-\d{4}\s*$",
        max_length=11,
        help_text=_("Ví dụ 2026-2027."),
        error_messages={"invalid": _("Năm học có dạng 2026-2027.")},
    )

    field_order = ["name", "starts_on", "term1_ends_on", "term2_starts_on", "ends_on"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if int(name[5:]) != int(name[:4]) + 1:
            raise forms.ValidationError(_("Năm học gồm hai năm liền nhau, ví dụ 2026-2027."))
        return name


class DayOffForm(forms.ModelForm):
    """A day off of `instance.year`: the model's rules (inside the year, no overlap) show on their fields.
    One day: leave "Đến ngày" empty."""

    first_day = date_field(_("Từ ngày"))
    last_day = date_field(_("Đến ngày"))

    class Meta:
        model = DayOff
        fields = ["name", "first_day", "last_day"]
        labels = {"name": _("Tên ngày nghỉ")}
        help_texts = {"name": _("Ví dụ: Nghỉ Tết Nguyên đán, Nghỉ giữa học kỳ I.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["last_day"].required = False
        self.fields["last_day"].help_text = _("Nghỉ một ngày: để trống.")

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_last_day(self):
        return self.cleaned_data.get("last_day") or self.cleaned_data.get("first_day")


class _TeacherChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


class ClassForm(forms.Form):
    name = forms.CharField(label=_("Tên lớp"), max_length=20, help_text=_("Ví dụ 6A1."))
    grade = forms.ModelChoiceField(
        label=_("Khối"),
        queryset=GradeLevel.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Chọn một khối của trường.")},
    )
    homeroom_teacher = _TeacherChoice(
        label=_("Giáo viên chủ nhiệm"),
        queryset=StaffMember.objects.none(),
        required=False,
        empty_label=_("— Chưa phân công —"),
        error_messages={"invalid_choice": _("Chọn một giáo viên đang làm việc ở trường.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].queryset = GradeLevel.objects.order_by("number")
        self.fields["homeroom_teacher"].queryset = homeroom_candidates()


class ClassBulkForm(forms.Form):
    names = forms.CharField(
        label=_("Các lớp cần tạo"),
        max_length=500,
        help_text=_("Một dãy như 6A1–6A8, hoặc nhiều lớp cách nhau bởi dấu phẩy: 6A1-6A4, 7A1."),
    )

    def clean_names(self):
        try:
            return parse_class_names(self.cleaned_data["names"])
        except ClassNameError as error:
            raise forms.ValidationError(gettext(error.template).format(**error.params)) from error


class SubjectRenameForm(forms.Form):
    name = forms.CharField(label=_("Tên môn học"), max_length=100)


class SubjectAddForm(forms.Form):
    name = forms.CharField(label=_("Tên môn học"), max_length=100, help_text=_("Ví dụ: Tin học tự chọn."))
    assessment = forms.ChoiceField(label=_("Hình thức đánh giá"), choices=())
    periods_per_year = forms.IntegerField(
        label=_("Số tiết/năm"),
        min_value=1,
        max_value=1000,
        error_messages={
            "min_value": _("Số tiết/năm phải từ 1 đến 1000."),
            "max_value": _("Số tiết/năm phải từ 1 đến 1000."),
            "invalid": _("Nhập một số nguyên."),
        },
    )

    def __init__(self, *args, grade, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = (
            [Assessment.PRIMARY_RATING]
            if grade.level == "primary"
            else [Assessment.SCORED, Assessment.PASS_FAIL]
        )
        self.fields["assessment"].choices = [(kind.value, kind.label) for kind in kinds]
        self.fields["assessment"].error_messages["invalid_choice"] = _("Chọn một hình thức đánh giá.")


class _ClassChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class _SubjectChoice(forms.ModelChoiceField):
    """A subject by its name, with its school level when the school has several (Toán exists in each)."""

    with_level = False

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_level_display()})" if self.with_level else obj.name


class AssignmentAddForm(forms.Form):
    """One teacher, one subject, one or several classes of the current year."""

    teacher = _TeacherChoice(
        label=_("Giáo viên"),
        queryset=StaffMember.objects.none(),
        empty_label=_("— Chọn giáo viên —"),
        error_messages={"invalid_choice": _("Chọn một giáo viên đang làm việc ở trường.")},
    )
    subject = _SubjectChoice(
        label=_("Môn học"),
        queryset=Subject.objects.none(),
        empty_label=_("— Chọn môn học —"),
        error_messages={"invalid_choice": _("Chọn một môn đang dạy ở trường.")},
    )
    classes = _ClassChoices(
        label=_("Lớp"),
        queryset=SchoolClass.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checks"}),
        help_text=_("Chọn một hoặc nhiều lớp."),
        error_messages={
            "required": _("Chọn ít nhất một lớp."),
            "invalid_choice": _("Chọn các lớp của năm học hiện tại."),
            "invalid_pk_value": _("Chọn các lớp của năm học hiện tại."),
        },
    )

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].queryset = assignment_teachers()
        subjects = Subject.objects.filter(is_active=True).order_by("level", "order", "name")
        self.fields["subject"].queryset = subjects
        self.fields["subject"].with_level = subjects.values("level").distinct().count() > 1
        self.fields["classes"].queryset = SchoolClass.objects.filter(
            year=year, archived_at__isnull=True
        ).order_by("grade__number", "name")
