"""The fee catalogue's forms: an item, an exemption or reduction, a decision on one."""

import re

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from payments.forms import AmountField
from payments.models import FeeItem, FeeReduction, Unit
from schoolbook.uploads import UploadRefused, attachment_check
from students.models import GradeLevel, SchoolClass, Student


class FeeItemForm(forms.Form):
    name = forms.CharField(label=_("Tên khoản thu"), max_length=120)
    amount = AmountField(label=_("Số tiền (đồng)"), help_text=_("Ví dụ 600.000"))
    unit = forms.ChoiceField(label=_("Tính theo"), choices=Unit.choices)
    compulsory = forms.TypedChoiceField(
        label=_("Loại khoản thu"),
        choices=[(True, _("Bắt buộc")), (False, _("Tự nguyện: chỉ thu khi phụ huynh đăng ký"))],
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
        initial=True,
    )
    grades = forms.ModelMultipleChoiceField(
        label=_("Áp dụng cho khối"),
        queryset=GradeLevel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    classes = forms.ModelMultipleChoiceField(
        label=_("Áp dụng cho lớp"),
        queryset=SchoolClass.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    student_codes = forms.CharField(
        label=_("Áp dụng cho học sinh (mã học sinh)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Cách nhau bởi dấu phẩy hoặc xuống dòng. Để trống khối, lớp và học sinh: áp dụng cả trường."
        ),
    )

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.fields["grades"].queryset = (
            GradeLevel.objects.filter(classes__year=year).distinct().order_by("number")
        )
        self.fields["classes"].queryset = SchoolClass.objects.filter(year=year).order_by(
            "grade__number", "name"
        )
        self.fields["grades"].label_from_instance = lambda grade: gettext("Khối %(n)s") % {"n": grade.number}

    @classmethod
    def initial_for(cls, item: FeeItem) -> dict:
        codes = ", ".join(item.students.order_by("student_code").values_list("student_code", flat=True))
        return {
            "name": item.name,
            "amount": item.amount,
            "unit": item.unit,
            "compulsory": item.compulsory,
            "grades": list(item.grades.all()),
            "classes": list(item.classes.all()),
            "student_codes": codes,
        }

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_student_codes(self):
        codes = [code for code in re.split(r"[\s,;]+", self.cleaned_data["student_codes"]) if code]
        found = {s.student_code: s for s in Student.objects.filter(student_code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise forms.ValidationError(
                gettext("Không có học sinh mang mã: %(codes)s.") % {"codes": ", ".join(missing)}
            )
        return list(found.values())


class ReductionForm(forms.Form):
    student_code = forms.CharField(label=_("Mã học sinh"), max_length=30)
    item = forms.ModelChoiceField(label=_("Khoản thu"), queryset=FeeItem.objects.none())
    kind = forms.ChoiceField(
        label=_("Hình thức"),
        choices=FeeReduction.Kind.choices,
        widget=forms.RadioSelect,
        initial=FeeReduction.Kind.PERCENT,
    )
    value = AmountField(
        label=_("Mức miễn giảm"), help_text=_("Phần trăm (1–100) hoặc số đồng mỗi đơn vị tính.")
    )
    reason = forms.CharField(
        label=_("Lý do và căn cứ"),
        max_length=300,
        help_text=_("Ví dụ: Hộ nghèo, theo Nghị định 81/2021/NĐ-CP."),
    )
    evidence = forms.FileField(
        label=_("Minh chứng (PDF, JPEG hoặc PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = FeeItem.objects.filter(year=year, archived_at__isnull=True)

    def clean_student_code(self):
        code = self.cleaned_data["student_code"].strip()
        student = Student.objects.filter(student_code=code).first()
        if student is None:
            raise forms.ValidationError(gettext("Không có học sinh mang mã %(code)s.") % {"code": code})
        return student

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if upload:
            try:
                attachment_check(upload)
            except UploadRefused as error:
                raise forms.ValidationError(str(error)) from error
        return upload

    def clean(self):
        data = super().clean()
        kind, value, item = data.get("kind"), data.get("value"), data.get("item")
        if kind == FeeReduction.Kind.PERCENT and value is not None and value > 100:
            self.add_error("value", gettext("Phần trăm miễn giảm từ 1 đến 100."))
        if kind == FeeReduction.Kind.AMOUNT and value and item and value > item.amount:
            self.add_error("value", gettext("Mức giảm không được lớn hơn số tiền của khoản thu."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Duyệt")), ("reject", _("Không duyệt"))])
    note = forms.CharField(label=_("Ghi chú"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("note", "").strip():
            self.add_error("note", gettext("Hãy ghi lý do không duyệt."))
        return data
