"""Publication: what parents see is a copy of each cell made when it is published, so a
teacher can enter and correct scores without parents watching every keystroke.

A publish act copies the live value into the published_* fields of the cells whose copy differs, in ONE
UPDATE (IS DISTINCT FROM, so a cleared cell clears its copy too) that also returns the old copy, and then
hands ONE message per guardian to the messaging interface, listing that guardian's children's new or
changed values. Manual (per column, by a teacher) or automatic (grades.tasks, when the school chooses it).

Who may publish a secondary column or a primary subject's checkpoint: the assignment's teacher (it is their
column), the class's homeroom teacher (who answers to the parents for the whole contact book) and the
principal or vice-principal (who may publish on a teacher's behalf, e.g. when a teacher is away). A school
admin manages accounts and settings, not pedagogy, so does not publish. Qualities, competencies and the
general comment of a primary class are the homeroom teacher's own assessment: only they publish those."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from grades.cells import GradeError, score_text
from grades.locks import entry_context
from grades.models import (
    FINAL_COLUMNS,
    Conduct,
    GradebookSettings,
    PrimaryQuality,
    PrimaryRating,
    PrimaryReview,
    Publication,
    PublishPolicy,
    Score,
    regular_columns,
)
from grades.permissions import can_publish
from grades.primary.services import CHECKPOINT_TERM, checkpoint_term
from grades.publication.selectors import COLUMN_ORDER, column_label, gradebook_settings, term_label
from grades.rules.circular27 import Checkpoint, SubjectRating
from messaging.outbox.selectors import Recipient, guardian_recipient, items_estimate
from messaging.outbox.services import messages_send
from schoolbook.audit.services import audit_record
from schoolbook.text import nfc
from students.models import (
    Assessment,
    Enrolment,
    SchoolClass,
    StaffMember,
    StudentGuardian,
    Subject,
    TeachingAssignment,
    Term,
)
from students.selectors import enrolled_student_ids, notified_guardian_links

PURPOSE = "grades"


MIN_DELAY, MAX_DELAY = 5, 1440  # minutes: the automatic policy's choice, 5 minutes to one day


def _publish_changed(model, fields: tuple[str, ...], where: str, params: list, now: datetime) -> list[dict]:
    """Copy `fields` into their published_* twins for the rows matching `where` (SQL on the alias `cell`)
    whose copy differs, in one statement. Returns each changed row (after the update) with the previous
    copy as old_<field>: the self-join `old` reads the rows as they were when the statement started."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    sets = ", ".join(f"{qn('published_' + f)} = cell.{qn(f)}" for f in fields)
    differs = " OR ".join(f"cell.{qn('published_' + f)} IS DISTINCT FROM cell.{qn(f)}" for f in fields)
    old = ", ".join(f"old.{qn('published_' + f)} AS {qn('old_' + f)}" for f in fields)
    sql = (
        f"UPDATE {table} AS cell SET {sets}, {qn('published_at')} = %s FROM {table} AS old "
        f"WHERE old.id = cell.id AND ({where}) AND ({differs}) RETURNING cell.*, {old}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *params])
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _pending_rows(model, fields: tuple[str, ...], where: str, params: list) -> list[dict]:
    """What _publish_changed would change, read only and in the same shape (the copy parents see now as
    old_<field>): the preview of a publish act."""
    qn = connection.ops.quote_name
    differs = " OR ".join(f"cell.{qn('published_' + f)} IS DISTINCT FROM cell.{qn(f)}" for f in fields)
    old = ", ".join(f"cell.{qn('published_' + f)} AS {qn('old_' + f)}" for f in fields)
    sql = f"SELECT cell.*, {old} FROM {qn(model._meta.db_table)} AS cell WHERE ({where}) AND ({differs})"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class PublishPreview:
    """What a publish act would do now: the cells parents would see change, and the messages (one per
    guardian, the exact texts) that would go out; `estimate` is messaging's (counts, cost, token)."""

    cells: int
    items: list[tuple[Recipient, str]]

    @cached_property
    def estimate(self) -> dict:
        return items_estimate(self.items, None)

    @property
    def guardians(self) -> int:
        return len(self.items)


# A message line waiting for the child's name: (translated template with %(name)s, its other values).
Lines = dict[int, list[tuple[str, dict]]]  # by student id


def _items(lines: Lines) -> list[tuple[Recipient, str]]:
    """One message per guardian (with notifications on) of the students in `lines`, their children's lines
    in name order: what _notify sends and what a preview shows."""
    links = notified_guardian_links(s for s, found in lines.items() if found)
    by_guardian: dict[int, tuple[Recipient, list[str]]] = {}  # who and which lines, by guardian id
    for link in links:
        texts = by_guardian.setdefault(link.guardian_id, (guardian_recipient(link.guardian), []))[1]
        texts.extend(
            template % {**values, "name": link.student.full_name}
            for template, values in lines[link.student_id]
        )
    return [(who, "\n".join(nfc(text) for text in texts)) for who, texts in by_guardian.values()]


def _notify(lines: Lines) -> int:
    """Send _items(lines); returns the number of messages."""
    items = _items(lines)
    messages_send(purpose=PURPOSE, items=items)
    return len(items)


def _merge(*parts: Lines) -> Lines:
    merged: Lines = defaultdict(list)
    for part in parts:
        for student_id, lines in part.items():
            merged[student_id].extend(lines)
    return merged


def _score_value(row: dict) -> str | None:
    """ "8,5", or "8,5 (trước: 7,0)" for a corrected score; None for a cleared one (the parent simply no
    longer sees it: there is nothing new to tell)."""
    new = score_text(row["value"], row["rating"])
    if not new:
        return None
    old = score_text(row["old_value"], row["old_rating"])
    if old:
        return gettext("%(value)s (trước: %(old)s)") % {"value": new, "old": old}
    return new


def _score_lines(rows: list[dict], subject_names: dict[int, str], term_numbers: dict[int, int]) -> Lines:
    """One line per student, subject and term, naming all three and the column: "Điểm mới môn Toán (HK I,
    ĐĐGtx 2) của Nguyễn Văn An: 8,5"; several columns at once (the automatic policy): "Điểm mới môn Toán
    (HK I) của Nguyễn Văn An: ĐĐGtx 2: 8,5; ĐĐGgk: 7,0"."""
    items: dict[tuple[int, int, int], list[tuple[str, str]]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["subject_id"], r["term_id"], COLUMN_ORDER[r["column"]])):
        value = _score_value(row)
        if value:
            items[(row["student_id"], row["subject_id"], row["term_id"])].append((row["column"], value))
    lines: Lines = defaultdict(list)
    for (student_id, subject_id, term_id), values in items.items():
        subject, term = subject_names[subject_id], term_label(term_numbers[term_id])
        if len(values) == 1:
            (column, value), *_ = values
            template = gettext("Điểm mới môn %(subject)s (%(term)s, %(column)s) của %(name)s: %(value)s")
            lines[student_id].append(
                (template, {"subject": subject, "term": term, "column": column_label(column), "value": value})
            )
        else:
            template = gettext("Điểm mới môn %(subject)s (%(term)s) của %(name)s: %(values)s")
            text = "; ".join(f"{column_label(column)}: {value}" for column, value in values)
            lines[student_id].append((template, {"subject": subject, "term": term, "values": text}))
    return lines


