"""Marks (scores, primary ratings) are kept by an app above students (grades), yet the school's setup must
know of them: a subject that has marks in a grade keeps being taught there, removing a teaching assignment
says how many marks stay, and new assignments need the year's assessment plan so the teacher's grid opens
at once. The app that keeps marks registers a `MarksKeeper` at startup (its AppConfig.ready), so students
never imports it. With none registered there are no marks and nothing to prepare."""

from __future__ import annotations

from typing import Protocol


class MarksKeeper(Protocol):
    def subject_has_marks_in_grade(self, subject, grade) -> bool: ...

    def assignment_marks(self, assignment) -> int: ...

    def assignments_added(self, *, actor, year) -> None: ...


_keepers: list[MarksKeeper] = []


def keeper_register(keeper: MarksKeeper) -> None:
    if keeper not in _keepers:
        _keepers.append(keeper)


def subject_has_marks_in_grade(subject, grade) -> bool:
    return any(keeper.subject_has_marks_in_grade(subject, grade) for keeper in _keepers)


def assignment_marks(assignment) -> int:
    """How many marks the class's students have in the assignment's subject this year."""
    return sum(keeper.assignment_marks(assignment) for keeper in _keepers)


def assignments_added(*, actor, year) -> None:
    """Teaching assignments were created in `year` (inside the creating transaction)."""
    for keeper in _keepers:
        keeper.assignments_added(actor=actor, year=year)
