"""The roster import's upload form: which list, and the file."""

from django import forms
from django.utils.translation import gettext_lazy as _

from students.imports.flow import SpreadsheetUploadForm


class RosterUploadForm(SpreadsheetUploadForm):
    kind = forms.ChoiceField(
        label=_("Danh sách"),
        choices=[("students", _("Học sinh và phụ huynh")), ("staff", _("Cán bộ, giáo viên"))],
        initial="students",
        required=False,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("Tệp danh sách (.xlsx hoặc .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_kind(self):
        return self.cleaned_data.get("kind") or "students"
