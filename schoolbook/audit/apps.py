from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "schoolbook.audit"
    label = "audit"
    verbose_name = "Nhật ký"
