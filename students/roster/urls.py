"""The roster pages' URLs (mounted at the school's root by schoolbook.urls_school)."""

from django.urls import path

from students.roster import views

urlpatterns = [
    path("staff/", views.staff_list_view, name="staff_list"),
    path("assignments/", views.assignment_list_view, name="assignment_list"),
    path("classes/", views.class_list_view, name="class_list"),
    path("classes/rollover/", views.year_rollover_view, name="year_rollover"),
    path("classes/<int:pk>/", views.class_detail_view, name="class_detail"),
    path("students/", views.student_list_view, name="student_list"),
    path("students/<int:pk>/", views.student_detail_view, name="student_detail"),
    path("students/<int:pk>/move/", views.enrolment_move_view, name="enrolment_move"),
]
