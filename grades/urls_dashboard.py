"""Routes of grades/views_dashboard.py."""

urlpatterns = []
