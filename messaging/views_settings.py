"""The school's messaging settings page: channel order and fallback, SMS gateway and accents, quiet hours,
approval of teachers' notices, and the school's own SMS account (messaging.provider_accounts: the school
admin changes it, the principal sees its state). School admin and principal only (others: 404)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from accounts.roles import Role
from messaging.forms import MessagingSettingsForm
from messaging.models import Channel, MessagingSettings
from messaging.provider_accounts.forms import SmsAccountForm
from messaging.provider_accounts.selectors import school_account
from messaging.selectors import format_vnd
from messaging.services import messaging_settings_update
from messaging.sms_text import sms_cost, sms_normalise, sms_segments
from schoolbook.permissions import school_role_required

SETTINGS_EDITORS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)


@school_role_required(*SETTINGS_EDITORS)
def messaging_settings_view(request):
    form = MessagingSettingsForm(
        request.POST or None, initial=MessagingSettingsForm.initial_for(MessagingSettings.current())
    )
    if request.method == "POST" and form.is_valid():
        messaging_settings_update(actor=request.user, request=request, **form.values())
        messages.success(request, gettext("Đã lưu cài đặt gửi tin."))
        return redirect("messaging_settings")
    return settings_page(request, form=form)


def settings_page(request, *, form=None, account_form=None):
    """The page, with either form as submitted (its errors shown: 400) or fresh."""
    if form is None:
        form = MessagingSettingsForm(initial=MessagingSettingsForm.initial_for(MessagingSettings.current()))
    can_edit_accounts = request.staff.has_role(Role.SCHOOL_ADMIN)
    context = {
        "form": form,
        "sms_account": school_account(Channel.SMS),
        "account_form": (account_form or SmsAccountForm()) if can_edit_accounts else None,
        "price_per_segment": format_vnd(settings.SMS_PRICE_PER_SEGMENT_VND),
        "examples": _accent_examples(),
    }
    invalid = form.errors or (account_form is not None and account_form.errors)
    return render(request, "messaging/settings.html", context, status=400 if invalid else 200)


def _accent_examples() -> list[dict]:
    """One typical sentence with and without accents, counted and priced as the pipeline will send it, so
    the school sees what the "without accents" box saves."""
    sentence = gettext(
        "Trường thông báo: thứ Hai học sinh nghỉ học do bão. Kính mong quý phụ huynh theo dõi tin tiếp theo."
    )
    examples = []
    for strip in (False, True):
        text = sms_normalise(sentence, strip)
        count = sms_segments(text)
        examples.append(
            {
                "strip_accents": strip,
                "text": text,
                "count": count,
                "cost": format_vnd(sms_cost(count.segments, settings.SMS_PRICE_PER_SEGMENT_VND)),
            }
        )
    return examples
