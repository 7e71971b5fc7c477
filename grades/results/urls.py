"""Routes of grades/results/views.py."""

from django.urls import path

from grades.results import views

urlpatterns = [
    path("plan/", views.assessment_plan_view, name="assessment_plan"),
    path("classes/<int:pk>/results/", views.class_results_view, name="class_results"),
    path("classes/<int:pk>/conduct/", views.conduct_view, name="class_conduct"),
    path("classes/<int:pk>/conduct/publish/", views.conduct_publish_view, name="conduct_publish"),
]
