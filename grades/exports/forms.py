"""The gradebook import's upload form (the shared upload checks: students.imports.flow)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from students.imports.flow import SpreadsheetUploadForm


class GradebookUploadForm(SpreadsheetUploadForm):
    file = forms.FileField(
        label=_("Tệp sổ điểm (.xlsx đã xuất từ trang này)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
