"""The console's own forms (onboarding validates with tenants.forms.SchoolOnboardForm)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SuspendForm(forms.Form):
    reason = forms.CharField(label=_("Lý do tạm ngừng"), max_length=300)
