"""The school's messaging settings page and its own provider accounts (/s/<code>/messaging/settings/…)."""

from django.urls import path

from messaging.models import Channel
from messaging.settings import views

urlpatterns = [
    path("settings/", views.messaging_settings_view, name="messaging_settings"),
    *(
        route
        for channel in (Channel.SMS, Channel.ZALO)
        for route in (
            path(
                f"settings/accounts/{channel}/",
                views.account_save_view,
                {"channel": channel},
                name=f"{channel}_account_save",
            ),
            path(
                f"settings/accounts/{channel}/remove/",
                views.account_remove_view,
                {"channel": channel},
                name=f"{channel}_account_remove",
            ),
            path(
                f"settings/accounts/{channel}/test/",
                views.account_test_view,
                {"channel": channel},
                name=f"{channel}_account_test",
            ),
        )
    ),
]
