from django.urls import path

from students.transfers import views

urlpatterns = [
    path("students/<int:pk>/transfer/", views.student_transfer_view, name="student_transfer"),
    path(
        "students/<int:pk>/transfer/<int:transfer_pk>/withdraw/",
        views.transfer_withdraw_view,
        name="transfer_withdraw",
    ),
    path("transfers/", views.transfer_list_view, name="transfer_list"),
    path("transfers/<int:pk>/", views.transfer_detail_view, name="transfer_detail"),
    path("transfers/<int:pk>/accept/", views.transfer_accept_view, name="transfer_accept"),
    path("transfers/<int:pk>/decline/", views.transfer_decline_view, name="transfer_decline"),
]
