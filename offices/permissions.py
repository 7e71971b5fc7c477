"""Who may open an office's pages: its own staff, signed in, past two-factor authentication; its staff
pages, its heads alone. Anyone else gets 404, whether the office exists or not (as a school's pages answer
outsiders, and a school's pages answer a role they are not for)."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from accounts import services_2fa
from accounts.views_2fa import challenge_redirect
from offices.models import OfficeStaff


def office_staff_required(view):
    """For views taking the office's `code`: sets request.office and request.office_role."""

    @wraps(view)
    def wrapper(request, code, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        seat = (
            OfficeStaff.objects.select_related("office").filter(office__code=code, user=request.user).first()
        )
        if seat is None:
            raise Http404
        if settings.STAFF_2FA_REQUIRED and not services_2fa.session_passed(request.session, request.user):
            return challenge_redirect(request)
        request.office, request.office_role = seat.office, seat.role
        return view(request, *args, **kwargs)

    return wrapper


def office_head_required(view):
    """office_staff_required, and the seat is a head's: a specialist gets 404 as an outsider does."""

    @office_staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.office_role != OfficeStaff.Role.HEAD:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
