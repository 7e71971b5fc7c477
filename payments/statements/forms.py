"""The statement import's forms: the bank and the file; which of the file's columns is which."""

from django import forms
from django.utils.translation import gettext, gettext_lazy

from payments.banks import BANKS
from payments.statements import parsing
from payments.statements.importer import LABELS
from students.imports.flow import SpreadsheetUploadForm

SAMPLE_CHARACTERS = 30


class StatementUploadForm(SpreadsheetUploadForm):
    bank = forms.ChoiceField(
        label=gettext_lazy("Ngân hàng"),
        choices=[("", gettext_lazy("— Chọn ngân hàng —"))]
        + [(bank.bin, f"{bank.short_name} – {bank.name}") for bank in BANKS],
        error_messages={
            "required": gettext_lazy("Hãy chọn ngân hàng của sao kê."),
            "invalid_choice": gettext_lazy("Hãy chọn ngân hàng trong danh sách."),
        },
    )
    file = forms.FileField(
        label=gettext_lazy("Tệp sao kê (.xlsx hoặc .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        help_text=gettext_lazy("Tải từ ngân hàng điện tử của trường, tối đa 10 MB."),
    )


class MappingForm(forms.Form):
    """One choice per field among the file's header texts (each shown with the first value under it)."""

    def __init__(self, *args, headers: list[str], samples: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        columns = [(text, _labelled(text, samples.get(text, ""))) for text in headers]
        for name, required in parsing.FIELDS:
            empty = gettext("— Chọn cột —") if required else gettext("— Sao kê không có cột này —")
            self.fields[name] = forms.ChoiceField(
                label=LABELS[name],
                choices=[("", empty), *columns],
                required=required,
                help_text=HELP.get(name, ""),
                error_messages={
                    "required": gettext_lazy("Hãy chọn cột này."),
                    "invalid_choice": gettext_lazy("Cột này không có trong tệp."),
                },
            )

    def clean(self):
        data = super().clean()
        seen: dict[str, str] = {}
        for name, _required in parsing.FIELDS:
            text = data.get(name)
            if not text:
                continue
            if text in seen:
                self.add_error(
                    name,
                    gettext("Cột “%(column)s” đã được chọn cho “%(field)s”.")
                    % {"column": text, "field": LABELS[seen[text]]},
                )
            else:
                seen[text] = name
        return data


HELP = {
    "amount": gettext_lazy("Cột tiền vào tài khoản (ghi có)."),
    "reference": gettext_lazy(
        "Nên chọn nếu có: nhập lại cùng sao kê sẽ nhận ra giao dịch đã có theo mã này."
    ),
    "debit": gettext_lazy("Nếu sao kê có cột tiền ra: các dòng tiền ra được bỏ qua."),
}


def _labelled(text: str, sample: str) -> str:
    if not sample:
        return text
    if len(sample) > SAMPLE_CHARACTERS:
        sample = sample[: SAMPLE_CHARACTERS - 1] + "…"
    return gettext("%(column)s (ví dụ: %(sample)s)") % {"column": text, "sample": sample}
