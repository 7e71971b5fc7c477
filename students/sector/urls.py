"""The sector database exchange's URLs (mounted at the school's root by schoolbook.urls_school)."""

from django.urls import path

from students.sector import views

urlpatterns = [
    path("students/sector/", views.sector_exchange, name="sector_exchange"),
    path("students/sector/<slug:kind>.xlsx", views.sector_file, name="sector_file"),
]
