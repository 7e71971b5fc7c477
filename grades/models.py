"""The gradebook's tables: the assessment plan, secondary scores with history, deadlines and
unlocks, conduct, publication, and the primary assessment of Circular 27."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grades.rules.circular22 import Level
from grades.rules.circular27 import (
    COMPETENCIES,
    QUALITIES,
    Checkpoint,
    QualityRating,
    SubjectRating,
)
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


# --- scores (secondary entry, history and locks) ---------------------------------------------------------

FINAL_COLUMNS = ("GK", "CK")  # mid-term (giữa kỳ) and end-of-term (cuối kỳ)
COLUMN_CHOICES = [(f"TX{n}", f"TX{n}") for n in range(MIN_REGULAR, MAX_REGULAR + 1)] + [
    (column, column) for column in FINAL_COLUMNS
]


def regular_columns(count: int) -> list[str]:
    return [f"TX{n}" for n in range(1, count + 1)]


class Score(models.Model):
    """One cell of a secondary gradebook: a student's mark in one column of a subject in a term. A scored
    subject stores `value` (0–10, one decimal); a comment-only subject stores `rating` (True = Đạt, False =
    Chưa đạt); a cleared cell keeps its row with both empty, so its version and history go on.
    `version` grows by one on every change: a save carrying an older version is a conflict, never an
    overwrite."""

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="scores")
    subject = models.ForeignKey("students.Subject", on_delete=models.PROTECT, related_name="scores")
    term = models.ForeignKey("students.Term", on_delete=models.PROTECT, related_name="scores")
    column = models.CharField(max_length=4, choices=COLUMN_CHOICES)
    value = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    rating = models.BooleanField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        "students.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    # What parents see: a copy made when the cell's column is published (grades.publication). A change
    # after publication stays invisible to parents until the column is published again.
    published_value = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    published_rating = models.BooleanField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "subject", "term", "column"], name="one_score_per_cell"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0, value__lte=10), name="score_value_0_to_10"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(rating__isnull=True), name="score_value_or_rating"
            ),
        ]
        indexes = [models.Index(fields=["subject", "term"])]

    def __str__(self):
        return f"{self.student_id} {self.subject_id} {self.term_id} {self.column}"

    @property
    def is_empty(self) -> bool:
        return self.value is None and self.rating is None


class ScoreChange(models.Model):
    """The history of a cell: old → new as shown to the teacher ("7,5", "Đ", "" for empty), who, when, why."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="changes")
    old_value = models.CharField(max_length=10, blank=True)
    new_value = models.CharField(max_length=10, blank=True)
    changed_by = models.ForeignKey("students.StaffMember", on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.score} {self.old_value} → {self.new_value}"


