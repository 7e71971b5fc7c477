"""Reads of a notice's questions and answers: a guardian's sheets (their own children only), the author's
results (counts per question and option, who has not answered by class), and the rows of the CSV. The
pages check who may read them (notices.polls.views); these never widen what a caller passes in."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from notices.models import AnswerSheet, Notice, NoticeRecipient, Question, QuestionAnswer
from notices.polls import rules
from notices.polls.services import is_open
from students.models import Guardian, StudentGuardian


def questions_of(notice: Notice) -> list[Question]:
    return list(notice.questions.all())


@dataclass
class SheetView:
    """A child's sheet as its guardian sees it: the questions, the answers kept (rules.Answer by question
    id) and, after a refused submission, what was typed and the errors."""

    sheet: AnswerSheet
    questions: list
    answers: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    typed: dict | None = None  # question id → (chosen, typed) as posted, shown back with the errors

    @property
    def rows(self):
        """(question, the answer's text, chosen positions as strings, typed text, error) per question."""
        for question in self.questions:
            kept = self.answers.get(question.pk, rules.Answer())
            if self.typed is not None:
                chosen, typed = self.typed.get(question.pk, ((), ""))
            else:
                chosen = [str(p) for p in kept.choices]
                typed = kept.text if question.kind == rules.SHORT_TEXT else (
                    "" if kept.number is None else str(kept.number)
                )  # fmt: skip
            yield {
                "question": question,
                "text": rules.answer_text(question.spec, kept),
                "chosen": list(chosen),
                "typed": typed,
                "error": self.errors.get(question.pk, ""),
            }


def guardian_sheets(notice: Notice, guardian: Guardian | None) -> list[SheetView]:
    """The sheets of the guardian's children on a notice that reached them, by the child's name, with their
    answers (three queries). Nothing for anyone else."""
    if guardian is None or not NoticeRecipient.objects.filter(notice=notice, guardian=guardian).exists():
        return []
    children = StudentGuardian.objects.filter(guardian=guardian).values("student_id")
    sheets = list(
        AnswerSheet.objects.filter(notice=notice, student_id__in=children)
        .select_related("student", "school_class", "answered_by")
        .order_by("student__sort_key", "pk")
    )
    if not sheets:
        return []
    questions = questions_of(notice)
    answers = defaultdict(dict)
    for answer in QuestionAnswer.objects.filter(sheet__in=sheets):
        answers[answer.sheet_id][answer.question_id] = answer.value
    return [SheetView(sheet=s, questions=questions, answers=answers[s.pk]) for s in sheets]


def guardian_sheet(notice: Notice, guardian: Guardian | None, sheet_pk: int) -> SheetView | None:
    return next((view for view in guardian_sheets(notice, guardian) if view.sheet.pk == sheet_pk), None)


@dataclass
class QuestionResult:
    question: Question
    tally: rules.Tally
    options: list  # (label, count, percent of those who answered the question)


@dataclass
class Results:
    questions: list[QuestionResult]
    sheets: int
    answered: int
    open: bool
    unanswered: list  # (class name, [student names]) by class name
    reminders: list


def poll_results(notice: Notice) -> Results:
    """Counts per question and option over the notice's answers, how many children were answered for, and
    the children not answered for yet, by class (a constant number of queries)."""
    questions = questions_of(notice)
    values = defaultdict(list)
    for answer in QuestionAnswer.objects.filter(sheet__notice=notice).only(
        "question_id", "choices", "number"
    ):
        values[answer.question_id].append(answer.value)
    results = []
    for question in questions:
        tally = rules.tally(question.spec, values[question.pk])
        options = [
            (label, count, round(100 * count / tally.answered) if tally.answered else 0)
            for label, count in zip(question.options, tally.per_option, strict=True)
        ]
        results.append(QuestionResult(question=question, tally=tally, options=options))
    counts = AnswerSheet.objects.filter(notice=notice).aggregate(
        sheets=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False))
    )
    return Results(
        questions=results,
        sheets=counts["sheets"],
        answered=counts["answered"],
        open=is_open(notice),
        unanswered=unanswered_by_class(notice),
        reminders=list(notice.reminders.select_related("sent_by")[:5]),
    )


def unanswered_by_class(notice: Notice) -> list[tuple[str, list[str]]]:
    """The children no one has answered for yet, grouped by their class at publication, classes by name and
    children in class-list order."""
    rows = (
        AnswerSheet.objects.filter(notice=notice, answered_at__isnull=True)
        .order_by("school_class__name", "student__sort_key", "pk")
        .values_list("school_class__name", "student__full_name")
    )
    grouped = defaultdict(list)
    for class_name, student in rows:
        grouped[class_name or ""].append(student)
    return list(grouped.items())


def answers_csv_records(notice: Notice):
    """The CSV's header and one record per child asked about (blank answers for those not answered), in
    class and class-list order; each answer as rules.answer_text writes it."""
    questions = questions_of(notice)
    fixed = [gettext("Lớp"), gettext("Học sinh"), gettext("Mã học sinh"), gettext("Người trả lời"),
             gettext("Trả lời lúc")]  # fmt: skip
    fields = fixed + [f"{n}. {q.label}" for n, q in enumerate(questions, start=1)]
    sheets = (
        AnswerSheet.objects.filter(notice=notice)
        .select_related("student", "school_class", "answered_by")
        .order_by("school_class__name", "student__sort_key", "pk")
    )
    answers = defaultdict(dict)
    for answer in QuestionAnswer.objects.filter(sheet__notice=notice):
        answers[answer.sheet_id][answer.question_id] = answer.value

    def records():
        for sheet in sheets.iterator(chunk_size=500):
            when = sheet.answered_at and timezone.localtime(sheet.answered_at).strftime("%d/%m/%Y %H:%M")
            values = [
                sheet.school_class.name if sheet.school_class else "",
                sheet.student.full_name,
                sheet.student.student_code,
                sheet.answered_by.full_name if sheet.answered_by else "",
                when or "",
            ]
            mine = answers[sheet.pk]
            values += [rules.answer_text(q.spec, mine.get(q.pk, rules.Answer())) for q in questions]
            yield dict(zip(fields, values, strict=True))

    return fields, records()
