"""Writes of the secondary entry grid (Circular 22): saving cells with their history, the entry deadlines
and the principal's unlocks (the lock state they set is read by grades.locks). Each write runs in one
transaction and records an audit event for a change."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.roles import Role
from grades.cells import (
    CONFLICT,
    INVALID,
    SAVED,
    UNCHANGED,
    CellResult,
    GradeError,
    SaveResult,
    cell_average,
    parse_rating,
    score_text,
)
from grades.locks import entry_context, entry_lock
from grades.models import (
    FINAL_COLUMNS,
    AssessmentPlan,
    EntryDeadline,
    Score,
    ScoreChange,
    Unlock,
    regular_columns,
)
from grades.permissions import DEADLINE_SETTERS
from grades.rules.circular22 import ScoreError, parse_score
from schoolbook.audit.services import audit_record
from students.models import Assessment, SchoolClass, StaffMember, Subject, TeachingAssignment, Term
from students.selectors import enrolled_student_ids


@transaction.atomic
def scores_save(
    *,
    actor_staff: StaffMember,
    assignment: TeachingAssignment,
    term: Term,
    cells: list[dict],
    now: datetime | None = None,
    on_behalf: bool = False,
) -> SaveResult:
    """Save cells of a teaching assignment's gradebook for a term. Each cell is a dict with student_id,
    column ("TX1"…"TXn", "GK", "CK"), text (what was typed: "7,5", "Đ", "" to clear) and version (the
    version the client had, None for a cell it saw empty and never saved).

    Every cell gets its own result: valid cells are saved even when others in the batch are invalid; a cell
    changed by someone else since the client read it is a conflict, reported with the current value and who
    saved it, and is not overwritten. Raises GradeError (nothing saved) when the actor is not the
    assignment's teacher or the entry deadline has passed without an unlock. With `on_behalf`, a school
    admin or principal may save for the teacher (e.g. a gradebook imported from Excel); the history and
    `updated_by` name the actor, who really saved. A constant number of queries, whatever the number of
    cells."""
    now = now or timezone.now()
    assignment, plan = entry_context(assignment, term)
    may_save = actor_staff is not None and (
        assignment.teacher_id == actor_staff.pk
        or (on_behalf and actor_staff.has_role(Role.SCHOOL_ADMIN, Role.PRINCIPAL))
    )
    if not may_save:
        raise GradeError(gettext("Chỉ giáo viên được phân công dạy môn này ở lớp này mới được nhập điểm."))
    subject, school_class = assignment.subject, assignment.school_class
    refused, unlock_reason = entry_lock(term=term, subject=subject, school_class=school_class, now=now)
    if refused:
        raise GradeError(
            gettext("Đã quá hạn nhập điểm; cần Hiệu trưởng mở khóa (kèm lý do) để sửa điểm môn %(subject)s.")
            % {"subject": subject.name}
        )
    scored = subject.assessment == Assessment.SCORED
    allowed_columns = set(regular_columns(plan.regular_count)) | set(FINAL_COLUMNS)
    enrolled = enrolled_student_ids(school_class, timezone.localdate(now))
    existing = {
        (score.student_id, score.column): score
        for score in Score.objects.select_for_update(of=("self",))
        .select_related("updated_by")
        .filter(subject=subject, term=term, student_id__in=enrolled)
    }

    result = SaveResult()
    to_create: list[Score] = []
    to_update: list[Score] = []
    changes: list[tuple[Score, str, str]] = []
    seen: set[tuple[int, str]] = set()
    for cell in cells:
        student_id, column = cell.get("student_id"), str(cell.get("column", "")).strip().upper()
        text, version = str(cell.get("text") or ""), cell.get("version")

        def invalid(reason, student_id=student_id, column=column):
            result.cells.append(CellResult(student_id, column, INVALID, reason=reason))

        if student_id not in enrolled:
            invalid(gettext("Học sinh không thuộc lớp %(cls)s.") % {"cls": school_class.name})
            continue
        if column not in allowed_columns:
            invalid(
                gettext("Cột %(column)s không có trong kế hoạch đánh giá (TX1–TX%(count)s, GK, CK).")
                % {"column": column, "count": plan.regular_count}
            )
            continue
        if (student_id, column) in seen:
            invalid(gettext("Ô này xuất hiện hai lần trong cùng một lần lưu."))
            continue
        seen.add((student_id, column))
        value, rating = None, None
        if text.strip():
            try:
                if scored:
                    value = parse_score(text)
                else:
                    rating = parse_rating(text)
            except ScoreError as error:
                invalid(str(error))
                continue
        score = existing.get((student_id, column))
        current_version = score.version if score is not None else None
        if version != current_version:
            current = score_text(score.value, score.rating) if score is not None else ""
            by = score.updated_by.full_name if score is not None and score.updated_by else ""
            result.cells.append(
                CellResult(
                    student_id,
                    column,
                    CONFLICT,
                    version=current_version,
                    text=current,
                    updated_by=by,
                    reason=gettext(
                        "Ô này vừa được %(who)s sửa thành «%(value)s»; hãy xem lại trước khi lưu đè."
                    )
                    % {"who": by or gettext("người khác"), "value": current},
                )
            )
            continue
        new_text = score_text(value, rating)
        if score is None:
            if value is None and rating is None:  # clearing a cell that was never filled
                result.cells.append(CellResult(student_id, column, UNCHANGED, version=None))
                continue
            score = Score(student_id=student_id, subject=subject, term=term, column=column, version=1)
            old_text = ""
            to_create.append(score)
        else:
            old_text = score_text(score.value, score.rating)
            if old_text == new_text:
                result.cells.append(CellResult(student_id, column, UNCHANGED, score.version, new_text))
                continue
            score.version += 1
            to_update.append(score)
        score.value, score.rating, score.updated_by, score.updated_at = value, rating, actor_staff, now
        changes.append((score, old_text, new_text))
        result.cells.append(CellResult(student_id, column, SAVED, score.version, new_text))

    if to_create:
        Score.objects.bulk_create(to_create)
    if to_update:
        Score.objects.bulk_update(to_update, ["value", "rating", "version", "updated_by", "updated_at"])
    if changes:
        ScoreChange.objects.bulk_create(
            ScoreChange(
                score=score,
                old_value=old,
                new_value=new,
                changed_by=actor_staff,
                changed_at=now,
                reason=unlock_reason,
            )
            for score, old, new in changes
        )
        if plan.locked_at is None:  # entry has started: the number of regular assessments is now fixed
            AssessmentPlan.objects.filter(pk=plan.pk, locked_at__isnull=True).update(locked_at=now)
    return result


@transaction.atomic
def entry_unlock(
    *,
    actor_staff: StaffMember,
    term: Term,
    subject: Subject | None,
    school_class: SchoolClass,
    reason: str,
    until: datetime,
    now: datetime | None = None,
) -> Unlock:
    """A principal lets a class's scores of a subject be changed after the deadline, until `until`.
    `subject` None unlocks the class's homeroom assessments (primary qualities, competencies and general
    comment), which belong to no subject."""
    now = now or timezone.now()
    if actor_staff is None or not actor_staff.has_role(Role.PRINCIPAL):
        raise GradeError(gettext("Chỉ Hiệu trưởng được mở khóa nhập điểm sau hạn."))
    reason = (reason or "").strip()
    if not reason:
        raise GradeError(gettext("Cần ghi lý do mở khóa nhập điểm."))
    if until <= now:
        raise GradeError(gettext("Thời hạn mở khóa phải ở sau thời điểm hiện tại."))
    unlock = Unlock.objects.create(
        term=term,
        subject=subject,
        school_class=school_class,
        granted_by=actor_staff,
        reason=reason,
        until=until,
    )
    audit_record(
        actor=actor_staff.user,
        action="grade_entry.unlock",
        obj=unlock,
        after={
            "term": term.pk,
            "subject": subject.pk if subject is not None else None,
            "school_class": school_class.pk,
            "reason": reason,
            "until": until.isoformat(),
        },
    )
    return unlock


def score_history(score: Score) -> list[ScoreChange]:
    """The changes of one cell, newest first."""
    return list(score.changes.select_related("changed_by"))


def semester_averages(assignment: TeachingAssignment, term: Term) -> dict[int, Decimal | bool | None]:
    """Per student currently in the class: the semester average (Circular 22: ĐTBmhk) of a scored subject,
    or the Đạt (True) / Chưa đạt (False) result of a comment-only subject; None while a required cell
    (TX1…TXn of the plan, GK, CK) is empty."""
    assignment, plan = entry_context(assignment, term)
    students = enrolled_student_ids(assignment.school_class, timezone.localdate())
    required = regular_columns(plan.regular_count) + list(FINAL_COLUMNS)
    cells: dict[int, dict[str, Score]] = {student_id: {} for student_id in students}
    for score in Score.objects.filter(
        subject=assignment.subject, term=term, student_id__in=students, column__in=required
    ):
        cells[score.student_id][score.column] = score
    scored = assignment.subject.assessment == Assessment.SCORED
    return {student_id: cell_average(row, plan.regular_count, scored) for student_id, row in cells.items()}


@transaction.atomic
def entry_deadline_set(
    *,
    actor_staff: StaffMember,
    term: Term,
    subject: Subject | None,
    deadline: datetime | None,
) -> EntryDeadline | None:
    """Set the entry deadline of a term for one subject, or for every subject when `subject` is None (a
    subject's own deadline wins over the general one, see entry_lock); `deadline` None removes it. The
    deadline may not fall before the term starts (a later date, e.g. after the term's end, is allowed: the
    school may give teachers time to finish). Audited as "grade_entry.deadline"."""
    if actor_staff is None or not actor_staff.has_role(*DEADLINE_SETTERS):
        raise GradeError(gettext("Chỉ Quản trị trường hoặc Hiệu trưởng được đặt hạn nhập điểm."))
    if deadline is not None and timezone.localtime(deadline).date() < term.starts_on:
        raise GradeError(
            gettext("Hạn nhập điểm của %(term)s phải từ ngày %(date)s (ngày bắt đầu học kỳ) trở đi.")
            % {"term": term.name, "date": term.starts_on.strftime("%d/%m/%Y")}
        )
    row = EntryDeadline.objects.select_for_update().filter(term=term, subject=subject).first()
    before = {"deadline": row.deadline.isoformat() if row else None}
    after = {"deadline": deadline.isoformat() if deadline else None}
    if before == after:
        return row
    if deadline is None:
        row.delete()
        row = None
    elif row is None:
        row = EntryDeadline.objects.create(term=term, subject=subject, deadline=deadline)
    else:
        row.deadline = deadline
        row.save(update_fields=["deadline"])
    audit_record(
        actor=actor_staff.user,
        action="grade_entry.deadline",
        obj=row or term,
        before={"term": term.pk, "subject": subject.pk if subject else None, **before},
        after={"term": term.pk, "subject": subject.pk if subject else None, **after},
    )
    return row
