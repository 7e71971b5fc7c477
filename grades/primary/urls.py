"""Routes of grades/primary/views.py: primary (Circular 27) entry, qualities, results and report cards."""

from django.urls import path

from grades.primary import views

urlpatterns = [
    path(
        "primary/assignments/<int:pk>/<str:checkpoint>/",
        views.primary_entry_view,
        name="primary_entry",
    ),
    path(
        "primary/assignments/<int:pk>/<str:checkpoint>/save/",
        views.primary_entry_save_view,
        name="primary_entry_save",
    ),
    # before the checkpoint route, which would otherwise take "results" for a checkpoint
    path("primary/classes/<int:pk>/results/", views.primary_results_view, name="primary_results"),
    path(
        "primary/classes/<int:pk>/<str:checkpoint>/",
        views.primary_qualities_view,
        name="primary_qualities",
    ),
    path(
        "primary/classes/<int:pk>/<str:checkpoint>/report/",
        views.primary_report_card_view,
        name="primary_report_card",
    ),
    path(
        "primary/classes/<int:pk>/<str:checkpoint>/save/",
        views.primary_qualities_save_view,
        name="primary_qualities_save",
    ),
]