class EntryDeadline(models.Model):
    """After `deadline`, scores of the term (of one subject, or of every subject when `subject` is empty)
    can only be changed under a principal's Unlock. A subject's own deadline wins over the general one."""

    term = models.ForeignKey("students.Term", on_delete=models.CASCADE, related_name="entry_deadlines")
    subject = models.ForeignKey(
        "students.Subject", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    deadline = models.DateTimeField(_("hạn nhập điểm"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["term", "subject"],
                condition=Q(subject__isnull=False),
                name="one_deadline_per_subject",
            ),
            models.UniqueConstraint(
                fields=["term"], condition=Q(subject__isnull=True), name="one_general_deadline_per_term"
            ),
        ]

    def __str__(self):
        return f"{self.term} {self.subject or '*'} {self.deadline:%Y-%m-%d %H:%M}"


class Unlock(models.Model):
    """A principal's permission to change one class's scores of one subject in a term after the deadline.
    Without a subject: the class's homeroom assessments (primary qualities, competencies and general
    comment, Circular 27), which belong to no subject and follow the term's general deadline."""

    term = models.ForeignKey("students.Term", on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(
        "students.Subject", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    school_class = models.ForeignKey("students.SchoolClass", on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey("students.StaffMember", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("lý do"))
    until = models.DateTimeField(_("mở đến"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-until"]
        indexes = [models.Index(fields=["term", "subject", "school_class"])]

    def __str__(self):
        what = self.subject or _("phẩm chất, năng lực")
        return f"{self.school_class} {what} {self.term} → {self.until:%Y-%m-%d %H:%M}"


# --- conduct (the homeroom teacher's rating per term) -----------------------------------------------------

CONDUCT_CHOICES = [(level.value, level.value) for level in Level]


class Conduct(models.Model):
    """A student's conduct (kết quả rèn luyện) for a term, rated by the homeroom teacher
    (Circular 22, art. 8): Tốt / Khá / Đạt / Chưa đạt. The year's conduct is derived from the two terms
    (circular22.year_conduct)."""

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="conducts")
    term = models.ForeignKey("students.Term", on_delete=models.PROTECT, related_name="conducts")
    rating = models.CharField(_("kết quả rèn luyện"), max_length=10, choices=CONDUCT_CHOICES)
    rated_by = models.ForeignKey(
        "students.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    # What parents see: the homeroom teacher publishes the class's conduct of a term
    # (grades.publication.services.conduct_publish); a later change stays invisible to parents until published
    # again.
    published_rating = models.CharField(max_length=10, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "term"], name="one_conduct_per_student_term"),
            models.CheckConstraint(
                condition=Q(rating__in=[level.value for level in Level]), name="conduct_rating_level"
            ),
        ]

    def __str__(self):
        return f"{self.student_id} {self.term_id} {self.rating}"


# --- publication -----------------------------------------------------------------------------------------


class PublishPolicy(models.TextChoices):
    MANUAL = "manual", _("Giáo viên công bố từng cột điểm")
    AUTO = "auto", _("Tự động công bố sau khi nhập")


class GradebookSettings(models.Model):
    """The school's gradebook settings (one row per school schema, made on first use)."""

    publish_policy = models.CharField(
        _("công bố điểm"), max_length=10, choices=PublishPolicy.choices, default=PublishPolicy.MANUAL
    )
    # Auto policy: a cell is published once it has not changed for this long, so that a teacher's typing
    # session becomes one message per guardian, not one per keystroke.
    auto_publish_after_minutes = models.PositiveIntegerField(_("tự động công bố sau (phút)"), default=60)

    def __str__(self):
        return f"{self.publish_policy} {self.auto_publish_after_minutes}"


class Publication(models.Model):
    """One act of publishing: a column (TX1…CK, or a primary checkpoint) of a subject for a class in a term,
    by whom and when, with the number of cells that became visible or changed for parents."""

    school_class = models.ForeignKey("students.SchoolClass", on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey("students.Subject", on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey("students.Term", on_delete=models.CASCADE, related_name="+")
    column = models.CharField(max_length=20)
    published_by = models.ForeignKey(
        "students.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # empty: the school's automatic policy
    published_at = models.DateTimeField()
    cell_count = models.PositiveIntegerField(default=0)
    message_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["school_class", "subject", "term"])]

    def __str__(self):
        return f"{self.school_class_id} {self.subject_id} {self.term_id} {self.column}"


# --- primary (Circular 27): checkpoint ratings, tests, qualities and competencies, comments -----------------

CHECKPOINT_CHOICES = [(checkpoint.value, checkpoint.label) for checkpoint in Checkpoint]
SUBJECT_RATING_CHOICES = [(rating.value, rating.label) for rating in SubjectRating]
QUALITY_RATING_CHOICES = [(rating.value, rating.label) for rating in QualityRating]
QUALITY_ITEM_CHOICES = [(item, item) for item in QUALITIES + COMPETENCIES]


class PrimaryRating(models.Model):
    """A primary student's assessment of one subject at one checkpoint: the rating (T / H / C), the written
    test score where the checkpoint has one (whole number), and the teacher's comment. Versioned like Score
    (a stale save is a conflict) and published like Score (parents see the published copy)."""

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="primary_ratings")
    subject = models.ForeignKey("students.Subject", on_delete=models.PROTECT, related_name="+")
    year = models.ForeignKey("students.SchoolYear", on_delete=models.PROTECT, related_name="+")
    checkpoint = models.CharField(max_length=20, choices=CHECKPOINT_CHOICES)
    rating = models.CharField(max_length=1, choices=SUBJECT_RATING_CHOICES, blank=True)
    test_score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        "students.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    published_rating = models.CharField(max_length=1, blank=True)
    published_test_score = models.PositiveSmallIntegerField(null=True, blank=True)
    published_comment = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "subject", "year", "checkpoint"], name="one_primary_rating_per_cell"
            ),
            models.CheckConstraint(
                condition=Q(test_score__isnull=True) | Q(test_score__lte=10), name="primary_test_0_to_10"
            ),
        ]
        indexes = [models.Index(fields=["subject", "year", "checkpoint"])]

    def __str__(self):
        return f"{self.student_id} {self.subject_id} {self.checkpoint} {self.rating}"


class PrimaryQuality(models.Model):
    """A primary student's rating of one quality or competency at a checkpoint (Tốt / Đạt / Cần cố gắng),
    by the homeroom teacher."""

    student = models.ForeignKey(
        "students.Student", on_delete=models.CASCADE, related_name="primary_qualities"
    )
    year = models.ForeignKey("students.SchoolYear", on_delete=models.PROTECT, related_name="+")
    checkpoint = models.CharField(max_length=20, choices=CHECKPOINT_CHOICES)
    item = models.CharField(max_length=40, choices=QUALITY_ITEM_CHOICES)
    rating = models.CharField(max_length=1, choices=QUALITY_RATING_CHOICES, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        "students.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    published_rating = models.CharField(max_length=1, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "year", "checkpoint", "item"], name="one_primary_quality_per_cell"
            ),
        ]

    def __str__(self):
        return f"{self.student_id} {self.checkpoint} {self.item} {self.rating}"


class PrimaryReview(models.Model):
    """The homeroom teacher's general comment on a primary student at a checkpoint (nhận xét chung)."""

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="primary_reviews")
    year = models.ForeignKey("students.SchoolYear", on_delete=models.PROTECT, related_name="+")
    checkpoint = models.CharField(max_length=20, choices=CHECKPOINT_CHOICES)
    comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        "students.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    published_comment = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "year", "checkpoint"], name="one_primary_review_per_checkpoint"
            ),
        ]

    def __str__(self):
        return f"{self.student_id} {self.checkpoint}"
