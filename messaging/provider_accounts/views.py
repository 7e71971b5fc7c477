"""The school's own SMS account, on the messaging settings page: save or replace, remove (after a
confirmation), test send. The school admin only; a principal sees the account's state on the page."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.roles import Role
from messaging.provider_accounts import services
from messaging.provider_accounts.forms import SmsAccountForm
from messaging.provider_accounts.selectors import school_account
from messaging.views_settings import settings_page
from schoolbook.permissions import school_role_required


@school_role_required(Role.SCHOOL_ADMIN)
@require_POST
def sms_account_save_view(request):
    form = SmsAccountForm(request.POST)
    if not form.is_valid():
        return settings_page(request, account_form=form)
    services.provider_account_save(
        actor=request.user,
        provider=form.cleaned_data["provider"],
        credentials=form.credentials(),
        request=request,
    )
    messages.success(request, gettext("Đã lưu tài khoản SMS riêng của trường. Hãy gửi thử một tin."))
    return redirect("messaging_settings")


@school_role_required(Role.SCHOOL_ADMIN)
def sms_account_remove_view(request):
    account = school_account()
    if account is None:
        return redirect("messaging_settings")
    if request.method == "POST":
        services.provider_account_remove(actor=request.user, request=request)
        messages.success(
            request, gettext("Đã xoá tài khoản SMS riêng: tin SMS gửi qua tài khoản của hệ thống.")
        )
        return redirect("messaging_settings")
    return render(request, "messaging/sms_account_remove.html", {"account": account})


@school_role_required(Role.SCHOOL_ADMIN)
@require_POST
def sms_account_test_view(request):
    outcome = services.provider_account_test(actor=request.user, request=request)
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
