from django.urls import path

from attendance.roll_call import views

urlpatterns = [
    path("", views.attendance_home_view, name="attendance_home"),
    path("roll-call/<int:class_pk>/<str:day>/", views.roll_call_view, name="roll_call"),
]
