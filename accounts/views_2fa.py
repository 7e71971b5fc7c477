"""Staff two-factor pages at /account/2fa/: setup (secret, URI, first code, recovery codes once) or verify."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts import services_2fa
from accounts.forms import TwoFactorCodeForm, TwoFactorResetForm
from accounts.models import User
from accounts.services_2fa import TwoFactorError
from accounts.views import safe_next
from schoolbook.permissions import platform_admin_required
from schoolbook.qr import qr_svg


def challenge_redirect(request):
    """To the 2FA page, coming back to this page afterwards. Reversed in the public URLconf: school pages
    (/s/<code>/…) have their own, without the platform's pages."""
    path = reverse("two_factor", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    return redirect(f"{path}?{urlencode({'next': request.get_full_path()})}")


def _session_pass(request) -> None:
    # A new session key with the raised privilege, as login() does: a key known before is worthless.
    request.session.cycle_key()
    request.session[services_2fa.SESSION_KEY] = request.user.pk


def two_factor_required(view):
    """For the platform console (after platform_admin_required): its admins pass 2FA first."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if services_2fa.required_for_console(request.user) and not services_2fa.session_passed(
            request.session, request.user
        ):
            return challenge_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper


@login_required
def two_factor_view(request):
    next_url = safe_next(request) or reverse("home")
    if services_2fa.session_passed(request.session, request.user):
        return redirect(next_url)
    form = TwoFactorCodeForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if services_2fa.is_confirmed(request.user):
        if request.method == "POST" and form.is_valid():
            try:
                services_2fa.verify(user=request.user, code=form.cleaned_data["code"])
            except TwoFactorError as error:
                form.add_error("code", str(error))
            else:
                _session_pass(request)
                return redirect(next_url)
        return render(request, "accounts/two_factor_verify.html", context)
    form.fields["code"].help_text = _("6 chữ số đang hiện trên ứng dụng xác thực.")
    if request.method == "POST" and form.is_valid():
        try:
            recovery_codes = services_2fa.setup_confirm(user=request.user, code=form.cleaned_data["code"])
        except TwoFactorError as error:
            form.add_error("code", str(error))
        else:
            _session_pass(request)
            # Rendered, not redirected to: the codes exist in clear only in this response.
            return render(
                request,
                "accounts/two_factor_recovery.html",
                {"recovery_codes": recovery_codes, "next": next_url},
            )
    context["enrolment"] = enrolment = services_2fa.setup_begin(user=request.user)
    context["qr"] = qr_svg(enrolment.uri, title=gettext("Mã QR thiết lập xác thực hai lớp"))
    return render(request, "accounts/two_factor_setup.html", context)


@platform_admin_required
@two_factor_required
@require_http_methods(["GET", "POST"])
def console_two_factor_reset(request):
    """For a manager who lost both the phone and the recovery codes, after checking who they are (by
    phone call, in person): their next school page asks them to set 2FA up again."""
    form = TwoFactorResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(phone=form.cleaned_data["phone"]).first()
        if user is None:
            form.add_error("phone", gettext("Không có tài khoản nào với số điện thoại này."))
        elif not services_2fa.reset(actor=request.user, user=user):
            form.add_error("phone", gettext("Tài khoản này chưa thiết lập xác thực hai lớp."))
        else:
            messages.success(
                request,
                gettext("Đã đặt lại xác thực hai lớp của %(name)s. Lần tới người này sẽ thiết lập lại.")
                % {"name": user},
            )
            return redirect("console_two_factor_reset")
    return render(request, "accounts/two_factor_reset.html", {"form": form})
