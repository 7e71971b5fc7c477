from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Tin nhắn"

    def ready(self):
        import schoolbook.celery  # noqa: F401 - every process that sends tasks must use our Celery app
