"""The upload of the sector database's student list (for its identifiers)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from students.imports.flow import SpreadsheetUploadForm


class SectorListUploadForm(SpreadsheetUploadForm):
    file = forms.FileField(
        label=_("Danh sách học sinh tải từ CSDL ngành (.xlsx hoặc .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
