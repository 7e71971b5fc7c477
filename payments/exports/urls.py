"""The exports (/s/<code>/fees/export/…): the accounting workbooks and the city centre's payment data."""

from django.urls import path

from payments.exports import views

urlpatterns = [
    path("export/", views.exports_view, name="fee_exports"),
    path("export/payments.xlsx", views.payments_export_view, name="fee_export_payments"),
    path("export/invoices.xlsx", views.invoices_export_view, name="fee_export_invoices"),
    path("export/city/<str:period>.<str:fmt>", views.city_export_view, name="fee_export_city"),
]
