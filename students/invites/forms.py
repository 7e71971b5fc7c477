from django import forms
from django.utils.translation import gettext_lazy as _

from students.invites.selectors import Whom


class InviteForm(forms.Form):
    whom = forms.ChoiceField(
        label=_("Mời ai"),
        choices=Whom.choices,
        initial=Whom.NOT_INVITED,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Hãy chọn mời ai."),
            "invalid_choice": _("Lựa chọn không hợp lệ."),
        },
    )
