"""Timetable routes under /s/<code>/timetable/."""

from django.urls import path

from timetable import views

urlpatterns = [
    path("", views.timetable_home, name="timetable_home"),
    path("mine/", views.timetable_mine, name="timetable_mine"),
    path("classes/<int:pk>/", views.class_timetable, name="class_timetable"),
    path("classes/<int:pk>/edit/", views.class_timetable_edit, name="class_timetable_edit"),
    path("students/<int:pk>/", views.student_timetable, name="student_timetable"),
    path("import/", views.timetable_import, name="timetable_import"),
    path("import/problems/", views.timetable_import_problems, name="timetable_import_problems"),
    path("import/template/", views.timetable_import_template, name="timetable_import_template"),
    path("settings/", views.timetable_settings, name="timetable_settings"),
]
