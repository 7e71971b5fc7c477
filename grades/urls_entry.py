"""Routes of grades/views_entry.py."""

urlpatterns = []
