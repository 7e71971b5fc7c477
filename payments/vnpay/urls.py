"""VNPay's school pages (/s/<code>/fees/…): the merchant settings, paying an invoice, the return page."""

from django.urls import path

from payments.vnpay import views

urlpatterns = [
    path("settings/vnpay/", views.vnpay_settings_view, name="vnpay_settings"),
    path("settings/vnpay/remove/", views.vnpay_remove_view, name="vnpay_remove"),
    path("invoices/<int:pk>/vnpay/", views.vnpay_start_view, name="vnpay_start"),
    path("vnpay/return/", views.vnpay_return_view, name="vnpay_return"),
]
