"""Messaging pages inside a school (/s/<code>/messaging/…)."""

from django.urls import include, path

from messaging import views_settings

urlpatterns = [
    path("settings/", views_settings.messaging_settings_view, name="messaging_settings"),
    path("settings/accounts/", include("messaging.provider_accounts.urls")),
]
