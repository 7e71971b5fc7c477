"""Routes of grades/views_excel.py."""

urlpatterns = []
