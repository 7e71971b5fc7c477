"""The school's report form: one whole number per figure, or the report's file."""

from django import forms
from django.utils.translation import gettext_lazy as _

from offices.figures import label
from schoolbook.uploads import UploadRefused, attachment_check


class FiguresForm(forms.Form):
    def __init__(self, *args, keys: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for key in keys:
            self.fields[key] = forms.IntegerField(
                label=label(key), min_value=0, max_value=10**13,
                error_messages={"invalid": _("Hãy nhập một số nguyên."), "min_value": _("Không được âm.")},
            )  # fmt: skip


class FileForm(forms.Form):
    file = forms.FileField(label=_("Tệp báo cáo (PDF, JPEG hoặc PNG)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            attachment_check(upload)
        except UploadRefused as error:
            raise forms.ValidationError(str(error)) from error
        return upload