def _rating_lines(rows: list[dict], subject_names: dict[int, str]) -> Lines:
    """Primary: "Đánh giá Giữa học kì I môn Toán của An: Hoàn thành tốt, điểm kiểm tra 9" (the comment is
    in the parent view, too long for a message); nothing for a cleared rating."""
    lines: Lines = defaultdict(list)
    template = gettext("Đánh giá %(checkpoint)s môn %(subject)s của %(name)s: %(rating)s")
    for row in sorted(rows, key=lambda r: (r["subject_id"], list(Checkpoint).index(r["checkpoint"]))):
        if not row["rating"]:
            continue
        rating = SubjectRating(row["rating"]).label
        if row["test_score"] is not None:
            rating += gettext(", điểm kiểm tra %(score)s") % {"score": row["test_score"]}
        values = {
            "checkpoint": Checkpoint(row["checkpoint"]).label,
            "subject": subject_names[row["subject_id"]],
            "rating": rating,
        }
        lines[row["student_id"]].append((template, values))
    return lines


def _quality_lines(rows: list[dict]) -> Lines:
    """Primary qualities, competencies and general comment: one line per student and checkpoint."""
    lines: Lines = defaultdict(list)
    template = gettext("Đã có nhận xét %(checkpoint)s về phẩm chất, năng lực của %(name)s.")
    told = {(r["student_id"], r["checkpoint"]) for r in rows if r.get("rating") or r.get("comment")}
    for student_id, checkpoint in sorted(told, key=lambda pair: list(Checkpoint).index(pair[1])):
        lines[student_id].append((template, {"checkpoint": Checkpoint(checkpoint).label}))
    return lines


