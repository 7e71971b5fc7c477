"""The gradebook import's upload form."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from students.imports.flow import MAX_BYTES


class GradebookUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp sổ điểm (.xlsx đã xuất từ trang này)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(gettext("Tệp lớn hơn 10 MB."))
        return upload
