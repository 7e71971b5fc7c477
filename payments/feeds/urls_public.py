"""SePay's and Casso's webhooks, one address per school, at the platform's root (schoolbook.urls_public)."""

from django.urls import path

from payments.feeds import views

urlpatterns = [
    path("hooks/sepay/<str:code>/", views.sepay_webhook, name="sepay_webhook"),
    path("hooks/casso/<str:code>/", views.casso_webhook, name="casso_webhook"),
]
