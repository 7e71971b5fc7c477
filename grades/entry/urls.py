"""Routes of the secondary entry grid, its deadlines and unlocks (grades/entry/views.py)."""

from django.urls import path

from grades.entry import views

urlpatterns = [
    path("", views.gradebook_home, name="gradebook_home"),
    path("assignments/<int:pk>/terms/<int:term_pk>/", views.score_entry, name="score_entry"),
    path("assignments/<int:pk>/terms/<int:term_pk>/save/", views.score_save, name="score_save"),
    path("scores/<int:pk>/history/", views.cell_history, name="cell_history"),
    path("deadlines/", views.entry_deadlines_view, name="entry_deadlines"),
    path("unlock/", views.entry_unlock_view, name="entry_unlock"),
]
