"""Attendance routes under /s/<code>/attendance/ (plain names, reversed with school_reverse): each feature
package's own."""

from django.urls import include, path

urlpatterns = [
    path("", include("attendance.roll_call.urls")),
    path("", include("attendance.parent.urls")),
    path("", include("attendance.leave.urls")),
    path("", include("attendance.gate.urls")),
    path("", include("attendance.stats.urls")),
]
