"""The fees home (/s/<code>/fees/)."""

from django.urls import path

from payments.dashboard import views

urlpatterns = [path("", views.fee_home_view, name="fee_home")]
