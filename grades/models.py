"""The gradebook's tables (issue 4). So far: the assessment plan (item 2)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from students.models import Assessment

MIN_REGULAR, MAX_REGULAR = 1, 10


class AssessmentPlan(models.Model):
    """How a subject is assessed in a grade in a school year: the kind (copied from the subject when the row
    is made, so later edits of the subject do not change a year already planned) and the number of regular
    assessments (TX) per semester, generated from the periods per year (Circular 22, art. 7) and adjustable by
    the school until grade entry starts (locked_at).

    Primary subjects (Circular 27) have no regular scored assessments: their regular assessment is ongoing
    comments, so their row stores 0 and cannot be changed; every other row holds 1–10."""

    year = models.ForeignKey("students.SchoolYear", on_delete=models.CASCADE, related_name="assessment_plans")
    grade = models.ForeignKey(
        "students.GradeLevel", on_delete=models.CASCADE, related_name="assessment_plans"
    )
    subject = models.ForeignKey("students.Subject", on_delete=models.CASCADE, related_name="assessment_plans")
    assessment = models.CharField(_("hình thức đánh giá"), max_length=20, choices=Assessment.choices)
    regular_count = models.PositiveSmallIntegerField(_("số lần đánh giá thường xuyên"))
    locked_at = models.DateTimeField(null=True, blank=True)  # set when grade entry starts

    class Meta:
        ordering = ["year", "grade__number", "subject__order", "subject__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "grade", "subject"], name="one_plan_per_year_grade_subject"
            ),
            models.CheckConstraint(
                condition=(
                    Q(assessment=Assessment.PRIMARY_RATING, regular_count=0)
                    | (
                        ~Q(assessment=Assessment.PRIMARY_RATING)
                        & Q(regular_count__gte=MIN_REGULAR, regular_count__lte=MAX_REGULAR)
                    )
                ),
                name="plan_regular_count_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.subject} {self.grade} {self.year}"

    @property
    def is_adjustable(self) -> bool:
        return self.locked_at is None and self.assessment != Assessment.PRIMARY_RATING
