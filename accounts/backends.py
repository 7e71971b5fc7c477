from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from schoolbook.phones import PhoneError, normalize_phone


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
