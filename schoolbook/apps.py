from django.apps import AppConfig


class SchoolbookConfig(AppConfig):
    """The composition layer as an app: its management commands (seed_demo, onboarding), its tasks, and the
    wiring of lower apps to upper ones at start-up."""

    name = "schoolbook"

    def ready(self):
        from django.db.backends.signals import connection_created

        from accounts.services import code_sender_register
        from schoolbook.office_summaries import changes_watch

        code_sender_register(_login_code_send)
        # Every committed write to the tables the offices' summaries come from marks its school as changed.
        connection_created.connect(changes_watch, dispatch_uid="office_summaries_changes_watch")


def _login_code_send(*, recipient: str, body: str) -> None:
    """Login codes go as urgent messages (the urgent queue) through messaging's outbox."""
    from messaging.outbox.services import message_send

    message_send(purpose="otp", recipient=recipient, body=body, urgent=True)
