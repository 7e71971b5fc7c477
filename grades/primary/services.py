"""Writes of primary assessment (Circular 27): a subject teacher's checkpoint ratings, test
scores and comments (PrimaryRating), and the homeroom teacher's quality/competency ratings (PrimaryQuality)
and general comment (PrimaryReview).

Both saves follow grades.entry.services.scores_save: every cell gets its own result (saved / unchanged /
invalid / conflict), valid cells save while invalid ones are reported with the reason, a cell saved with an
older version than the row's is a conflict reported with the current value and who saved it, and the number of
queries does not grow with the number of cells. Entry deadlines and unlocks of the checkpoint's term apply.
There is no history table for primary cells, so each save that changes something records one audit event with
every changed cell's old and new text."""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from grades.cells import CONFLICT, INVALID, SAVED, UNCHANGED, CellResult, GradeError, SaveResult
from grades.locks import entry_lock
from grades.models import PrimaryQuality, PrimaryRating, PrimaryReview
from grades.rules.circular27 import (
    COMPETENCIES,
    QUALITIES,
    Checkpoint,
    RatingError,
    ScoreError,
    fold,
    parse_quality_rating,
    parse_subject_rating,
    parse_test_score,
    tests_required,
)
from schoolbook.audit.services import audit_record
from students.models import Assessment, SchoolClass, StaffMember, SubjectLoad, TeachingAssignment, Term
from students.selectors import enrolled_student_ids
from tenants.models import Level

# Circular 27 has four checkpoints and the school year two terms: the first two checkpoints fall in
# semester I, the last two in semester II. Deadlines and unlocks are set per term, so this is where a
# checkpoint finds its own.
CHECKPOINT_TERM = {
    Checkpoint.MID_SEMESTER_I: 1,
    Checkpoint.END_OF_SEMESTER_I: 1,
    Checkpoint.MID_SEMESTER_II: 2,
    Checkpoint.END_OF_YEAR: 2,
}

RATING, TEST, COMMENT = "rating", "test", "comment"
MAX_COMMENT = 500

# Grid column key of each quality/competency: its first two words without accents ("tu-chu", "giao-tiep"),
# short enough for a column key, unique over the fifteen items.
ITEM_SLUGS: dict[str, str] = {"-".join(fold(item).split()[:2]): item for item in QUALITIES + COMPETENCIES}
assert len(ITEM_SLUGS) == len(QUALITIES) + len(COMPETENCIES), "quality/competency slugs must be unique"
SLUG_OF_ITEM = {item: slug for slug, item in ITEM_SLUGS.items()}


def checkpoint_of(value: str) -> Checkpoint | None:
    """The checkpoint named by a URL or form value, or None."""
    try:
        return Checkpoint(value)
    except ValueError:
        return None


def checkpoint_term(year_id: int, checkpoint: Checkpoint) -> Term:
    term = Term.objects.filter(year_id=year_id, number=CHECKPOINT_TERM[checkpoint]).first()
    if term is None:
        raise GradeError(gettext("Năm học chưa có học kỳ của mốc đánh giá này; hãy liên hệ quản trị trường."))
    return term


def is_primary_class(school_class: SchoolClass) -> bool:
    return school_class.grade.level == Level.PRIMARY


def subject_codes_of_grade(grade_id: int) -> set[str]:
    """The codes of the grade's subjects in the school's own catalogue: a subject is tested only there."""
    return set(
        SubjectLoad.objects.filter(grade_id=grade_id, subject__is_active=True).values_list(
            "subject__code", flat=True
        )
    )


def test_required(assignment: TeachingAssignment, checkpoint: Checkpoint, grade_subjects: set[str]) -> bool:
    return tests_required(
        assignment.school_class.grade.number, checkpoint, assignment.subject.code, grade_subjects
    )


def clean_comment(text: str) -> str:
    """A comment as stored: NFC (a pasted comment may be decomposed), trimmed; at most MAX_COMMENT chars."""
    comment = unicodedata.normalize("NFC", text).strip()
    if len(comment) > MAX_COMMENT:
        raise RatingError(
            gettext("Nhận xét dài %(length)s ký tự; tối đa %(max)s ký tự.")
            % {"length": len(comment), "max": MAX_COMMENT}
        )
    return comment


def cell_text(value) -> str:
    """A stored value as the grid shows it: "" for nothing, the code ("T"), the score ("9"), the comment."""
    return "" if value is None else str(value)


