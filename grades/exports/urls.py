"""Routes of grades/exports/views.py: a class's gradebook for a term as Excel (export, import) and as the
printed term report."""

from django.urls import path

from grades.exports import views

PREFIX = "classes/<int:pk>/terms/<int:term_pk>/"

urlpatterns = [
    path(f"{PREFIX}export.xlsx", views.gradebook_export_view, name="gradebook_export"),
    path(f"{PREFIX}import/", views.gradebook_import_view, name="gradebook_import"),
    path(f"{PREFIX}import/problems.csv", views.gradebook_problems_view, name="gradebook_import_problems"),
    path(f"{PREFIX}report/", views.report_card_view, name="report_card"),
]
