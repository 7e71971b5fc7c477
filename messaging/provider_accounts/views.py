"""The school's own provider accounts (its SMS brandname, its Zalo OA), on the messaging settings page: save
or replace, remove (after a confirmation), test send. The school admin only; a principal sees each account's
state on the page."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.roles import Role
from messaging.models import Channel
from messaging.provider_accounts import services
from messaging.provider_accounts.forms import SmsAccountForm, ZaloAccountForm
from messaging.provider_accounts.selectors import school_account
from messaging.views_settings import settings_page
from schoolbook.permissions import school_role_required

FORMS = {Channel.SMS: SmsAccountForm, Channel.ZALO: ZaloAccountForm}


@school_role_required(Role.SCHOOL_ADMIN)
@require_POST
def account_save_view(request, channel):
    form = FORMS[channel](request.POST)
    if not form.is_valid():
        return settings_page(request, account_forms={channel: form})
    provider = form.cleaned_data["provider"] if channel == Channel.SMS else channel
    services.provider_account_save(
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
        services.provider_account_remove(actor=request.user, channel=channel)
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
    outcome = services.provider_account_test(actor=request.user, channel=channel)
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