# --- the shared cell engine ---------------------------------------------------------------------------------


@dataclass
class _Rows:
    """The rows of one model that a save may change, keyed by student (and item), locked for the save;
    `make(key)` builds a row for a key that has none yet."""

    model: type[models.Model]
    rows: dict
    make: Callable[[object], models.Model]
    fields: tuple[str, ...]
    loaded_versions: dict = field(init=False)
    touched: dict = field(default_factory=dict)  # key → row changed by this save
    created: set = field(default_factory=set)

    def __post_init__(self):
        self.loaded_versions = {key: row.version for key, row in self.rows.items()}

    def write(self, actor_staff: StaffMember, now: datetime) -> None:
        for key, row in self.touched.items():
            row.version = 1 if key in self.created else self.loaded_versions[key] + 1
            row.updated_by, row.updated_at = actor_staff, now
        new = [row for key, row in self.touched.items() if key in self.created]
        old = [row for key, row in self.touched.items() if key not in self.created]
        if new:
            self.model.objects.bulk_create(new)
        if old:
            self.model.objects.bulk_update(old, [*self.fields, "version", "updated_by", "updated_at"])


@dataclass
class _Target:
    """Where a parsed cell goes: the row store, the row's key, the model field and the new value."""

    rows: _Rows
    key: object
    attr: str
    value: object


def _conflict(student_id, column, row, field_name) -> CellResult:
    current = cell_text(getattr(row, field_name)) if row is not None else ""
    by = row.updated_by.full_name if row is not None and row.updated_by else ""
    return CellResult(
        student_id,
        column,
        CONFLICT,
        version=row.version if row is not None else None,
        text=current,
        updated_by=by,
        reason=gettext("Ô này vừa được %(who)s sửa thành «%(value)s»; hãy xem lại trước khi lưu đè.")
        % {"who": by or gettext("người khác"), "value": current},
    )


def _save_cells(
    *,
    actor_staff: StaffMember,
    school_class: SchoolClass,
    enrolled: set[int],
    cells: list[dict],
    parse: Callable[[int, str, str], _Target],
    stores: list[_Rows],
    now: datetime,
) -> tuple[SaveResult, dict, dict]:
    """Apply the cells: `parse(student_id, column, text)` says where each goes or raises RatingError /
    ScoreError with the reason. A row changed by several cells of the batch gets one new version. Returns
    the result (saved and unchanged cells carry their row's final version) and the audit before/after."""
    result = SaveResult()
    before, after = {}, {}
    seen: set[tuple[int, str]] = set()
    placed: list[tuple[CellResult, _Rows, object]] = []
    for cell in cells:
        student_id, column = cell.get("student_id"), str(cell.get("column", "")).strip()
        text, version = str(cell.get("text") or ""), cell.get("version")
        if not isinstance(student_id, int) or student_id not in enrolled:  # a JSON list is not hashable
            reason = gettext("Học sinh không thuộc lớp %(cls)s.") % {"cls": school_class.name}
            result.cells.append(CellResult(student_id, column, INVALID, reason=reason))
            continue
        if (student_id, column) in seen:
            reason = gettext("Ô này xuất hiện hai lần trong cùng một lần lưu.")
            result.cells.append(CellResult(student_id, column, INVALID, reason=reason))
            continue
        seen.add((student_id, column))
        try:
            target = parse(student_id, column, text)
        except (RatingError, ScoreError) as error:
            result.cells.append(CellResult(student_id, column, INVALID, reason=str(error)))
            continue
        store, key = target.rows, target.key
        row = store.touched.get(key) or store.rows.get(key)
        if version != store.loaded_versions.get(key):
            result.cells.append(_conflict(student_id, column, store.rows.get(key), target.attr))
            continue
        old = getattr(row, target.attr) if row is not None else None
        if cell_text(old) == cell_text(target.value):
            cell_result = CellResult(student_id, column, UNCHANGED, text=cell_text(old))
        else:
            if row is None:
                row = store.make(key)
                store.created.add(key)
            setattr(row, target.attr, target.value)
            store.touched[key] = row
            before[f"{student_id}:{column}"] = cell_text(old)
            after[f"{student_id}:{column}"] = cell_text(target.value)
            cell_result = CellResult(student_id, column, SAVED, text=cell_text(target.value))
        result.cells.append(cell_result)
        placed.append((cell_result, store, key))
    for store in stores:
        store.write(actor_staff, now)
    for cell_result, store, key in placed:
        row = store.touched.get(key) or store.rows.get(key)
        cell_result.version = row.version if row is not None else None
    return result, before, after


