"""The parent's home across schools: one card per child in every school, with what is new since the
parent's last visit (accounts.services.home_visit_record) and the links to the child's pages.

It reads students, grades, attendance, notices and payments, so it lives in the composition layer, not in
accounts.

Per school, a constant number of queries in its schema whatever the number of children: the children
(students.selectors.children_across_schools, with what each owes and by when from
payments.parent.selectors.with_fee_summary in the same query), then one query each for published scores,
published primary ratings, absences and late arrivals, leave decisions and the guardian's unread notices.
Never one per child.

"New": a score or primary rating published, a leave request decided, after `since`; an absence or late
arrival on a roll call of a day on or after `since`'s day; a notice not read yet (reading it in the inbox
is what clears it, not a visit)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from tenants.routing import school_reverse

LATEST = 3  # lines shown per kind of news on a card


@dataclass
class ChildCard:
    school: object
    student: object
    scores: int = 0
    score_lines: list[str] = field(default_factory=list)  # "Toán: TX1 8,5 · GK 7,0", by subject
    absences: int = 0
    absence_lines: list[str] = field(default_factory=list)
    decisions: int = 0
    decision_lines: list[str] = field(default_factory=list)
    notices: int = 0  # the school's unread notices for this parent
    notice_lines: list[str] = field(default_factory=list)
    fees: str = ""  # "Học phí: còn nợ 500.000 đ (hạn 15/09)", or paid in full; empty without invoices
    fees_overdue: bool = False
    links: dict[str, str] = field(default_factory=dict)

    @property
    def has_news(self) -> bool:
        return bool(self.scores or self.absences or self.decisions or self.notices)


def _score_lines(rows) -> list[str]:
    """rows: (subject, label, text), newest first → one line per subject, subjects by their newest score."""
    by_subject: dict[str, list[str]] = {}
    for subject, label, text in rows:
        by_subject.setdefault(subject, []).append(f"{label} {text}")
    return [f"{subject}: {' · '.join(items)}" for subject, items in list(by_subject.items())[:LATEST]]


def _links(school, student) -> dict[str, str]:
    return {
        "grades": school_reverse(school, "student_grades", pk=student.pk),
        "attendance": school_reverse(school, "student_attendance", pk=student.pk),
        "timetable": school_reverse(school, "student_timetable", pk=student.pk),
        "leave": school_reverse(school, "leave_parent_list"),
        "leave_new": school_reverse(school, "leave_request") + f"?student={student.pk}",
        "profile": school_reverse(school, "student_detail", pk=student.pk),
        "fees": school_reverse(school, "parent_fees"),
        "messages": school_reverse(school, "conversation_child", pk=student.pk),
    }


def _fee_line(card: ChildCard, today) -> None:
    """What the child owes and by when, or paid in full; nothing for a child without invoices."""
    from messaging.outbox.selectors import format_vnd

    student = card.student
    if student.fee_owed:
        card.fees = gettext("Học phí: còn nợ %(amount)s (hạn %(date)s)") % {
            "amount": format_vnd(student.fee_owed),
            "date": f"{student.fee_next_due:%d/%m}",
        }
        card.fees_overdue = student.fee_next_due < today
    elif student.fee_invoiced:
        card.fees = gettext("Học phí: đã nộp đủ")


def hub_versions(user, schema: str) -> tuple[str, str]:
    """In the school's `schema`, in one statement (schoolbook.caching.rows_versions): a version of every row
    the user's cards there are made of but the notices (the guardian rows and links, the children, their
    enrolments and classes, invoices, scores, primary ratings, attendance marks and roll calls, leave
    requests, years and subjects: children_cards), and a version of the notices addressed to the user
    (cards_add_notices). Reading a notice changes the second only."""
    from attendance.models import AttendanceMark, LeaveRequest, RollCall
    from grades.models import PrimaryRating, Score
    from notices.models import Notice, NoticeRecipient
    from payments.models import Invoice
    from schoolbook.caching import qualified_table, rows_versions
    from students.models import (
        Enrolment,
        Guardian,
        SchoolClass,
        SchoolYear,
        Student,
        StudentGuardian,
        Subject,
    )

    def table(model):
        return qualified_table(schema, model)

    guardians = f"SELECT id FROM {table(Guardian)} WHERE user_id = %s"
    children = f"SELECT student_id FROM {table(StudentGuardian)} WHERE guardian_id IN ({guardians})"
    of_children = f"student_id IN ({children})"
    notices = f"SELECT notice_id FROM {table(NoticeRecipient)} WHERE guardian_id IN ({guardians})"
    classes = f"SELECT school_class_id FROM {table(Enrolment)} WHERE {of_children}"
    roll_calls = f"SELECT roll_call_id FROM {table(AttendanceMark)} WHERE {of_children}"
    me = [user.pk]
    versions = rows_versions(
        (table(Guardian), "user_id = %s", me),
        (table(StudentGuardian), f"guardian_id IN ({guardians})", me),
        (table(Student), f"id IN ({children})", me),
        (table(Enrolment), of_children, me),
        (table(SchoolClass), f"id IN ({classes})", me),
        (table(SchoolYear), "true", []),
        (table(Subject), "true", []),
        (table(Invoice), of_children, me),
        (table(Score), of_children, me),
        (table(PrimaryRating), of_children, me),
        (table(AttendanceMark), of_children, me),
        (table(RollCall), f"id IN ({roll_calls})", me),
        (table(LeaveRequest), of_children, me),
        (table(NoticeRecipient), f"guardian_id IN ({guardians})", me),
        (table(Notice), f"id IN ({notices})", me, "t.id, t.title, t.status, t.published_at"),
    )
    return "".join(versions[:-2]), "".join(versions[-2:])


def children_hub(user, schools, since: datetime) -> list[ChildCard]:
    """The cards of `user`'s children in `schools` (their guardian schools), in the order of
    children_across_schools (school by name, then child by name)."""
    cards = children_cards(user, schools, since)
    cards_add_notices(user, cards)
    return cards


def children_cards(user, schools, since: datetime) -> list[ChildCard]:
    """children_hub without the unread notices (cards_add_notices adds them)."""
    from payments.parent.selectors import with_fee_summary
    from students.selectors import children_across_schools

    children = children_across_schools(user, schools, annotate=with_fee_summary)
    by_school: dict[object, list[ChildCard]] = defaultdict(list)
    cards = []
    today = timezone.localdate()
    for child in children:
        card = ChildCard(child["school"], child["student"], links=_links(child["school"], child["student"]))
        _fee_line(card, today)
        by_school[child["school"]].append(card)
        cards.append(card)
    for school, school_cards in by_school.items():
        with schema_context(school.schema_name):
            _school_news(user, {card.student.pk: card for card in school_cards}, since)
    return cards


def _school_news(user, cards: dict[int, ChildCard], since: datetime) -> None:
    from attendance.models import ABSENCES, AttendanceMark, LeaveRequest, Mark
    from grades.cells import score_text
    from grades.models import PrimaryRating, Score
    from grades.publication.selectors import COLUMN_ORDER
    from grades.rules.circular27 import Checkpoint, SubjectRating

    ids = list(cards)
    scores: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    published = (
        Score.objects.filter(student_id__in=ids, published_at__gt=since)
        .exclude(published_value__isnull=True, published_rating__isnull=True)
        .values_list(
            "student_id", "subject__order", "subject__name", "column", "published_value",
            "published_rating", "published_at",
        )
    )  # fmt: skip
    # Newest first; one publish act (the same instant) by subject, then in column order (TX1… GK, CK).
    for student_id, _, subject, column, value, rating, _ in sorted(
        published, key=lambda row: (-row[6].timestamp(), row[1], row[2], COLUMN_ORDER[row[3]])
    ):
        scores[student_id].append((subject, column, score_text(value, rating)))
    ratings = (
        PrimaryRating.objects.filter(student_id__in=ids, published_at__gt=since)
        .exclude(published_rating="")
        .order_by("-published_at", "subject__order")
        .values_list("student_id", "subject__name", "checkpoint", "published_rating")
    )
    for student_id, subject, checkpoint, rating in ratings:
        scores[student_id].append((subject, Checkpoint(checkpoint).label, SubjectRating(rating).label))
    for student_id, rows in scores.items():
        cards[student_id].scores = len(rows)
        cards[student_id].score_lines = _score_lines(rows)

    marks = (
        AttendanceMark.objects.filter(
            student_id__in=ids,
            mark__in=[*ABSENCES, Mark.LATE],
            roll_call__period=0,
            roll_call__date__gte=timezone.localtime(since).date(),
        )
        .select_related("roll_call")
        .order_by("-roll_call__date", "roll_call__session")
    )
    for mark in marks:
        card = cards[mark.student_id]
        card.absences += 1
        if len(card.absence_lines) < LATEST:
            card.absence_lines.append(
                f"{mark.roll_call.date:%d/%m} · {mark.roll_call.get_session_display()}: "
                f"{mark.get_mark_display()}"
            )

    decided = LeaveRequest.objects.filter(
        student_id__in=ids,
        decided_at__gt=since,
        status__in=[LeaveRequest.Status.APPROVED, LeaveRequest.Status.REJECTED],
    ).order_by("-decided_at")
    for leave in decided:
        card = cards[leave.student_id]
        card.decisions += 1
        if len(card.decision_lines) < LATEST:
            card.decision_lines.append(
                gettext("Đơn %(start)s–%(end)s: %(status)s")
                % {
                    "start": f"{leave.start_date:%d/%m}",
                    "end": f"{leave.end_date:%d/%m}",
                    "status": leave.get_status_display(),
                }
            )


def cards_add_notices(user, cards: list[ChildCard]) -> None:
    """The unread notices of each school on each of its cards (notices are addressed to the guardian, not to
    a child): one query a school."""
    from notices.models import NoticeRecipient, Status

    by_school: dict[object, list[ChildCard]] = defaultdict(list)
    for card in cards:
        by_school[card.school].append(card)
    for school, school_cards in by_school.items():
        with schema_context(school.schema_name):
            unread = list(
                NoticeRecipient.objects.filter(
                    guardian__user=user, notice__status=Status.PUBLISHED, read_at__isnull=True
                )
                .order_by("-notice__published_at", "-pk")
                .values_list("notice__title", flat=True)
            )
        for card in school_cards:
            card.notices = len(unread)
            card.notice_lines = unread[:LATEST]