@dataclass
class _Scope:
    """The cells a manual publish act covers, as (model, fields, where, params) parts, and how their message
    lines read: one definition for the act and its preview."""

    parts: list[tuple]
    lines: Callable[[list[dict]], Lines]

    def publish(self, now: datetime) -> list[dict]:
        return [row for part in self.parts for row in _publish_changed(*part, now)]

    def preview(self) -> PublishPreview:
        rows = [row for part in self.parts for row in _pending_rows(*part)]
        return PublishPreview(len(rows), _items(self.lines(rows)) if rows else [])


def _column_scope(actor_staff, assignment, term, column, today) -> tuple[TeachingAssignment, str, _Scope]:
    """Check that the actor may publish the column and that it is in the plan (GradeError otherwise)."""
    assignment, plan = entry_context(assignment, term)
    if not can_publish(actor_staff, assignment):
        raise GradeError(
            gettext("Chỉ giáo viên bộ môn, giáo viên chủ nhiệm hoặc Ban giám hiệu mới được công bố điểm.")
        )
    column = (column or "").strip().upper()
    if column not in regular_columns(plan.regular_count) + list(FINAL_COLUMNS):
        raise GradeError(gettext("Cột %(column)s không có trong kế hoạch đánh giá.") % {"column": column})
    enrolled = enrolled_student_ids(assignment.school_class, today)
    part = (
        Score,
        ("value", "rating"),
        'cell.subject_id = %s AND cell.term_id = %s AND cell."column" = %s AND cell.student_id = ANY(%s)',
        [assignment.subject_id, term.pk, column, list(enrolled)],
    )
    names, numbers = {assignment.subject_id: assignment.subject.name}, {term.pk: term.number}
    return assignment, column, _Scope([part], lambda rows: _score_lines(rows, names, numbers))


def column_publish_preview(
    *, actor_staff: StaffMember, assignment: TeachingAssignment, term: Term, column: str
) -> PublishPreview:
    """What column_publish would publish and send now, writing nothing (same checks, same texts)."""
    return _column_scope(actor_staff, assignment, term, column, timezone.localdate())[2].preview()


@transaction.atomic
def column_publish(
    *,
    actor_staff: StaffMember,
    assignment: TeachingAssignment,
    term: Term,
    column: str,
    now: datetime | None = None,
) -> Publication | None:
    """Publish one column (TX1…TXn, GK, CK) of a teaching assignment in a term: the cells of the students
    enrolled in the class today whose published copy differs. Writes a Publication row, an audit event
    ("grades.publish") and one message per guardian. Returns None (and writes nothing) when no cell has
    anything new. Raises GradeError when the actor may not publish (see the module) or the column is not in
    the assessment plan. A constant number of queries, whatever the number of cells and guardians. The
    pages ask for confirmation first (column_publish_preview)."""
    now = now or timezone.now()
    assignment, column, scope = _column_scope(actor_staff, assignment, term, column, timezone.localdate(now))
    rows = scope.publish(now)
    if not rows:
        return None
    sent = _notify(scope.lines(rows))
    return _record(actor_staff, assignment.school_class, assignment.subject_id, term, column, now, rows, sent)


