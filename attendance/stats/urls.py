from django.urls import path

from attendance.stats import views

# Statistics, the students near the limit and the district export.
urlpatterns = [
    path("stats/", views.stats_day_view, name="attendance_stats_day"),
    path("stats/month/", views.stats_month_view, name="attendance_stats_month"),
    path("stats/classes/<int:class_pk>/", views.stats_class_view, name="attendance_stats_class"),
    path("stats/limit/", views.stats_limit_view, name="attendance_stats_limit"),
    path("export/", views.export_page_view, name="attendance_export"),
    path("export/<str:period>.<str:fmt>", views.export_view, name="attendance_export_file"),
]
