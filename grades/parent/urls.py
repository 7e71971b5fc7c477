"""Routes of grades/parent/views.py."""

from django.urls import path

from grades.parent import views

urlpatterns = [
    path("students/<int:pk>/", views.student_grades, name="student_grades"),
]
