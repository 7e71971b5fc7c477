"""The gradebook as students.marks' keeper of marks: what the school's setup asks about scores and ratings,
and the assessment plan made when teaching assignments are added."""

from grades.models import PrimaryRating, Score
from grades.results.services import assessment_plan_generate
from students.models import Enrolment


class GradebookMarks:
    def subject_has_marks_in_grade(self, subject, grade) -> bool:
        in_grade = {"student__enrolments__school_class__grade": grade}
        return (
            Score.objects.filter(subject=subject, **in_grade).exists()
            or PrimaryRating.objects.filter(subject=subject, **in_grade).exists()
        )

    def assignment_marks(self, assignment) -> int:
        year = assignment.school_class.year
        students = Enrolment.objects.filter(school_class=assignment.school_class).values("student_id")
        scores = Score.objects.filter(
            subject=assignment.subject, term__year=year, student_id__in=students
        ).exclude(value__isnull=True, rating__isnull=True)
        ratings = PrimaryRating.objects.filter(subject=assignment.subject, year=year, student_id__in=students)
        return scores.count() + ratings.count()

    def assignments_added(self, *, actor, year) -> None:
        assessment_plan_generate(actor=actor, year=year)