def _record(actor_staff, school_class, subject_id, term, column, now, rows, sent) -> Publication:
    """The Publication row and the "grades.publish" audit event of a manual publish act."""
    cells = len(rows)
    publication = Publication.objects.create(
        school_class=school_class,
        subject_id=subject_id,
        term=term,
        column=column,
        published_by=actor_staff,
        published_at=now,
        cell_count=cells,
        message_count=sent,
    )
    audit_record(
        actor=actor_staff.user,
        action="grades.publish",
        obj=publication,
        after={
            "class": school_class.pk,
            "subject": subject_id,
            "term": term.pk,
            "column": column,
            "cells": cells,
            "messages": sent,
        },
    )
    return publication


def _checkpoint_scope(actor_staff, assignment, checkpoint, today):
    assignment = TeachingAssignment.objects.select_related("school_class", "subject").get(pk=assignment.pk)
    if assignment.subject.assessment != Assessment.PRIMARY_RATING:
        raise GradeError(gettext("Môn học này không đánh giá theo Thông tư 27."))
    if not can_publish(actor_staff, assignment):
        raise GradeError(
            gettext("Chỉ giáo viên bộ môn, giáo viên chủ nhiệm hoặc Ban giám hiệu mới được công bố điểm.")
        )
    checkpoint = Checkpoint(checkpoint)
    school_class = assignment.school_class
    enrolled = enrolled_student_ids(school_class, today)
    part = (
        PrimaryRating,
        ("rating", "test_score", "comment"),
        "cell.subject_id = %s AND cell.year_id = %s AND cell.checkpoint = %s AND cell.student_id = ANY(%s)",
        [assignment.subject_id, school_class.year_id, checkpoint.value, list(enrolled)],
    )
    names = {assignment.subject_id: assignment.subject.name}
    return assignment, checkpoint, _Scope([part], lambda rows: _rating_lines(rows, names))


def checkpoint_publish_preview(
    *, actor_staff: StaffMember, assignment: TeachingAssignment, checkpoint: str
) -> PublishPreview:
    """What checkpoint_publish would publish and send now, writing nothing."""
    return _checkpoint_scope(actor_staff, assignment, checkpoint, timezone.localdate())[2].preview()


@transaction.atomic
def checkpoint_publish(
    *,
    actor_staff: StaffMember,
    assignment: TeachingAssignment,
    checkpoint: str,
    now: datetime | None = None,
) -> Publication | None:
    """Publish a primary subject's ratings, test scores and comments at a checkpoint (Circular 27) for the
    students enrolled in the class today; same rules as column_publish. The message line reads
    "Đánh giá Giữa học kì I môn Toán của An: Hoàn thành tốt" (the comment is in the parent view, too long
    for a message)."""
    now = now or timezone.now()
    assignment, checkpoint, scope = _checkpoint_scope(
        actor_staff, assignment, checkpoint, timezone.localdate(now)
    )
    term = checkpoint_term(assignment.school_class.year_id, checkpoint)
    rows = scope.publish(now)
    if not rows:
        return None
    sent = _notify(scope.lines(rows))
    return _record(
        actor_staff,
        assignment.school_class,
        assignment.subject_id,
        term,
        checkpoint.value,
        now,
        rows,
        sent,
    )


def _class_checkpoint_scope(actor_staff, school_class, checkpoint, today):
    if actor_staff is None or school_class.homeroom_teacher_id != actor_staff.pk:
        raise GradeError(gettext("Chỉ giáo viên chủ nhiệm của lớp mới được công bố nhận xét của lớp."))
    checkpoint = Checkpoint(checkpoint)
    enrolled = list(enrolled_student_ids(school_class, today))
    where = "cell.year_id = %s AND cell.checkpoint = %s AND cell.student_id = ANY(%s)"
    params = [school_class.year_id, checkpoint.value, enrolled]
    parts = [(PrimaryQuality, ("rating",), where, params), (PrimaryReview, ("comment",), where, params)]
    return checkpoint, _Scope(parts, _quality_lines)


def class_checkpoint_publish_preview(
    *, actor_staff: StaffMember, school_class: SchoolClass, checkpoint: str
) -> PublishPreview:
    """What class_checkpoint_publish would publish and send now, writing nothing."""
    return _class_checkpoint_scope(actor_staff, school_class, checkpoint, timezone.localdate())[1].preview()


