"""Collection rounds, invoices and the receiving account (/s/<code>/fees/…)."""

from django.urls import path

from payments.invoicing import views

urlpatterns = [
    path("rounds/", views.round_list_view, name="fee_rounds"),
    path("rounds/new/", views.round_new_view, name="fee_round_new"),
    path("rounds/<int:pk>/", views.round_detail_view, name="fee_round"),
    path("rounds/<int:pk>/generate/", views.round_generate_view, name="fee_round_generate"),
    path("invoices/<int:pk>/", views.invoice_view, name="fee_invoice"),
    path("invoices/<int:pk>/qr.png", views.invoice_qr_png_view, name="fee_invoice_qr"),
    path("invoices/<int:pk>/cancel/", views.invoice_cancel_view, name="fee_invoice_cancel"),
    path("settings/", views.settings_view, name="fee_settings"),
]
