"""VNPay's IPN, at the platform's root (schoolbook.urls_public): one address per school, which the school
registers with VNPay."""

from django.urls import path

from payments.vnpay import views

urlpatterns = [
    path("hooks/vnpay/<str:code>/", views.vnpay_ipn, name="vnpay_ipn"),
]
