"""Forms for people one by one: every field checked with a clear Vietnamese error before a service runs."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from schoolbook.forms import PhoneField
from students import sector_ids
from students.forms import date_field
from students.models import Gender, Relationship, Student, StudentStatus
from students.people.rules import birth_year_fits, expected_birth_years
from students.sector_ids import sector_id_normalise, sector_id_valid


def _squeeze(value: str) -> str:
    return " ".join(value.split())


class StaffEditForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    roles = forms.MultipleChoiceField(
        label=_("Vai trò"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Chọn ít nhất một vai trò.")},
    )
    position = forms.CharField(
        label=_("Chức vụ"), max_length=100, required=False, help_text=_("Ví dụ: Tổ trưởng tổ Toán.")
    )
    subjects = forms.ModelMultipleChoiceField(
        label=_("Môn dạy"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subjects"].queryset = subjects

    def clean_full_name(self):
        return _squeeze(self.cleaned_data["full_name"])

    def clean_position(self):
        return _squeeze(self.cleaned_data["position"])


class StudentForm(forms.Form):
    """A student's profile fields; with `classes` given (adding), also the class, the first day in it and
    an optional first guardian."""

    student_code = forms.CharField(label=_("Mã học sinh"), max_length=30)
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    date_of_birth = date_field(_("Ngày sinh"))
    gender = forms.ChoiceField(label=_("Giới tính"), choices=Gender.choices)
    national_id = forms.CharField(
        label=_("Số định danh cá nhân"), max_length=20, required=False, help_text=_("12 chữ số, nếu có.")
    )
    sector_id = forms.CharField(
        label=_("Mã định danh Bộ GD&ĐT"),
        max_length=40,
        required=False,
        help_text=_("Mã trên cơ sở dữ liệu ngành (CSDL ngành), nếu trường đã có."),
    )

    def __init__(self, *args, student=None, grade=None, year=None, classes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.student, self.grade, self.year = student, grade, year
        if classes is not None:
            self.fields["school_class"] = forms.ModelChoiceField(
                label=_("Lớp"),
                queryset=classes,
                empty_label=_("— Chọn lớp —"),
                error_messages={"invalid_choice": _("Chọn một lớp của năm học hiện tại.")},
            )
            self.fields["starts_on"] = date_field(_("Vào lớp từ ngày"))
            self.fields["guardian_name"] = forms.CharField(
                label=_("Họ tên phụ huynh"), max_length=150, required=False
            )
            self.fields["guardian_phone"] = PhoneField(label=_("Số điện thoại phụ huynh"), required=False)
            self.fields["guardian_relationship"] = forms.ChoiceField(
                label=_("Quan hệ với học sinh"), choices=Relationship.choices, required=False
            )

    def clean_student_code(self):
        code = self.cleaned_data["student_code"].replace(" ", "")
        others = Student.objects.exclude(pk=self.student.pk if self.student else None)
        if others.filter(student_code=code).exists():
            raise forms.ValidationError(_("Mã học sinh %(code)s đã có ở trường."), params={"code": code})
        return code

    def clean_full_name(self):
        return _squeeze(self.cleaned_data["full_name"])

    def clean_national_id(self):
        value = self.cleaned_data["national_id"].replace(" ", "")
        if value and (len(value) != 12 or not value.isdigit()):
            raise forms.ValidationError(_("Số định danh cá nhân gồm 12 chữ số."))
        others = Student.objects.exclude(pk=self.student.pk if self.student else None)
        if value and others.filter(national_id=value).exists():
            raise forms.ValidationError(_("Số định danh %(id)s đã có ở trường."), params={"id": value})
        return value

    def clean_sector_id(self):
        value = sector_id_normalise(self.cleaned_data["sector_id"])
        if value and not sector_id_valid(value):
            raise forms.ValidationError(_(sector_ids.INVALID))
        others = Student.objects.exclude(pk=self.student.pk if self.student else None)
        if value and others.filter(sector_id=value).exists():
            raise forms.ValidationError(
                _("Mã định danh %(id)s đã có ở học sinh khác của trường."), params={"id": value}
            )
        return value

    def clean(self):
        cleaned = super().clean()
        school_class = cleaned.get("school_class")
        grade = school_class.grade.number if school_class else self.grade
        year = school_class.year if school_class else self.year
        born = cleaned.get("date_of_birth")
        if born and born >= timezone.localdate():
            self.add_error("date_of_birth", _("Ngày sinh phải trước hôm nay."))
        elif born and grade and year and not birth_year_fits(grade, year.starts_on.year, born.year):
            years = expected_birth_years(grade, year.starts_on.year)
            self.add_error(
                "date_of_birth",
                _(
                    "Học sinh khối %(grade)s năm học %(year)s thường sinh năm %(first)s–%(last)s; "
                    "kiểm tra lại ngày sinh."
                )
                % {"grade": grade, "year": year.name, "first": years[0], "last": years[-1]},
            )
        names = ("guardian_name", "guardian_phone", "guardian_relationship")
        if "guardian_phone" in self.fields and any(cleaned.get(name) for name in names):
            for name in names:
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(
                        name,
                        _("Nhập đủ họ tên, số điện thoại và quan hệ của phụ huynh, hoặc để trống cả ba."),
                    )
        return cleaned

    def profile(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("student_code", "full_name", "date_of_birth", "gender", "national_id", "sector_id")
        }

    def guardian(self) -> dict | None:
        if not self.cleaned_data.get("guardian_phone"):
            return None
        return {
            "full_name": _squeeze(self.cleaned_data["guardian_name"]),
            "phone": self.cleaned_data["guardian_phone"],
            "relationship": self.cleaned_data["guardian_relationship"],
        }


class WithdrawForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Tình trạng"),
        choices=[
            (StudentStatus.DROPPED_OUT, StudentStatus.DROPPED_OUT.label),
            (StudentStatus.TRANSFERRED, _("Chuyển đến trường ngoài Schoolbook")),
        ],
        widget=forms.RadioSelect,
    )
    on_date = date_field(_("Nghỉ học từ ngày"))
    reason = forms.CharField(label=_("Lý do"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_reason(self):
        reason = _squeeze(self.cleaned_data["reason"])
        if not reason:
            raise forms.ValidationError(_("Ghi lý do học sinh nghỉ học."))
        return reason


class GuardianForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    phone = PhoneField(label=_("Số điện thoại"))
    relationship = forms.ChoiceField(label=_("Quan hệ với học sinh"), choices=Relationship.choices)
    email = forms.EmailField(
        label=_("Email"), required=False, error_messages={"invalid": _("Nhập một địa chỉ email hợp lệ.")}
    )

    def __init__(self, *args, adding: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if adding:
            self.fields["is_primary"] = forms.BooleanField(label=_("Là liên hệ chính"), required=False)

    def clean_full_name(self):
        return _squeeze(self.cleaned_data["full_name"])
