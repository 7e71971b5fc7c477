"""Writes of the gradebook. Each service runs in one transaction and records an audit event for a change."""

from django.db import transaction
from django.utils.translation import gettext

from grades.models import MAX_REGULAR, MIN_REGULAR, AssessmentPlan
from schoolbook.audit.services import audit_record
from students.catalogue import regular_assessments
from students.models import Assessment, SchoolYear, SubjectLoad


class GradeError(ValueError):
    """A change the gradebook refuses; the message is Vietnamese, shown to the user."""


def plan_default_count(periods_per_year: int, assessment: str) -> int:
    """Regular assessments per semester for a new plan row: Circular 22 art. 7 (students.catalogue) for
    secondary subjects; 0 for primary subjects (Circular 27 has no regular scored assessments)."""
    if assessment == Assessment.PRIMARY_RATING:
        return 0
    return regular_assessments(periods_per_year, assessment)


@transaction.atomic
def assessment_plan_generate(*, actor, year: SchoolYear) -> int:
    """Create the plan rows missing for the year: one per subject load of an active subject. Rows that exist
    (possibly adjusted by the school) are left alone. Returns the number of rows created. Not audited: it
    only derives data from the catalogue, and running it twice changes nothing."""
    existing = set(AssessmentPlan.objects.filter(year=year).values_list("grade_id", "subject_id"))
    missing = [
        AssessmentPlan(
            year=year,
            grade_id=load.grade_id,
            subject_id=load.subject_id,
            assessment=load.subject.assessment,
            regular_count=plan_default_count(load.periods_per_year, load.subject.assessment),
        )
        for load in SubjectLoad.objects.select_related("subject").filter(subject__is_active=True)
        if (load.grade_id, load.subject_id) not in existing
    ]
    AssessmentPlan.objects.bulk_create(missing, ignore_conflicts=True)  # a concurrent request made them
    return len(missing)


@transaction.atomic
def assessment_plan_update(
    *, actor, plan: AssessmentPlan, regular_count: int, request=None
) -> AssessmentPlan:
    """Set the number of regular assessments of one plan row, before grade entry starts."""
    plan = (
        AssessmentPlan.objects.select_for_update().select_related("subject", "grade", "year").get(pk=plan.pk)
    )
    if plan.locked_at is not None:
        raise GradeError(gettext("Đã bắt đầu nhập điểm, không thể thay đổi số lần đánh giá thường xuyên."))
    if plan.assessment == Assessment.PRIMARY_RATING:
        raise GradeError(gettext("Môn học ở tiểu học không có đánh giá thường xuyên bằng điểm số."))
    if not MIN_REGULAR <= regular_count <= MAX_REGULAR:
        raise GradeError(
            gettext("Số lần đánh giá thường xuyên phải từ %(low)s đến %(high)s.")
            % {"low": MIN_REGULAR, "high": MAX_REGULAR}
        )
    if regular_count == plan.regular_count:
        return plan
    before = {"regular_count": plan.regular_count}
    plan.regular_count = regular_count
    plan.save(update_fields=["regular_count"])
    audit_record(
        actor=actor,
        action="assessment_plan.update",
        obj=plan,
        before=before,
        after={"regular_count": regular_count},
        request=request,
    )
    return plan
