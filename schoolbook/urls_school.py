"""A school's pages; mounted under /s/<code>/ by tenants.routing."""

from django.urls import include, path

from schoolbook.home.views import school_home

urlpatterns = [
    path("", school_home, name="school_home"),
    path("", include("students.roster.urls")),
    path("", include("students.imports.urls")),
    path("", include("students.sector.urls")),
    path("", include("students.people.urls")),
    path("guardians/invite/", include("students.invites.urls")),
    path("", include("students.setup.urls")),
    path("", include("students.transfers.urls")),
    path("grades/", include("grades.urls")),
    path("notices/", include("notices.urls")),
    path("messaging/", include("messaging.settings.urls")),
    path("attendance/", include("attendance.urls")),
    path("fees/", include("payments.urls")),
    path("timetable/", include("timetable.urls")),
    path("conversations/", include("conversations.urls")),
    path("reports/", include("schoolbook.office_reports.urls")),
]