def _refuse_if_locked(term: Term, subject, school_class: SchoolClass, now: datetime) -> str:
    """Raise GradeError when the term's deadline has passed with no unlock of the class open; else the open
    unlock's reason ("" when none), kept in the save's audit event. `subject` None: the homeroom teacher's
    qualities and general comment, which belong to no subject (see grades.entry.services.lock_state)."""
    refused, unlock_reason = entry_lock(term=term, subject=subject, school_class=school_class, now=now)
    if refused and subject is None:
        raise GradeError(
            gettext(
                "Đã quá hạn nhập đánh giá phẩm chất, năng lực của học kỳ này; cần Hiệu trưởng mở khóa "
                "(kèm lý do) để sửa."
            )
        )
    if refused:
        raise GradeError(
            gettext("Đã quá hạn nhập đánh giá; cần Hiệu trưởng mở khóa (kèm lý do) để sửa môn %(subject)s.")
            % {"subject": subject.name}
        )
    return unlock_reason


# --- subject ratings, tests and comments (the subject teacher) ----------------------------------------------


@transaction.atomic
def primary_ratings_save(
    *,
    actor_staff: StaffMember,
    assignment: TeachingAssignment,
    checkpoint: Checkpoint,
    cells: list[dict],
    now: datetime | None = None,
) -> SaveResult:
    """Save cells of a primary subject's grid at a checkpoint. Columns: "rating" (T / H / C or the full
    label, any case or accents), "test" (a whole number 0–10, only where the grade sits a written test of the
    subject at the checkpoint) and "comment" (free text, at most 500 characters); "" clears a cell. Each cell
    carries the version the client had (None for a student without a row).

    One row holds a student's rating, test and comment, so one version covers the three: when a cell is
    saved, the row's other columns are returned too (unchanged, with the new version), so the grid keeps
    every column's version current. Raises GradeError (nothing saved) when the actor is not the assignment's
    teacher or the term's deadline has passed without an unlock."""
    now = now or timezone.now()
    checkpoint = Checkpoint(checkpoint)
    assignment = TeachingAssignment.objects.select_related(
        "school_class__grade", "school_class__year", "subject"
    ).get(pk=assignment.pk)
    school_class, subject = assignment.school_class, assignment.subject
    if subject.assessment != Assessment.PRIMARY_RATING or not is_primary_class(school_class):
        raise GradeError(gettext("Môn học này không đánh giá theo Thông tư 27."))
    if actor_staff is None or assignment.teacher_id != actor_staff.pk:
        raise GradeError(
            gettext("Chỉ giáo viên được phân công dạy môn này ở lớp này mới được nhập đánh giá.")
        )
    term = checkpoint_term(school_class.year_id, checkpoint)
    unlock_reason = _refuse_if_locked(term, subject, school_class, now)
    has_test = test_required(assignment, checkpoint, subject_codes_of_grade(school_class.grade_id))
    enrolled = enrolled_student_ids(school_class, timezone.localdate(now))
    where = {"subject": subject, "year_id": school_class.year_id, "checkpoint": checkpoint.value}
    store = _Rows(
        model=PrimaryRating,
        rows={
            row.student_id: row
            for row in PrimaryRating.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .filter(student_id__in=enrolled, **where)
        },
        make=lambda student_id: PrimaryRating(student_id=student_id, **where),
        fields=("rating", "test_score", "comment"),
    )

    def parse(student_id, column, text) -> _Target:
        if column == RATING:
            value = parse_subject_rating(text).code if text.strip() else ""
            return _Target(store, student_id, "rating", value)
        if column == TEST:
            if not has_test and text.strip():
                raise ScoreError(
                    gettext(
                        "Môn %(subject)s lớp %(grade)s không có bài kiểm tra định kì ở mốc %(checkpoint)s."
                    )
                    % {
                        "subject": subject.name,
                        "grade": school_class.grade.number,
                        "checkpoint": checkpoint.label,
                    }
                )
            value = parse_test_score(text) if text.strip() else None
            return _Target(store, student_id, "test_score", value)
        if column == COMMENT:
            return _Target(store, student_id, "comment", clean_comment(text))
        raise RatingError(
            gettext("Cột «%(column)s» không có trong bảng đánh giá (rating, test, comment).")
            % {"column": column}
        )

    result, before, after = _save_cells(
        actor_staff=actor_staff,
        school_class=school_class,
        enrolled=enrolled,
        cells=cells,
        parse=parse,
        stores=[store],
        now=now,
    )
    columns = {RATING: "rating", COMMENT: "comment"} | ({TEST: "test_score"} if has_test else {})
    sent = {(cell.student_id, cell.column) for cell in result.cells if isinstance(cell.student_id, int)}
    for student_id, row in store.touched.items():
        for column, field_name in columns.items():
            if (student_id, column) not in sent:
                text = cell_text(getattr(row, field_name))
                result.cells.append(CellResult(student_id, column, UNCHANGED, row.version, text))
    _audit_save(actor_staff, "primary_rating.save", assignment, checkpoint, before, after, unlock_reason)
    return result


