"""The school's own provider accounts (/s/<code>/messaging/settings/accounts/…)."""

from django.urls import path

from messaging.provider_accounts import views

urlpatterns = [
    path("sms/", views.sms_account_save_view, name="sms_account_save"),
    path("sms/remove/", views.sms_account_remove_view, name="sms_account_remove"),
    path("sms/test/", views.sms_account_test_view, name="sms_account_test"),
]
