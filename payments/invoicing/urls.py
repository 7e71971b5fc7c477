"""The fee catalogue, collection rounds and invoices (/s/<code>/fees/…)."""

urlpatterns = []
