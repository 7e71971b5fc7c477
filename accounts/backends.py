"""Signing in with a phone number and a password, and the signed-in user read on every request."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from schoolbook.caching import cached_lookup
from schoolbook.phones import PhoneError, normalize_phone

USER_CACHE_SECONDS = 300


def user_cache_key(user_id) -> str:
    return f"user:{user_id}"


class PhonePasswordBackend(ModelBackend):
    """Phone number (any Vietnamese written form) + password."""

    def authenticate(self, request, phone=None, password=None, **kwargs):
        phone = phone or kwargs.get("username")
        if not phone or not password:
            return None
        try:
            e164 = normalize_phone(phone).e164
        except PhoneError:
            return None
        try:
            user = User.objects.get(phone=e164)
        except User.DoesNotExist:
            User().set_password(password)  # same time as a real check: no user enumeration by timing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in user, asked on every request: kept in Redis and never in a process's memory, and
        forgotten whenever the row changes (accounts.signals), so that a password change (which changes
        the session hash Django checks) or a deactivation ends every other session at its next request."""
        user = cached_lookup(
            user_cache_key(user_id),
            lambda: User._default_manager.filter(pk=user_id).first(),
            USER_CACHE_SECONDS,
            local=False,
        )
        return user if user is not None and self.user_can_authenticate(user) else None
