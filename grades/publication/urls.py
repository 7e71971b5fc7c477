"""Routes of grades/publication/views.py."""

from django.urls import path

from grades.publication import views

urlpatterns = [
    path("assignments/<int:pk>/publish/", views.grades_publish, name="grades_publish"),
    path("settings/", views.gradebook_settings_view, name="gradebook_settings"),
    path(
        "primary/assignments/<int:pk>/<str:checkpoint>/publish/",
        views.checkpoint_publish_view,
        name="checkpoint_publish",
    ),
    path(
        "primary/classes/<int:pk>/<str:checkpoint>/publish/",
        views.class_checkpoint_publish_view,
        name="class_checkpoint_publish",
    ),
]
