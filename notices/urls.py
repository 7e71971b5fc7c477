"""The notices' routes under /s/<code>/notices/ (plain names, reversed with school_reverse)."""

from django.urls import include, path

from notices import views, views_report

urlpatterns = [
    path("", views.notice_list_view, name="notice_list"),
    path("new/", views.notice_compose_view, name="notice_compose"),
    path("estimate/", views.notice_estimate_view, name="notice_estimate"),
    path("<int:pk>/", views.notice_detail_view, name="notice_detail"),
    path("<int:pk>/edit/", views.notice_edit_view, name="notice_edit"),
    path("<int:pk>/send/", views.notice_send_view, name="notice_send"),
    path("<int:pk>/approve/", views.notice_approve_view, name="notice_approve"),
    path("<int:pk>/reject/", views.notice_reject_view, name="notice_reject"),
    path("<int:pk>/cancel/", views.notice_cancel_view, name="notice_cancel"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.notice_attachment_view,
        name="notice_attachment",
    ),
    path("<int:pk>/report/", views_report.notice_report_view, name="notice_report"),
    path("<int:pk>/report.csv", views_report.notice_report_csv_view, name="notice_report_csv"),
    path("<int:pk>/resend/", views_report.notice_resend_view, name="notice_resend"),
    path("", include("notices.polls.urls")),
]
