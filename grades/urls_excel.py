"""Routes of grades/views_excel.py: a class's gradebook for a term as Excel (export, import) and as the
printed term report."""

from django.urls import path

from grades import views_excel

PREFIX = "classes/<int:pk>/terms/<int:term_pk>/"

urlpatterns = [
    path(f"{PREFIX}export.xlsx", views_excel.gradebook_export_view, name="gradebook_export"),
    path(f"{PREFIX}import/", views_excel.gradebook_import_view, name="gradebook_import"),
    path(
        f"{PREFIX}import/problems.csv", views_excel.gradebook_problems_view, name="gradebook_import_problems"
    ),
    path(f"{PREFIX}report/", views_excel.report_card_view, name="report_card"),
]
