from django.urls import path

from schoolbook.office_reports import views

urlpatterns = [
    path("", views.report_list, name="office_reports"),
    path("<int:pk>/", views.report_fill, name="office_report_fill"),
]
