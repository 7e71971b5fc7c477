"""The parents' inbox on the platform's own pages (public URLconf): notices from every school."""

from django.urls import path

from notices import views

urlpatterns = [path("notices/", views.notice_inbox_view, name="notice_inbox")]
