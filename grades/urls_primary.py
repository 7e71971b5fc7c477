"""Routes of grades/views_primary.py."""

urlpatterns = []
