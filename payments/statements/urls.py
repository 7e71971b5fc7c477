"""The bank statement import (/s/<code>/fees/statements/…)."""

from django.urls import path

from payments.statements import views

urlpatterns = [
    path("statements/import/", views.statement_import_view, name="statement_import"),
    path("statements/import/columns/", views.statement_mapping_view, name="statement_mapping"),
    path("statements/import/problems.csv", views.statement_problems_view, name="statement_import_problems"),
]
