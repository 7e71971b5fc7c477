from django.urls import path

from attendance.leave import views

# The guardian's requests and form, the staff's lists, one request, decisions.
urlpatterns = [
    path("leave/", views.leave_list_view, name="leave_list"),
    path("leave/mine/", views.leave_parent_list_view, name="leave_parent_list"),
    path("leave/new/", views.leave_request_view, name="leave_request"),
    path("leave/<int:pk>/", views.leave_detail_view, name="leave_detail"),
    path("leave/<int:pk>/decide/", views.leave_decide_view, name="leave_decide"),
    path("leave/<int:pk>/cancel/", views.leave_cancel_view, name="leave_cancel"),
    path("leave/<int:pk>/attachment/", views.leave_attachment_view, name="leave_attachment"),
]
