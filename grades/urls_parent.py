"""Routes of grades/views_parent.py."""

from django.urls import path

from grades import views_parent

urlpatterns = [
    path("students/<int:pk>/", views_parent.student_grades, name="student_grades"),
    path("assignments/<int:pk>/publish/", views_parent.grades_publish, name="grades_publish"),
    path("settings/", views_parent.gradebook_settings_view, name="gradebook_settings"),
    path(
        "primary/assignments/<int:pk>/<str:checkpoint>/publish/",
        views_parent.checkpoint_publish_view,
        name="checkpoint_publish",
    ),
    path(
        "primary/classes/<int:pk>/<str:checkpoint>/publish/",
        views_parent.class_checkpoint_publish_view,
        name="class_checkpoint_publish",
    ),
]
