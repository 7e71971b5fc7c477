from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Tài khoản")

    def ready(self):
        from accounts import signals  # noqa: F401 - forgets the cached user when the row changes
