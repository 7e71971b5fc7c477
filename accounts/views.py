import time

from django.conf import settings
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from accounts.forms import CodeRequestForm, CodeVerifyForm, LoginForm, PasswordSetForm
from accounts.models import User
from accounts.services import (
    AccountError,
    TooManyAttempts,
    login_check,
    otp_request,
    otp_verify,
    password_set,
)
from schoolbook.phones import format_national
from tenants.selectors import affiliations_of_user

VERIFIED_WINDOW_SECONDS = 600


def safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def login_view(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = login_check(phone=form.cleaned_data["phone"], password=form.cleaned_data["password"])
        except AccountError as error:
            form.add_error(None, str(error))
            status = 429 if isinstance(error, TooManyAttempts) else 200
        else:
            login(request, user)
            return redirect(safe_next(request) or "home")
    context = {"form": form, "next": safe_next(request) or ""}
    return render(request, "accounts/login.html", context, status=status)


def code_request_view(request):
    form = CodeRequestForm(request.POST or None, initial={"phone": request.GET.get("phone", "")})
    if request.method == "POST" and form.is_valid():
        try:
            sent = otp_request(phone=form.cleaned_data["phone"])
        except AccountError as error:
            form.add_error("phone", str(error))
        else:
            request.session["otp_phone"] = sent.phone
            request.session["otp_legacy_from"] = sent.legacy_from
            return redirect("code_verify")
    return render(request, "accounts/code_request.html", {"form": form})


def code_verify_view(request):
    phone = request.session.get("otp_phone")
    if not phone:
        return redirect("code_request")
    form = CodeVerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = otp_verify(phone=phone, code=form.cleaned_data["code"])
        except AccountError as error:
            form.add_error("code", str(error))
        else:
            request.session.pop("otp_phone", None)
            if signs_in_with_code(user):
                login(request, user)
                request.session.set_expiry(settings.PARENT_SESSION_AGE)
                return redirect("home")
            request.session["otp_verified"] = {"user_id": user.pk, "at": time.time()}
            return redirect("password_set")
    context = {
        "form": form,
        "phone": format_national(phone),
        "legacy_from": request.session.get("otp_legacy_from"),
        "valid_minutes": settings.OTP_TTL_SECONDS // 60,
    }
    return render(request, "accounts/code_verify.html", context)


def signs_in_with_code(user) -> bool:
    """Parents (no staff role in any school, not a platform admin, nor staff elsewhere: an education
    office's, settings.STAFF_OUTSIDE_SCHOOLS) are signed in by a one-time code alone, for
    PARENT_SESSION_AGE on that device; staff go on to set a password (and pass 2FA) as before."""
    return (
        not user.is_platform_admin
        and not any(a.is_staff for a in affiliations_of_user(user))
        and not import_string(settings.STAFF_OUTSIDE_SCHOOLS)(user)
    )


def password_set_view(request):
    """After a one-time code (staff must, parents may), or offered on a signed-in parent's home while the
    account has no password yet (a password they set then is an extra way in, the code still works)."""
    if request.user.is_authenticated and not request.user.has_usable_password():
        user = request.user
    else:
        verified = request.session.get("otp_verified") or {}
        if time.time() - verified.get("at", 0) > VERIFIED_WINDOW_SECONDS:
            request.session.pop("otp_verified", None)
            return redirect("code_request")
        user = User.objects.get(pk=verified["user_id"])
    form = PasswordSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_set(user=user, password=form.cleaned_data["password1"])
        except ValidationError as error:
            form.add_error("password1", error)
        else:
            request.session.pop("otp_verified", None)
            if request.user != user:
                login(request, user)
            else:  # Django rotates the session when the password changes: keep this one signed in
                update_session_auth_hash(request, user)
            return redirect("home")
    return render(
        request, "accounts/password_set.html", {"form": form, "user_phone": format_national(user.phone)}
    )


@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")


def landing_view(request):
    if request.user.is_authenticated:
        return redirect("home")
    return redirect("login")
