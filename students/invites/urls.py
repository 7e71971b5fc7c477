from django.urls import path

from students.invites import views

urlpatterns = [
    path("", views.parent_invite_view, name="parent_invite"),
]
