"""Who may enter a school's pages: the access middleware (after routing and authentication) and the rule
of who must pass 2FA there. It reads students (staff and guardians) and accounts (2FA), so it is wiring of
the composition layer, not part of tenants."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext

from accounts import services_2fa
from accounts.views_2fa import challenge_redirect
from payments.permissions import can_manage_fees
from students.permissions import is_manager
from students.selectors import guardian_for_user, staff_for_user


def required_for_staff(staff) -> bool:
    """Whoever reaches the manager pages or handles money: the same predicates those pages use
    (students.permissions.is_manager, payments.permissions.can_manage_fees), so a role given those rights is
    asked for 2FA without anyone remembering to list it here. Teachers and parents are never asked."""
    return settings.STAFF_2FA_REQUIRED and (is_manager(staff) or can_manage_fees(staff))


# Paths under /s/<code>/ that machines call with credentials of their own instead of a person's session
# (attendance's gate devices send a bearer token): no login redirect and no staff or guardian; the view
# authenticates the caller itself.
MACHINE_PATHS = ("attendance/api/",)


class SchoolAccessMiddleware:
    """Under /s/<code>/: a suspended school shows a clear page; anonymous users go to the login page;
    a user who is neither active staff nor a guardian in this school gets 404 for every page, whether it
    exists or not. Sets request.staff and request.guardian (either may be None, not both); staff pages
    check roles with school_role_required, pages for families with students.permissions. Managers
    (required_for_staff) are sent to the 2FA page first (accounts.services_2fa) until their session has
    passed it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        school = getattr(request, "tenant", None)
        request.staff = None
        request.guardian = None
        if school is not None and school.schema_name != "public":
            if not school.is_active:
                return render(request, "tenants/suspended.html", {"school": school}, status=403)
            school_prefix = f"/{settings.TENANT_SUBFOLDER_PREFIX}/{school.domain_subfolder}/"
            if request.path_info[len(school_prefix) :].startswith(MACHINE_PATHS):
                return self.get_response(request)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            request.staff = staff_for_user(request.user)
            request.guardian = guardian_for_user(request.user)
            if request.staff is None and request.guardian is None:
                raise Http404(gettext("Bạn không có quyền truy cập trường này."))
            # Managers pass 2FA once per session before any school page; checked here,
            # not at login, so every way of logging in meets it.
            if required_for_staff(request.staff) and not services_2fa.session_passed(
                request.session, request.user
            ):
                return challenge_redirect(request)
        return self.get_response(request)
