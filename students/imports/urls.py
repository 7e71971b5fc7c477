"""The roster import's URLs (mounted at the school's root by schoolbook.urls_school)."""

from django.urls import path

from students.imports import views

urlpatterns = [
    path("students/import/", views.roster_import_view, name="roster_import"),
    path("students/import/template.xlsx", views.roster_import_template_view, name="roster_import_template"),
    path("students/import/problems.csv", views.roster_import_problems_view, name="roster_import_problems"),
]
