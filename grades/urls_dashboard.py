"""Routes of grades/views_dashboard.py."""

from django.urls import path

from grades import views_dashboard

urlpatterns = [
    path("dashboard/", views_dashboard.dashboard_view, name="grades_dashboard"),
    path("dashboard/list/", views_dashboard.dashboard_list_view, name="grades_dashboard_list"),
    path("dashboard/primary/", views_dashboard.primary_dashboard_view, name="grades_primary_dashboard"),
    path(
        "dashboard/primary/list/",
        views_dashboard.primary_dashboard_list_view,
        name="grades_primary_dashboard_list",
    ),
]
