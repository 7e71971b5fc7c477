"""The school's messaging settings page: channel order and fallback, SMS gateway and accents, quiet hours,
approval of teachers' notices, and the school's own SMS account and Zalo OA (messaging.provider_accounts:
the school admin saves or replaces, removes after a confirmation and test-sends them; the principal sees
their state). School admin and principal only (others: 404)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.roles import Role
from messaging.models import Channel, MessagingSettings
from messaging.outbox.selectors import format_vnd
from messaging.provider_accounts.selectors import school_account
from messaging.provider_accounts.services import (
    provider_account_remove,
    provider_account_save,
    provider_account_test,
)
from messaging.settings.forms import MessagingSettingsForm, SmsAccountForm, ZaloAccountForm
from messaging.settings.services import messaging_settings_update
from messaging.sms_text import sms_cost, sms_normalise, sms_segments
from schoolbook.permissions import school_role_required

SETTINGS_EDITORS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)
ACCOUNT_FORMS = {Channel.SMS: SmsAccountForm, Channel.ZALO: ZaloAccountForm}


@school_role_required(*SETTINGS_EDITORS)
def messaging_settings_view(request):
    form = MessagingSettingsForm(
        request.POST or None, initial=MessagingSettingsForm.initial_for(MessagingSettings.current())
    )
    if request.method == "POST" and form.is_valid():
        messaging_settings_update(actor=request.user, **form.values())
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


@school_role_required(Role.SCHOOL_ADMIN)
@require_POST
def account_save_view(request, channel):
    form = ACCOUNT_FORMS[channel](request.POST)
    if not form.is_valid():
        return settings_page(request, account_forms={channel: form})
    provider = form.cleaned_data["provider"] if channel == Channel.SMS else channel
    provider_account_save(
        actor=request.user, provider=provider, credentials=form.credentials(), channel=channel
    )
    if channel == Channel.ZALO:
        saved = gettext("Đã lưu Zalo OA riêng của trường. Hãy đặt địa chỉ webhook cho ứng dụng, rồi gửi thử.")
    else:
        saved = gettext("Đã lưu tài khoản SMS riêng của trường. Hãy gửi thử một tin.")
    messages.success(request, saved)
    return redirect("messaging_settings")


@school_role_required(Role.SCHOOL_ADMIN)
def account_remove_view(request, channel):
    account = school_account(channel)
    if account is None:
        return redirect("messaging_settings")
    if request.method == "POST":
        provider_account_remove(actor=request.user, channel=channel)
        if channel == Channel.ZALO:
            removed = gettext("Đã xoá Zalo OA riêng: tin Zalo gửi qua OA của hệ thống (nếu có).")
        else:
            removed = gettext("Đã xoá tài khoản SMS riêng: tin SMS gửi qua tài khoản của hệ thống.")
        messages.success(request, removed)
        return redirect("messaging_settings")
    return render(request, "messaging/account_remove.html", {"account": account})


@school_role_required(Role.SCHOOL_ADMIN)
@require_POST
def account_test_view(request, channel):
    outcome = provider_account_test(actor=request.user, channel=channel)
    if outcome is None:
        return redirect("messaging_settings")
    phone = request.user.phone
    if outcome.ok:
        messages.success(
            request,
            gettext("Gửi thử thành công: nhà cung cấp đã nhận tin tới %(phone)s (mã tin %(id)s).")
            % {"phone": phone, "id": outcome.answer or "—"},
        )
    else:
        messages.error(
            request,
            gettext("Gửi thử không thành công. Nhà cung cấp trả lời: %(answer)s")
            % {"answer": outcome.answer},
        )
    return redirect("messaging_settings")
