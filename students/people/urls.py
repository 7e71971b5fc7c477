from django.urls import path

from students.people import views

urlpatterns = [
    path("staff/<int:pk>/", views.staff_edit_view, name="staff_edit"),
    path("staff/<int:pk>/active/", views.staff_active_view, name="staff_active"),
    path("staff/<int:pk>/remove/", views.staff_remove_view, name="staff_remove"),
    path("students/new/", views.student_add_view, name="student_add"),
    path("students/<int:pk>/edit/", views.student_edit_view, name="student_edit"),
    path("students/<int:pk>/withdraw/", views.student_withdraw_view, name="student_withdraw"),
    path("students/<int:pk>/guardians/new/", views.guardian_add_view, name="guardian_add"),
    path("students/<int:pk>/guardians/<int:link_pk>/", views.guardian_edit_view, name="guardian_edit"),
    path(
        "students/<int:pk>/guardians/<int:link_pk>/remove/",
        views.guardian_remove_view,
        name="guardian_remove",
    ),
    path(
        "students/<int:pk>/guardians/<int:link_pk>/primary/",
        views.guardian_primary_view,
        name="guardian_primary",
    ),
]
