"""Writes of the assessment plan (the number of regular assessments per subject and grade) and of conduct
(the homeroom teacher's rating per student and term). Each runs in one transaction and records an audit
event for a change."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from grades.cells import GradeError
from grades.models import MAX_REGULAR, MIN_REGULAR, AssessmentPlan, Conduct
from grades.rules.circular22 import Level
from schoolbook.audit.services import audit_record
from schoolbook.text import fold
from students.catalogue import regular_assessments
from students.models import Assessment, SchoolClass, SchoolYear, StaffMember, SubjectLoad, Term
from students.selectors import enrolled_student_ids


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
def assessment_plan_update(*, actor, plan: AssessmentPlan, regular_count: int) -> AssessmentPlan:
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
    )
    return plan


# --- conduct: the homeroom teacher rates each student's conduct per term ----------------------------------

CONDUCT_CODES = {fold(level.value): level.value for level in Level} | {
    "t": Level.TOT.value,
    "k": Level.KHA.value,
    "d": Level.DAT.value,
    "cd": Level.CHUA_DAT.value,
}


def parse_conduct(text: str) -> str:
    """Tốt / Khá / Đạt / Chưa đạt, or the codes T / K / Đ / CĐ (accents, case folded) → the label."""
    level = CONDUCT_CODES.get(" ".join(fold(text or "").split()))
    if level is None:
        raise GradeError(
            gettext("«%(text)s» không hợp lệ; kết quả rèn luyện là Tốt, Khá, Đạt hoặc Chưa đạt.")
            % {"text": (text or "").strip()}
        )
    return level


class ConductError(GradeError):
    """Some ratings were refused; `errors` maps each student id to the reason. Nothing was saved."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(gettext("Chưa lưu: có kết quả rèn luyện không hợp lệ."))
        self.errors = errors


@transaction.atomic
def conduct_set(
    *,
    actor_staff: StaffMember,
    school_class: SchoolClass,
    term: Term,
    ratings: dict[int, str],
    now: datetime | None = None,
) -> int:
    """Set the conduct of students of a class for a term, all or nothing. Only the class's homeroom teacher
    may (GradeError otherwise); every student must be enrolled in the class today; an empty value is left
    alone. Raises ConductError with the reason per student when any value is refused. Returns the number of
    ratings changed; one audit event ("conduct.set") records them."""
    now = now or timezone.now()
    if actor_staff is None or school_class.homeroom_teacher_id != actor_staff.pk:
        raise GradeError(gettext("Chỉ giáo viên chủ nhiệm của lớp mới được đánh giá rèn luyện."))
    if term.year_id != school_class.year_id:
        raise GradeError(gettext("Học kỳ không thuộc năm học của lớp."))
    enrolled = enrolled_student_ids(school_class, timezone.localdate(now))
    errors: dict[int, str] = {}
    wanted: dict[int, str] = {}
    for student_id, text in ratings.items():
        if student_id not in enrolled:
            errors[student_id] = gettext("Học sinh không thuộc lớp %(cls)s.") % {"cls": school_class.name}
            continue
        if not (text or "").strip():
            continue
        try:
            wanted[student_id] = parse_conduct(text)
        except GradeError as error:
            errors[student_id] = str(error)
    if errors:
        raise ConductError(errors)
    existing = {
        conduct.student_id: conduct
        for conduct in Conduct.objects.select_for_update().filter(term=term, student_id__in=wanted)
    }
    before, after = {}, {}
    to_create, to_update = [], []
    for student_id, rating in wanted.items():
        conduct = existing.get(student_id)
        if conduct is not None and conduct.rating == rating:
            continue
        before[str(student_id)] = conduct.rating if conduct is not None else ""
        after[str(student_id)] = rating
        if conduct is None:
            to_create.append(
                Conduct(student_id=student_id, term=term, rating=rating, rated_by=actor_staff, updated_at=now)
            )
        else:
            conduct.rating, conduct.rated_by, conduct.updated_at = rating, actor_staff, now
            to_update.append(conduct)
    Conduct.objects.bulk_create(to_create)
    Conduct.objects.bulk_update(to_update, ["rating", "rated_by", "updated_at"])
    if after:
        audit_record(
            actor=actor_staff.user,
            action="conduct.set",
            obj=school_class,
            before={"term": term.pk, "ratings": before},
            after={"term": term.pk, "ratings": after},
        )
    return len(after)