def _audit_save(actor_staff, action, obj, checkpoint, before, after, unlock_reason) -> None:
    """One audit event per save that changed something: every changed cell's old and new text and the unlock
    it was made under (primary cells keep no per-cell history rows)."""
    if after:
        audit_record(
            actor=actor_staff.user,
            action=action,
            obj=obj,
            before={"checkpoint": checkpoint.value, "cells": before},
            after={"checkpoint": checkpoint.value, "cells": after, "unlock_reason": unlock_reason},
        )


# --- qualities, competencies and the general comment (the homeroom teacher) ---------------------------------


@transaction.atomic
def primary_qualities_save(
    *,
    actor_staff: StaffMember,
    school_class: SchoolClass,
    checkpoint: Checkpoint,
    cells: list[dict],
    now: datetime | None = None,
) -> SaveResult:
    """Save the homeroom teacher's grid at a checkpoint: one column per quality/competency (ITEM_SLUGS,
    T / Đ / C or the full label) and "comment" (the general comment, PrimaryReview). Same per-cell results
    as primary_ratings_save; only the class's homeroom teacher may save (GradeError otherwise)."""
    now = now or timezone.now()
    checkpoint = Checkpoint(checkpoint)
    school_class = SchoolClass.objects.select_related("grade").get(pk=school_class.pk)
    if not is_primary_class(school_class):
        raise GradeError(gettext("Lớp này không đánh giá theo Thông tư 27."))
    if actor_staff is None or school_class.homeroom_teacher_id != actor_staff.pk:
        raise GradeError(gettext("Chỉ giáo viên chủ nhiệm của lớp mới được đánh giá phẩm chất, năng lực."))
    term = checkpoint_term(school_class.year_id, checkpoint)
    unlock_reason = _refuse_if_locked(term, None, school_class, now)
    enrolled = enrolled_student_ids(school_class, timezone.localdate(now))
    where = {"year_id": school_class.year_id, "checkpoint": checkpoint.value}
    qualities = _Rows(
        model=PrimaryQuality,
        rows={
            (row.student_id, row.item): row
            for row in PrimaryQuality.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .filter(student_id__in=enrolled, **where)
        },
        make=lambda key: PrimaryQuality(student_id=key[0], item=key[1], **where),
        fields=("rating",),
    )
    reviews = _Rows(
        model=PrimaryReview,
        rows={
            row.student_id: row
            for row in PrimaryReview.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .filter(student_id__in=enrolled, **where)
        },
        make=lambda student_id: PrimaryReview(student_id=student_id, **where),
        fields=("comment",),
    )

    def parse(student_id, column, text) -> _Target:
        if column == COMMENT:
            return _Target(reviews, student_id, "comment", clean_comment(text))
        item = ITEM_SLUGS.get(column)
        if item is None:
            raise RatingError(
                gettext("Cột «%(column)s» không phải phẩm chất hay năng lực nào.") % {"column": column}
            )
        value = parse_quality_rating(text).code if text.strip() else ""
        return _Target(qualities, (student_id, item), "rating", value)

    result, before, after = _save_cells(
        actor_staff=actor_staff,
        school_class=school_class,
        enrolled=enrolled,
        cells=cells,
        parse=parse,
        stores=[qualities, reviews],
        now=now,
    )
    _audit_save(actor_staff, "primary_quality.save", school_class, checkpoint, before, after, unlock_reason)
    return result
