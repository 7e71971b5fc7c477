"""Who may write a cell now, for every grid (Circular 22 scores, Circular 27 ratings) and for publication:
an assignment's entry context (its assessment plan), the entry deadlines and the principal's unlocks that
lift them. Reads only; the writes of deadlines and unlocks are grades.entry.services."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext

from grades.cells import SECONDARY_KINDS, GradeError
from grades.models import AssessmentPlan, EntryDeadline, Unlock
from students.models import SchoolClass, Subject, TeachingAssignment, Term


def entry_context(assignment: TeachingAssignment, term: Term) -> tuple[TeachingAssignment, AssessmentPlan]:
    """The assignment (with class, subject, teacher) and its assessment plan for the term; GradeError when
    the subject is not assessed by Circular 22, the term is of another year, or there is no plan."""
    assignment = TeachingAssignment.objects.select_related("school_class", "subject", "teacher").get(
        pk=assignment.pk
    )
    if assignment.subject.assessment not in SECONDARY_KINDS:
        raise GradeError(gettext("Môn học này không nhập điểm theo Thông tư 22."))
    if term.year_id != assignment.school_class.year_id:
        raise GradeError(gettext("Học kỳ không thuộc năm học của lớp."))
    plan = AssessmentPlan.objects.filter(
        year_id=term.year_id, grade_id=assignment.school_class.grade_id, subject_id=assignment.subject_id
    ).first()
    if plan is None:
        raise GradeError(gettext("Chưa có kế hoạch đánh giá cho môn học này; hãy liên hệ quản trị trường."))
    return assignment, plan


@dataclass
class LockState:
    deadline: datetime | None  # the subject's own deadline, else the term's general one
    unlock: Unlock | None  # the principal's unlock open now, when the deadline has passed
    locked: bool  # changes are refused now


def lock_state(*, term: Term, subject: Subject | None, school_class: SchoolClass, now: datetime) -> LockState:
    """The entry deadline of a subject in a term for a class, as the grid shows it and entry_lock enforces:
    the subject's own deadline wins over the general one; after it, an unlock of the class still open lifts
    it. `subject` None: the class's homeroom assessments (primary qualities, competencies and general
    comment), which belong to no subject: the general deadline applies and only an unlock without a subject
    lifts it."""
    subject_id = subject.pk if subject is not None else None
    deadlines = dict(
        EntryDeadline.objects.filter(term=term)
        .filter(Q(subject_id=subject_id) | Q(subject__isnull=True))
        .values_list("subject_id", "deadline")
    )
    deadline = deadlines.get(subject_id, deadlines.get(None))
    if deadline is None or now <= deadline:
        return LockState(deadline, None, False)
    unlock = (
        Unlock.objects.filter(term=term, subject_id=subject_id, school_class=school_class, until__gt=now)
        .select_related("granted_by")
        .order_by("-until")
        .first()
    )
    return LockState(deadline, unlock, unlock is None)


def entry_lock(
    *, term: Term, subject: Subject | None, school_class: SchoolClass, now: datetime
) -> tuple[bool, str]:
    """(refused, unlock reason): whether the deadline has passed with no unlock of the class still open;
    when an unlock is open, its reason (kept in the history of each change). `subject` None: the class's
    homeroom assessments (see lock_state)."""
    state = lock_state(term=term, subject=subject, school_class=school_class, now=now)
    return state.locked, state.unlock.reason if state.unlock else ""
