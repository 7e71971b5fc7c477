"""School setup pages, included from schoolbook.urls_school (see students.setup.views)."""

from django.urls import path

from students.setup import views

urlpatterns = [
    path("years/", views.year_list_view, name="year_list"),
    path("years/<int:pk>/", views.year_edit_view, name="year_edit"),
    path("years/<int:pk>/current/", views.year_make_current_view, name="year_make_current"),
    path("years/<int:pk>/days-off/", views.day_off_list_view, name="day_off_list"),
    path("years/<int:pk>/days-off/holidays/", views.day_off_holidays_view, name="day_off_holidays"),
    path("days-off/<int:pk>/", views.day_off_edit_view, name="day_off_edit"),
    path("days-off/<int:pk>/remove/", views.day_off_remove_view, name="day_off_remove"),
    path("classes/new/", views.class_create_view, name="class_create"),
    path("classes/bulk/", views.class_bulk_create_view, name="class_bulk_create"),
    path("classes/<int:pk>/edit/", views.class_edit_view, name="class_edit"),
    path("classes/<int:pk>/archive/", views.class_archive_view, name="class_archive"),
    path("subjects/", views.subject_catalogue_view, name="subject_catalogue"),
    path("subjects/new/", views.subject_add_view, name="subject_add"),
    path("subjects/<int:pk>/", views.subject_edit_view, name="subject_edit"),
    path("subjects/<int:pk>/active/", views.subject_active_view, name="subject_active"),
    path("assignments/new/", views.assignment_add_view, name="assignment_add"),
    path("assignments/<int:pk>/remove/", views.assignment_remove_view, name="assignment_remove"),
]
