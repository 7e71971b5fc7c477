from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Trường học"

    def ready(self):
        from tenants import signals  # noqa: F401 - connects cache invalidation
