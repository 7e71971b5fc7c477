from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = _("Hồ sơ trường")

    def ready(self):
        from students import signals  # noqa: F401 - forgets cached staff rows when they change
