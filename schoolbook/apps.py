from django.apps import AppConfig


class SchoolbookConfig(AppConfig):
    """The composition layer as an app, for its management commands (seed_demo, onboarding)."""

    name = "schoolbook"
