"""Routes of grades/views_parent.py."""

urlpatterns = []
