"""The accountant's money pages (/s/<code>/fees/transactions/…, /s/<code>/fees/payments/…)."""

from django.urls import path

from payments.ledger import views

urlpatterns = [
    path("transactions/", views.transactions_view, name="fee_transactions"),
    path("transactions/unmatched/", views.unmatched_view, name="fee_unmatched"),
    path("transactions/<int:pk>/", views.transaction_view, name="fee_transaction"),
    path("transactions/<int:pk>/assign/", views.transaction_assign_view, name="fee_transaction_assign"),
    path("transactions/<int:pk>/refund/", views.transaction_refund_view, name="fee_transaction_refund"),
    path("payments/<int:pk>/reverse/", views.payment_reverse_view, name="fee_payment_reverse"),
]
