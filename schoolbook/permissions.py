"""Named access rules used by views. Failing a rule is a 404: a page you may not see does not exist."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404


def platform_admin_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_platform_admin:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def school_role_required(*roles):
    """Under /s/<code>/ the access middleware has already set request.staff (or answered 404)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            staff = getattr(request, "staff", None)
            if staff is None or not staff.has_role(*roles):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