@transaction.atomic
def class_checkpoint_publish(
    *,
    actor_staff: StaffMember,
    school_class: SchoolClass,
    checkpoint: str,
    now: datetime | None = None,
) -> int:
    """The homeroom teacher publishes the class's qualities and competencies (PrimaryQuality) and general
    comments (PrimaryReview) at a checkpoint. One message per guardian of a child with something new.
    Returns the number of cells published; audited as "grades.publish" on the class."""
    now = now or timezone.now()
    checkpoint, scope = _class_checkpoint_scope(
        actor_staff, school_class, checkpoint, timezone.localdate(now)
    )
    rows = scope.publish(now)
    if not rows:
        return 0
    sent = _notify(scope.lines(rows))
    audit_record(
        actor=actor_staff.user,
        action="grades.publish",
        obj=school_class,
        after={"checkpoint": checkpoint.value, "cells": len(rows), "messages": sent},
    )
    return len(rows)


def _conduct_waiting(school_class: SchoolClass, term: Term, now: datetime):
    """The conduct rows of the class's students (enrolled on `now`'s day) whose rating parents do not see."""
    enrolled = enrolled_student_ids(school_class, timezone.localdate(now))
    return Conduct.objects.filter(term=term, student_id__in=enrolled).exclude(published_rating=F("rating"))


def conduct_publish_preview(school_class: SchoolClass, term: Term, now: datetime | None = None) -> dict:
    """What conduct_publish would do, read only: how many students' conduct becomes visible (new or changed)
    and to how many guardians (every guardian of those students sees it on the child's grades page; no
    message is sent)."""
    waiting = _conduct_waiting(school_class, term, now or timezone.now())
    students = list(waiting.values_list("student_id", flat=True))
    guardians = StudentGuardian.objects.filter(student_id__in=students).values("guardian_id").distinct()
    return {"students": len(students), "guardians": guardians.count()}


@transaction.atomic
def conduct_publish(
    *,
    actor_staff: StaffMember,
    school_class: SchoolClass,
    term: Term,
    now: datetime | None = None,
) -> int:
    """The homeroom teacher publishes the conduct of the class's students for a term: each rating is
    copied to published_rating, which the child's guardians see on the grades page. Only the class's
    homeroom teacher may (GradeError otherwise). Returns the number of ratings published (new or
    changed); audited as "conduct.publish" on the class. No message: parents see it when they look."""
    now = now or timezone.now()
    if actor_staff is None or school_class.homeroom_teacher_id != actor_staff.pk:
        raise GradeError(gettext("Chỉ giáo viên chủ nhiệm của lớp mới được công bố kết quả rèn luyện."))
    if term.year_id != school_class.year_id:
        raise GradeError(gettext("Học kỳ không thuộc năm học của lớp."))
    enrolled = list(enrolled_student_ids(school_class, timezone.localdate(now)))
    rows = _publish_changed(
        Conduct, ("rating",), "cell.term_id = %s AND cell.student_id = ANY(%s)", [term.pk, enrolled], now
    )
    if rows:
        audit_record(
            actor=actor_staff.user,
            action="conduct.publish",
            obj=school_class,
            after={"term": term.pk, "students": len(rows)},
        )
    return len(rows)


@transaction.atomic
def gradebook_settings_update(
    *, actor, publish_policy: str, auto_publish_after_minutes: int
) -> GradebookSettings:
    """Change the publication policy (school admin and principal; the view checks the role). Audited."""
    if publish_policy not in PublishPolicy.values:
        raise GradeError(gettext("Chế độ công bố điểm không hợp lệ."))
    if not MIN_DELAY <= auto_publish_after_minutes <= MAX_DELAY:
        raise GradeError(
            gettext("Thời gian chờ phải từ %(low)s đến %(high)s phút.")
            % {"low": MIN_DELAY, "high": MAX_DELAY}
        )
    settings = GradebookSettings.objects.select_for_update().get(pk=gradebook_settings().pk)
    before = {"publish_policy": settings.publish_policy, "minutes": settings.auto_publish_after_minutes}
    after = {"publish_policy": publish_policy, "minutes": auto_publish_after_minutes}
    if before != after:
        settings.publish_policy = publish_policy
        settings.auto_publish_after_minutes = auto_publish_after_minutes
        settings.save()
        audit_record(
            actor=actor,
            action="gradebook_settings.update",
            obj=settings,
            before=before,
            after=after,
        )
    return settings


