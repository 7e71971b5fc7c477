"""Routes of grades/dashboard/views.py."""

from django.urls import path

from grades.dashboard import views

urlpatterns = [
    path("dashboard/", views.dashboard_view, name="grades_dashboard"),
    path("dashboard/list/", views.dashboard_list_view, name="grades_dashboard_list"),
    path("dashboard/primary/", views.primary_dashboard_view, name="grades_primary_dashboard"),
    path(
        "dashboard/primary/list/",
        views.primary_dashboard_list_view,
        name="grades_primary_dashboard_list",
    ),
]
