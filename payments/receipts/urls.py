"""Routes of payments/receipts/views.py (/s/<code>/fees/receipts/…)."""

from django.urls import path

from payments.receipts import views

urlpatterns = [
    path("receipts/<int:pk>/", views.fee_receipt, name="fee_receipt"),
    path("receipts/<int:pk>/pdf/", views.fee_receipt_pdf, name="fee_receipt_pdf"),
]
