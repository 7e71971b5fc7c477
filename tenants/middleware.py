from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import Http404
from django.shortcuts import render
from django.urls import set_urlconf
from django.utils.translation import gettext
from django_tenants.middleware.subfolder import TenantSubfolderMiddleware

from tenants.routing import school_for_code, school_urlconf


class SchoolRoutingMiddleware(TenantSubfolderMiddleware):
    """Selects the school from /s/<code>/ (or the public schema) and its cached URLconf."""

    def process_request(self, request):
        prefix = f"/{settings.TENANT_SUBFOLDER_PREFIX}/"
        if not request.path_info.startswith(prefix):
            if connection.schema_name != "public":
                connection.set_schema_to_public()
            request.tenant = connection.tenant
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return
        code = request.path_info[len(prefix) :].split("/", 1)[0]
        school = school_for_code(code)
        if school is None:
            raise Http404(gettext("Không có trường này."))
        school.domain_subfolder = code
        request.tenant = school
        if connection.schema_name == school.schema_name:
            # Same schema as this connection's last request: its search_path is already right, and
            # set_tenant() would make the next query pay for another SET search_path round trip.
            connection.tenant = school
        else:
            connection.set_tenant(school)
        request.urlconf = school_urlconf(code)
        set_urlconf(request.urlconf)


# Paths under /s/<code>/ that machines call with credentials of their own instead of a person's session
# (attendance's gate devices send a bearer token): no login redirect and no staff or guardian; the view
# authenticates the caller itself.
MACHINE_PATHS = ("attendance/api/",)


class SchoolAccessMiddleware:
    """Under /s/<code>/: a suspended school shows a clear page; anonymous users go to the login page;
    a user who is neither active staff nor a guardian in this school gets 404 for every page, whether it
    exists or not. Sets request.staff and request.guardian (either may be None, not both); staff pages
    check roles with school_role_required, pages for families with students.permissions. Managers
    (students.permissions.is_manager, the rule of the manager pages) are sent to the 2FA page first
    (accounts.services_2fa) until their session has passed it."""

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
            from students.selectors import guardian_for_user, staff_for_user

            request.staff = staff_for_user(request.user)
            request.guardian = guardian_for_user(request.user)
            if request.staff is None and request.guardian is None:
                raise Http404(gettext("Bạn không có quyền truy cập trường này."))
            # Managers pass 2FA once per session before any school page; checked here,
            # not at login, so every way of logging in meets it.
            from accounts import services_2fa
            from accounts.views_2fa import challenge_redirect

            if services_2fa.required_for_staff(request.staff) and not services_2fa.session_passed(request):
                return challenge_redirect(request)
        return self.get_response(request)
