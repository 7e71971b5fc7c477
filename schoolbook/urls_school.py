"""A school's pages; mounted under /s/<code>/ by tenants.routing."""

from django.urls import path

from students import views as students_views

urlpatterns = [
    path("", students_views.school_home, name="school_home"),
    path("staff/", students_views.staff_list_view, name="staff_list"),
]
