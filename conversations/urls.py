"""Conversation routes under /s/<code>/conversations/ (plain names, reversed with school_reverse)."""

from django.urls import path

from conversations import views

urlpatterns = [
    path("", views.inbox_view, name="conversation_inbox"),
    path("students/<int:pk>/", views.child_view, name="conversation_child"),
    path("students/<int:pk>/new/", views.start_view, name="conversation_start"),
    path("<int:pk>/", views.detail_view, name="conversation_detail"),
    path("<int:pk>/reply/", views.reply_view, name="conversation_reply"),
    path("messages/<int:pk>/file/", views.attachment_view, name="conversation_attachment"),
    path("messages/<int:pk>/report/", views.report_view, name="conversation_report"),
    path("messages/<int:pk>/hide/", views.hide_view, name="conversation_hide"),
    path("reported/", views.reports_view, name="conversation_reports"),
    path("office-hours/", views.office_hours_view, name="conversation_office_hours"),
    path("settings/", views.settings_view, name="conversation_settings"),
]
