"""The routes of a notice's questions, under /s/<code>/notices/ (included by notices/urls.py)."""

from django.urls import path

from notices.polls import views

urlpatterns = [
    path("questions/blank/", views.question_blank_view, name="notice_question_blank"),
    path("<int:pk>/answers/<int:sheet_pk>/", views.answer_view, name="notice_answer"),
    path("<int:pk>/results/", views.results_view, name="notice_results"),
    path("<int:pk>/results.csv", views.answers_csv_view, name="notice_answers_csv"),
    path("<int:pk>/remind/", views.remind_view, name="notice_remind"),
]
