"""Providers' delivery-report webhooks, at the platform's root (schoolbook.urls_public)."""

from django.urls import path

from messaging.receipts import views

urlpatterns = [
    path("hooks/esms/<str:school>/<str:token>/", views.esms_receipt, name="esms_receipt"),
    path("hooks/zalo/", views.zns_webhook, name="zalo_webhook"),
    path("hooks/zalo/<str:code>/", views.zns_school_webhook, name="zalo_school_webhook"),
]
