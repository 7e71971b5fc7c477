"""The school's own provider accounts (/s/<code>/messaging/settings/accounts/<sms|zalo>/…)."""

from django.urls import path

from messaging.models import Channel
from messaging.provider_accounts import views

urlpatterns = [
    route
    for channel in (Channel.SMS, Channel.ZALO)
    for route in (
        path(f"{channel}/", views.account_save_view, {"channel": channel}, name=f"{channel}_account_save"),
        path(
            f"{channel}/remove/",
            views.account_remove_view,
            {"channel": channel},
            name=f"{channel}_account_remove",
        ),
        path(
            f"{channel}/test/", views.account_test_view, {"channel": channel}, name=f"{channel}_account_test"
        ),
    )
]