@transaction.atomic
def auto_publish_run(*, now: datetime | None = None) -> int:
    """Under the automatic policy, publish every cell (secondary scores; primary ratings, qualities and
    comments) whose value has not changed for the school's delay, across classes, subjects and columns,
    and send each guardian ONE message listing all their children's new values. Idempotent: a second run
    finds no differing copy and sends nothing. Returns the number of cells published (0 under the manual
    policy). A constant number of queries."""
    now = now or timezone.now()
    settings = gradebook_settings()
    if settings.publish_policy != PublishPolicy.AUTO:
        return 0
    settled = "cell.updated_at <= %s"
    cutoff = [now - timedelta(minutes=settings.auto_publish_after_minutes)]
    scores = _publish_changed(Score, ("value", "rating"), settled, cutoff, now)
    ratings = _publish_changed(PrimaryRating, ("rating", "test_score", "comment"), settled, cutoff, now)
    qualities = _publish_changed(PrimaryQuality, ("rating",), settled, cutoff, now)
    qualities += _publish_changed(PrimaryReview, ("comment",), settled, cutoff, now)
    if not (scores or ratings or qualities):
        return 0
    subject_names = dict(
        Subject.objects.filter(pk__in={r["subject_id"] for r in scores + ratings}).values_list("pk", "name")
    )
    term_numbers = dict(
        Term.objects.filter(pk__in={r["term_id"] for r in scores}).values_list("pk", "number")
    )
    lines = _merge(_score_lines(scores, subject_names, term_numbers), _rating_lines(ratings, subject_names))
    sent = _notify(_merge(lines, _quality_lines(qualities)))
    _record_auto(scores, ratings, now, sent, cells=len(scores) + len(ratings) + len(qualities))
    return len(scores) + len(ratings) + len(qualities)


def _record_auto(scores: list[dict], ratings: list[dict], now: datetime, sent: int, cells: int) -> None:
    """One Publication per class × subject × term × column or checkpoint (published_by empty: the school's
    policy), the class being the student's enrolment in that school year; one audit event for the run."""
    terms = {
        term.pk: term
        for term in Term.objects.filter(
            Q(pk__in={r["term_id"] for r in scores}) | Q(year_id__in={r["year_id"] for r in ratings})
        )
    }
    term_of_checkpoint = {(t.year_id, t.number): t.pk for t in terms.values()}
    cells_of = [
        (r["student_id"], terms[r["term_id"]].year_id, r["subject_id"], r["term_id"], r["column"])
        for r in scores
    ]
    for r in ratings:
        term_id = term_of_checkpoint.get((r["year_id"], CHECKPOINT_TERM[Checkpoint(r["checkpoint"])]))
        if term_id is not None:
            cells_of.append((r["student_id"], r["year_id"], r["subject_id"], term_id, r["checkpoint"]))
    classes = {
        (student_id, year_id): class_id
        for student_id, year_id, class_id in Enrolment.objects.filter(student_id__in={c[0] for c in cells_of})
        .order_by("starts_on")  # the latest enrolment of a year wins
        .values_list("student_id", "school_class__year_id", "school_class_id")
    }
    groups: dict[tuple, int] = defaultdict(int)
    for student_id, year_id, subject_id, term_id, column in cells_of:
        class_id = classes.get((student_id, year_id))
        if class_id is not None:
            groups[(class_id, subject_id, term_id, column)] += 1
    Publication.objects.bulk_create(
        Publication(
            school_class_id=class_id,
            subject_id=subject_id,
            term_id=term_id,
            column=column,
            published_by=None,
            published_at=now,
            cell_count=count,
            message_count=sent,  # the run's messages: each guardian's one message covers every column
        )
        for (class_id, subject_id, term_id, column), count in groups.items()
    )
    audit_record(
        actor=None,
        action="grades.publish",
        after={"auto": True, "cells": cells, "publications": len(groups), "messages": sent},
        object_repr=gettext("Tự động công bố điểm"),
    )
