"""The school's bank-notification services (/s/<code>/fees/settings/feeds/…)."""

from django.urls import path

from payments.feeds import views
from payments.feeds.selectors import FEEDS

urlpatterns = [
    path("settings/feeds/", views.feeds_settings_view, name="payment_feeds_settings"),
    *(
        route
        for provider in FEEDS
        for route in (
            path(
                f"settings/feeds/{provider}/",
                views.feed_save_view,
                {"provider": provider},
                name=f"{provider}_feed_save",
            ),
            path(
                f"settings/feeds/{provider}/remove/",
                views.feed_remove_view,
                {"provider": provider},
                name=f"{provider}_feed_remove",
            ),
        )
    ),
]
