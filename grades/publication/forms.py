"""The school's publication settings form."""

from django import forms
from django.utils.translation import gettext_lazy

from grades.models import PublishPolicy
from grades.publication.services import MAX_DELAY, MIN_DELAY


class GradebookSettingsForm(forms.Form):
    publish_policy = forms.ChoiceField(
        label=gettext_lazy("Công bố điểm cho phụ huynh"),
        choices=PublishPolicy.choices,
        widget=forms.RadioSelect,
    )
    auto_publish_after_minutes = forms.IntegerField(
        label=gettext_lazy("Tự động công bố sau (phút)"),
        min_value=MIN_DELAY,
        max_value=MAX_DELAY,
        help_text=gettext_lazy(
            "Một ô điểm được công bố khi đã không đổi trong khoảng thời gian này, để phụ huynh nhận một "
            "tin nhắn cho cả buổi nhập điểm."
        ),
    )
