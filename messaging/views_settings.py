"""The school's messaging settings page: channel order and fallback, SMS gateway and accents, quiet hours,
approval of teachers' notices, and the school's own SMS account and Zalo OA (messaging.provider_accounts:
the school admin changes them, the principal sees their state). School admin and principal only (others:
404)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from accounts.roles import Role
from messaging.forms import MessagingSettingsForm
from messaging.models import Channel, MessagingSettings
from messaging.provider_accounts.forms import SmsAccountForm, ZaloAccountForm
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


def settings_page(request, *, form=None, account_forms=None):
    """The page, with the settings form or an account's form as submitted (its errors shown: 400) or
    fresh. `account_forms`: {channel: submitted form}."""
    if form is None:
        form = MessagingSettingsForm(initial=MessagingSettingsForm.initial_for(MessagingSettings.current()))
    account_forms = account_forms or {}
    can_edit_accounts = request.staff.has_role(Role.SCHOOL_ADMIN)
    webhook = reverse(
        "zalo_school_webhook", urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=[request.tenant.code]
    )
    accounts = [
        {
            "channel": channel,
            "account": school_account(channel),
            "form": (account_forms.get(channel) or form_class()) if can_edit_accounts else None,
        }
        for channel, form_class in ((Channel.SMS, SmsAccountForm), (Channel.ZALO, ZaloAccountForm))
    ]
    context = {
        "form": form,
        "accounts": accounts,
        "zalo_webhook": request.build_absolute_uri(webhook),
        "price_per_segment": format_vnd(settings.SMS_PRICE_PER_SEGMENT_VND),
        "examples": _accent_examples(),
    }
    invalid = form.errors or any(submitted.errors for submitted in account_forms.values())
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
