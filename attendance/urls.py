"""Attendance routes under /s/<code>/attendance/ (plain names, reversed with school_reverse)."""

from django.urls import include, path

from attendance import views_stats

urlpatterns = [
    path("", include("attendance.roll_call.urls")),
    path("", include("attendance.parent.urls")),
    path("", include("attendance.leave.urls")),
    path("", include("attendance.gate.urls")),
    # Statistics, the students near the limit and the district export.
    path("stats/", views_stats.stats_day_view, name="attendance_stats_day"),
    path("stats/month/", views_stats.stats_month_view, name="attendance_stats_month"),
    path("stats/classes/<int:class_pk>/", views_stats.stats_class_view, name="attendance_stats_class"),
    path("stats/limit/", views_stats.stats_limit_view, name="attendance_stats_limit"),
    path("export/", views_stats.export_page_view, name="attendance_export"),
    path("export/<str:period>.<str:fmt>", views_stats.export_view, name="attendance_export_file"),
]
