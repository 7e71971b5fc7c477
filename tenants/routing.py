"""Path routing to schools (/s/<code>/…) without the stock middleware's per-request costs.

The stock TenantSubfolderMiddleware clears Django's URL caches and builds a fresh URLconf on every request,
and looks the school up in the database every time. Here each school's URLconf is built once per process
and kept (so Django's resolver cache stays warm), and code → school is cached (schoolbook.caching),
invalidated by tenants.signals when a school or domain changes."""

from types import ModuleType

from django.conf import settings
from django.urls import include, path, reverse

from schoolbook.caching import cached_lookup
from tenants.models import SCHOOL_CODE_RE, School

SCHOOL_CACHE_SECONDS = 300
_urlconfs: dict[str, ModuleType] = {}


def school_cache_key(code: str) -> str:
    return f"school-by-code:{code}"


def school_for_code(code: str) -> School | None:
    if not SCHOOL_CODE_RE.match(code):  # also rejects upper case: /s/ABC/ is a 404, never a lookup
        return None
    return cached_lookup(
        school_cache_key(code),
        lambda: School.objects.filter(domains__domain=code).first(),
        SCHOOL_CACHE_SECONDS,
    )


def school_urlconf(code: str) -> ModuleType:
    """The school URLconf under /s/<code>/, built once per process and per school."""
    urlconf = _urlconfs.get(code)
    if urlconf is None:
        urlconf = ModuleType(f"{settings.SCHOOL_URLCONF}__{code}")
        urlconf.urlpatterns = [
            path(f"{settings.TENANT_SUBFOLDER_PREFIX}/{code}/", include(settings.SCHOOL_URLCONF))
        ]
        _urlconfs[code] = urlconf
    return urlconf


def school_reverse(school: School, viewname: str, *args, **kwargs) -> str:
    """reverse() for a school page outside a request (tasks, e-mails, the platform console)."""
    return reverse(viewname, urlconf=school_urlconf(school.code), args=args or None, kwargs=kwargs or None)
