from django.urls import path

from attendance.parent import views

urlpatterns = [
    # A child's month for the parent (and the staff who may see the child).
    path("students/<int:pk>/", views.student_attendance, name="student_attendance"),
]
