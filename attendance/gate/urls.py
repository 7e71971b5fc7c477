from django.urls import path

from attendance.gate import views

urlpatterns = [
    path("gate/devices/", views.gate_devices_view, name="gate_devices"),
    path(
        "gate/devices/<int:pk>/deactivate/", views.gate_device_deactivate_view, name="gate_device_deactivate"
    ),
    path("gate/review/", views.gate_review_view, name="gate_review"),
    path("gate/review/<int:pk>/assign/", views.gate_event_assign_view, name="gate_event_assign"),
    path("gate/review/<int:pk>/dismiss/", views.gate_event_dismiss_view, name="gate_event_dismiss"),
    # The devices' API: schoolbook.access.MACHINE_PATHS lets it through without a session.
    path("api/gate/events/", views.gate_events_api_view, name="gate_events_api"),
    path("settings/", views.attendance_settings_view, name="attendance_settings"),
]
