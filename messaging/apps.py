from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Tin nhắn")

    def ready(self):
        import schoolbook.celery  # noqa: F401 - every process that sends tasks must use our Celery app
        from messaging import alerts  # noqa: F401 - connects the platform alerts to the gateways' signals
