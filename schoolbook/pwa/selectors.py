"""Who gets the parent's app on a request: the bottom bar, the offline banner, and pages kept by the service
worker. A parent here is who signs in as one (accounts.views.signs_in_with_code: no staff role in any
school, no office, not a platform admin) and is a guardian somewhere: a staff member who is also a parent is
staff, as at sign-in, so no page a staff member sees is ever kept on a device."""

from django.utils.crypto import salted_hmac

from accounts.views import signs_in_with_code
from schoolbook.caching import cached_lookup
from tenants.selectors import affiliations_of_user

# Asked on every page a signed-in person opens: kept in the cache, so a new role takes up to this long to
# remove the bar from the platform's own pages. A school's pages check the request's staff row too, which
# the access middleware reads fresh, so a school page of staff is never marked, even within that time.
PARENT_CACHE_SECONDS = 300
OWNER_SALT = "schoolbook.pwa.offline-owner"


def _is_parent(user) -> bool:
    return signs_in_with_code(user) and any(a.is_guardian for a in affiliations_of_user(user))


def parent_app(request) -> bool:
    """Whether the request's user gets the parent's app on this page (once per request)."""
    if not hasattr(request, "_parent_app"):
        user = getattr(request, "user", None)
        request._parent_app = bool(
            user is not None
            and user.is_authenticated
            and getattr(request, "staff", None) is None
            and cached_lookup(f"pwa-parent:{user.pk}", lambda: _is_parent(user), PARENT_CACHE_SECONDS)
        )
    return request._parent_app


def offline_owner(request) -> str:
    """The name under which the service worker keeps this page ("" for a page it must not keep): the same
    for all of a parent's pages and nobody else's, and not their id (a cache name is visible to any script
    of the origin)."""
    if not parent_app(request):
        return ""
    return salted_hmac(OWNER_SALT, str(request.user.pk)).hexdigest()[:20]
