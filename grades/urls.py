"""The gradebook's routes under /s/<code>/grades/. Each page module keeps its routes in its own urls_*.py."""

from django.urls import path

from grades import urls_dashboard, urls_excel, views
from grades.entry import urls as entry_urls
from grades.parent import urls as parent_urls
from grades.primary import urls as primary_urls
from grades.publication import urls as publication_urls

urlpatterns = [
    path("plan/", views.assessment_plan_view, name="assessment_plan"),
    path("classes/<int:pk>/results/", views.class_results_view, name="class_results"),
    path("classes/<int:pk>/conduct/", views.conduct_view, name="class_conduct"),
    path("classes/<int:pk>/conduct/publish/", views.conduct_publish_view, name="conduct_publish"),
    *entry_urls.urlpatterns,
    *primary_urls.urlpatterns,
    *parent_urls.urlpatterns,
    *publication_urls.urlpatterns,
    *urls_dashboard.urlpatterns,
    *urls_excel.urlpatterns,
]
