"""Routes of payments/parent/views.py: the signed-in guardian's own fee pages (/s/<code>/fees/my/…)."""

from django.urls import path

from payments.parent import views

urlpatterns = [
    path("my/", views.parent_fees, name="parent_fees"),
    path("my/family-qr.png", views.parent_family_qr, name="parent_family_qr"),
    path("my/invoices/<int:pk>/", views.parent_invoice, name="parent_invoice"),
    path("my/invoices/<int:pk>/qr.png", views.parent_invoice_qr, name="parent_invoice_qr"),
    path("my/students/<int:pk>/options/<int:item_pk>/", views.parent_fee_option, name="parent_fee_option"),
]
