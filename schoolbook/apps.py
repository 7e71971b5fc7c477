from django.apps import AppConfig


class SchoolbookConfig(AppConfig):
    """The composition layer as an app: its management commands (seed_demo, onboarding), and the wiring of
    lower apps to upper ones at start-up."""

    name = "schoolbook"

    def ready(self):
        from accounts.services import code_sender_register

        code_sender_register(_login_code_send)


def _login_code_send(*, recipient: str, body: str) -> None:
    """Login codes go as urgent messages (the urgent queue) through messaging's outbox."""
    from messaging.outbox.services import message_send

    message_send(purpose="otp", recipient=recipient, body=body, urgent=True)
