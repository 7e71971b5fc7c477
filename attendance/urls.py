"""Attendance routes under /s/<code>/attendance/ (plain names, reversed with school_reverse)."""

from django.urls import include, path

from attendance import views_gate, views_stats

urlpatterns = [
    path("", include("attendance.roll_call.urls")),
    path("", include("attendance.parent.urls")),
    path("", include("attendance.leave.urls")),
    # The school gate: devices, the review list, the devices' API (tenants.middleware.MACHINE_PATHS),
    # the attendance settings.
    path("gate/devices/", views_gate.gate_devices_view, name="gate_devices"),
    path(
        "gate/devices/<int:pk>/deactivate/",
        views_gate.gate_device_deactivate_view,
        name="gate_device_deactivate",
    ),
    path("gate/review/", views_gate.gate_review_view, name="gate_review"),
    path("gate/review/<int:pk>/assign/", views_gate.gate_event_assign_view, name="gate_event_assign"),
    path("gate/review/<int:pk>/dismiss/", views_gate.gate_event_dismiss_view, name="gate_event_dismiss"),
    path("api/gate/events/", views_gate.gate_events_api_view, name="gate_events_api"),
    path("settings/", views_gate.attendance_settings_view, name="attendance_settings"),
    # Statistics, the students near the limit and the district export.
    path("stats/", views_stats.stats_day_view, name="attendance_stats_day"),
    path("stats/month/", views_stats.stats_month_view, name="attendance_stats_month"),
    path("stats/classes/<int:class_pk>/", views_stats.stats_class_view, name="attendance_stats_class"),
    path("stats/limit/", views_stats.stats_limit_view, name="attendance_stats_limit"),
    path("export/", views_stats.export_page_view, name="attendance_export"),
    path("export/<str:period>.<str:fmt>", views_stats.export_view, name="attendance_export_file"),
]
