"""Language choice: Vietnamese for everyone unless they picked another language with the switcher.

Replaces Django's LocaleMiddleware on purpose: Accept-Language is ignored, because many Vietnamese
parents have phones set to English and should still get Vietnamese. Only the language cookie written by
``django.views.i18n.set_language`` (POST /i18n/setlang/) changes the language.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

DEFAULT_LANGUAGE = "vi"


def language_from_request(request) -> str:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else DEFAULT_LANGUAGE


class LanguageCookieMiddleware:
    """Activates the cookie's language (or "vi") for the whole request, error pages included, and restores
    the previous language afterwards so nothing leaks into the next request or into code run later."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_from_request(request)
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response
