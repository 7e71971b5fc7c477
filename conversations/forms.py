"""Forms of the conversation pages. They read the input; the rules (who may write to whom, the text's
length, the file's type and size) live in conversations.services, whose errors the views put on these
fields."""

import uuid

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from conversations.models import BODY_MAX, ConversationSettings
from conversations.rules import WEEKDAY_SHORT
from conversations.services import ConversationError, message_attachment_check
from schoolbook.uploads import attachment_max_mb


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Tin nhắn"),
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": BODY_MAX}),
    )
    attachment = forms.FileField(
        label=_("Ảnh hoặc tệp PDF"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,image/*"}),
    )
    # One per form shown: a retried POST (a double tap, a lost answer) is recognised, never written twice.
    client_key = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("client_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["attachment"].help_text = gettext(
            "Không bắt buộc. Ảnh JPEG, PNG hoặc tệp PDF, tối đa %(size)s MB."
        ) % {"size": attachment_max_mb()}

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachment") and not self.errors:
            self.add_error("body", gettext("Hãy viết tin nhắn."))
        return data

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            try:
                message_attachment_check(upload)
            except ConversationError as error:
                raise forms.ValidationError(str(error)) from error
        return upload


class StartForm(MessageForm):
    """A guardian picks one of the child's teachers; a teacher, some or all of the child's guardians."""

    recipients = forms.MultipleChoiceField(label=_("Gửi đến"), widget=forms.CheckboxSelectMultiple)

    field_order = ["recipients", "body", "attachment", "client_key"]

    def __init__(self, *args, choices, single, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["recipients"]
        field.choices = choices
        if single:
            self.fields["recipients"] = forms.ChoiceField(
                label=_("Gửi đến"), choices=choices, widget=forms.RadioSelect
            )

    def recipient_ids(self) -> list[int]:
        value = self.cleaned_data["recipients"]
        return [int(v) for v in (value if isinstance(value, list) else [value])]


class ReportForm(forms.Form):
    reason = forms.CharField(label=_("Lý do báo cáo"), max_length=300)


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do ẩn"),
        max_length=300,
        help_text=_("Người trong cuộc trò chuyện sẽ thấy tin nhắn đã được ẩn và lý do này."),
    )


class OfficeHoursForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Ngày làm việc"),
        coerce=int,
        required=False,
        choices=list(enumerate(WEEKDAY_SHORT)),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Bỏ chọn hết: phụ huynh nhắn lúc nào, thầy/cô được báo ngay lúc ấy."),
    )
    opens = forms.TimeField(label=_("Từ giờ"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    closes = forms.TimeField(
        label=_("Đến giờ"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ConversationSettings
        fields = ["principal_reads", "sms_allowed"]
