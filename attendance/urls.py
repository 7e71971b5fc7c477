"""Attendance routes under /s/<code>/attendance/ (plain names, reversed with school_reverse)."""

from django.urls import path

from attendance import views, views_gate, views_leave, views_parent, views_stats

urlpatterns = [
    # Roll calls.
    path("", views.attendance_home_view, name="attendance_home"),
    path("roll-call/<int:class_pk>/<str:day>/", views.roll_call_view, name="roll_call"),
    # A child's month for the parent (and the staff who may see the child).
    path("students/<int:pk>/", views_parent.student_attendance, name="student_attendance"),
    # Leave requests: the guardian's requests and form, the staff's lists, one request, decisions.
    path("leave/", views_leave.leave_list_view, name="leave_list"),
    path("leave/mine/", views_leave.leave_parent_list_view, name="leave_parent_list"),
    path("leave/new/", views_leave.leave_request_view, name="leave_request"),
    path("leave/<int:pk>/", views_leave.leave_detail_view, name="leave_detail"),
    path("leave/<int:pk>/decide/", views_leave.leave_decide_view, name="leave_decide"),
    path("leave/<int:pk>/cancel/", views_leave.leave_cancel_view, name="leave_cancel"),
    path("leave/<int:pk>/attachment/", views_leave.leave_attachment_view, name="leave_attachment"),
    # The school gate: devices, the review list, the devices' API (schoolbook.access.MACHINE_PATHS),
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
