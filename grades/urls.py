from django.urls import path

from grades import views

urlpatterns = [
    path("plan/", views.assessment_plan_view, name="assessment_plan"),
]
