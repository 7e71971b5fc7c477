"""The office's forms for report requests: asking, and deciding on a school's submission."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offices.models import ReportKind, ReportRequest


class RequestForm(forms.ModelForm):
    class Meta:
        model = ReportRequest
        fields = ["title", "kind", "instructions", "period_start", "period_end", "deadline"]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "period_end": forms.DateInput(attrs={"type": "date"}),
            "deadline": forms.DateInput(attrs={"type": "date"}),
            "instructions": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"period_start": _("Chỉ cho báo cáo chuyên cần: kỳ cần tổng hợp.")}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if cleaned.get("kind") == ReportKind.ATTENDANCE:
            if not (start and end):
                self.add_error("period_start", _("Báo cáo chuyên cần cần kỳ tổng hợp: từ ngày, đến ngày."))
            elif start > end:
                self.add_error("period_end", _("“Đến ngày” phải sau “từ ngày”."))
        else:
            cleaned["period_start"] = cleaned["period_end"] = None
        deadline = cleaned.get("deadline")
        if deadline and deadline < timezone.localdate():
            self.add_error("deadline", _("Hạn nộp đã qua."))
        if cleaned.get("title"):
            cleaned["title"] = " ".join(cleaned["title"].split())
        return cleaned


class ReviewForm(forms.Form):
    DECISIONS = [("approve", _("Duyệt")), ("return", _("Trả lại để sửa")), ("lock", _("Khóa"))]
    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Nhận xét gửi trường"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Hãy ghi rõ trường cần sửa gì."))
        return cleaned
