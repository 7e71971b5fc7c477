"""A school's pages; mounted under /s/<code>/ by tenants.routing."""

from django.urls import include, path

from students import views as students_views
from students import views_import, views_roster

urlpatterns = [
    path("", students_views.school_home, name="school_home"),
    path("staff/", students_views.staff_list_view, name="staff_list"),
    path("assignments/", students_views.assignment_list_view, name="assignment_list"),
    path("classes/", students_views.class_list_view, name="class_list"),
    path("classes/rollover/", views_roster.year_rollover_view, name="year_rollover"),
    path("classes/<int:pk>/", students_views.class_detail_view, name="class_detail"),
    path("students/", students_views.student_list_view, name="student_list"),
    path("students/<int:pk>/", students_views.student_detail_view, name="student_detail"),
    path("students/<int:pk>/move/", views_roster.enrolment_move_view, name="enrolment_move"),
    path("students/import/", views_import.roster_import_view, name="roster_import"),
    path(
        "students/import/template.xlsx",
        views_import.roster_import_template_view,
        name="roster_import_template",
    ),
    path(
        "students/import/problems.csv",
        views_import.roster_import_problems_view,
        name="roster_import_problems",
    ),
    path("", include("students.people.urls")),
    path("guardians/invite/", include("students.invites.urls")),
    path("", include("students.setup.urls")),
    path("", include("students.transfers.urls")),
    path("grades/", include("grades.urls")),
    path("notices/", include("notices.urls")),
    path("messaging/", include("messaging.settings.urls")),
    path("attendance/", include("attendance.urls")),
]
