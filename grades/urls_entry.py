"""Routes of grades/views_entry.py."""

from django.urls import path

from grades import views_entry

urlpatterns = [
    path("", views_entry.gradebook_home, name="gradebook_home"),
    path("assignments/<int:pk>/terms/<int:term_pk>/", views_entry.score_entry, name="score_entry"),
    path("assignments/<int:pk>/terms/<int:term_pk>/save/", views_entry.score_save, name="score_save"),
    path("scores/<int:pk>/history/", views_entry.cell_history, name="cell_history"),
    path("deadlines/", views_entry.entry_deadlines_view, name="entry_deadlines"),
    path("unlock/", views_entry.entry_unlock_view, name="entry_unlock"),
]
