"""Every write of a notice's questions: the composer's questions (while the notice is a draft), the answer
sheets written when it is published, a guardian's answers for one child, and the reminders to those who have
not answered.

Answers are checked by notices.polls.rules all together before anything is written, and a submission writes
all of its answers in one transaction, with the sheet locked (two guardians of one child answering at once
leave one whole answer, never a mix). A reminder round is counted under the notice's lock, so the same
confirmation posted twice sends once."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from messaging.outbox.selectors import guardian_recipient
from messaging.outbox.services import messages_send
from notices.audience import Addressee, AudienceChoice, audience_children
from notices.models import (
    AnswerReminder,
    AnswerSheet,
    Notice,
    NoticeRecipient,
    Question,
    QuestionAnswer,
    Status,
)
from notices.polls import rules
from schoolbook.audit.services import audit_record
from schoolbook.text import nfc
from students.models import Guardian, StaffMember, StudentGuardian

REMINDER_PURPOSE = "notice_reminder"


class PollRefused(Exception):
    """A refused answer or reminder, with a message for the person who tried."""


class AnswersInvalid(Exception):
    """Some answers do not follow their question's rules: `errors` maps a question's id to its message."""

    def __init__(self, errors: dict[int, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def poll_error_text(error: rules.PollError) -> str:
    """A rules error in the reader's language (the rules mark their templates for translation)."""
    return gettext(error.template).format(**error.params)


# --- the composer's questions ---------------------------------------------------------------------------


def questions_replace(notice: Notice, specs: list[rules.QuestionSpec]) -> None:
    """The draft's questions become `specs`, in that order (each already checked by rules.question_check).
    Call inside the notice's transaction, with it locked (notices.services.notice_save)."""
    notice.questions.all().delete()
    Question.objects.bulk_create(
        Question(notice=notice, position=position, **_columns(spec))
        for position, spec in enumerate(specs, start=1)
    )


def _columns(spec: rules.QuestionSpec) -> dict:
    return {
        "kind": spec.kind, "label": spec.label, "required": spec.required, "options": list(spec.options),
        "min_value": spec.min_value, "max_value": spec.max_value, "max_length": spec.max_length,
    }  # fmt: skip


def sheets_create(notice: Notice, addressees: list[Addressee]) -> int:
    """At publication, when the notice asks questions: one blank sheet per child of its audience that one of
    the guardians it reaches (`addressees`) can answer for, with the child's class then. Returns how many."""
    if not notice.questions.exists():
        return 0
    guardian_ids = [a.guardian_id for a in addressees if a.guardian_id]
    children = audience_children(AudienceChoice.of(notice), guardian_ids)
    AnswerSheet.objects.bulk_create(
        AnswerSheet(notice=notice, student_id=student_id, school_class_id=class_id)
        for student_id, class_id in children.items()
    )
    return len(children)


# --- answers --------------------------------------------------------------------------------------------


def is_open(notice: Notice, now=None) -> bool:
    """Whether answers are taken: published, and its deadline not reached."""
    now = now or timezone.now()
    return notice.status == Status.PUBLISHED and (
        notice.answers_close_at is None or now < notice.answers_close_at
    )


def can_answer(guardian: Guardian | None, sheet: AnswerSheet) -> bool:
    """A guardian answers for a child of theirs, on a notice that reached them."""
    if guardian is None:
        return False
    reached = NoticeRecipient.objects.filter(notice_id=sheet.notice_id, guardian=guardian).exists()
    return reached and StudentGuardian.objects.filter(guardian=guardian, student_id=sheet.student_id).exists()


def answers_check(questions: list[Question], raw: dict) -> dict[int, rules.Answer]:
    """Every question's answer from `raw` (question id → (options chosen, text typed)), or AnswersInvalid
    with a message for each question that is wrong."""
    answers, errors = {}, {}
    for question in questions:
        chosen, typed = raw.get(question.pk, ((), ""))
        try:
            answers[question.pk] = rules.answer_clean(question.spec, chosen=chosen, typed=typed)
        except rules.PollError as error:
            errors[question.pk] = poll_error_text(error)
    if errors:
        raise AnswersInvalid(errors)
    return answers


@transaction.atomic
def answers_submit(*, actor_guardian: Guardian, sheet: AnswerSheet, raw: dict) -> AnswerSheet:
    """A guardian's answers for the sheet's child, all or none: the previous answers are replaced. Refused
    (PollRefused) after the deadline or to anyone but a guardian of the child the notice reached."""
    sheet = AnswerSheet.objects.select_for_update().select_related("notice").get(pk=sheet.pk)
    if not can_answer(actor_guardian, sheet):
        raise PollRefused(gettext("Bạn không trả lời được cho học sinh này."))
    if not is_open(sheet.notice):
        raise PollRefused(gettext("Đã hết hạn trả lời. Câu trả lời không đổi được nữa."))
    questions = list(sheet.notice.questions.all())
    answers = answers_check(questions, raw)
    first = sheet.answered_at is None
    sheet.answers.all().delete()
    QuestionAnswer.objects.bulk_create(
        QuestionAnswer(
            sheet=sheet, question_id=pk, choices=list(a.choices), number=a.number, text=nfc(a.text)
        )
        for pk, a in answers.items()
        if not a.is_empty
    )
    sheet.answered_by, sheet.answered_at = actor_guardian, timezone.now()
    sheet.save(update_fields=["answered_by", "answered_at"])
    audit_record(
        actor=actor_guardian.user, action="notice.answer" if first else "notice.answer_change", obj=sheet,
        after={"notice": sheet.notice_id, "student": sheet.student_id},
    )  # fmt: skip
    return sheet


# --- reminders ------------------------------------------------------------------------------------------


def guardians_to_remind(notice: Notice):
    """The guardians the notice reached who have a child whose sheet is still blank, each once."""
    blank = AnswerSheet.objects.filter(notice=notice, answered_at__isnull=True).values("student_id")
    return Guardian.objects.filter(
        Exists(NoticeRecipient.objects.filter(notice=notice, guardian=OuterRef("pk"))),
        Exists(StudentGuardian.objects.filter(guardian=OuterRef("pk"), student_id__in=blank)),
    ).order_by("sort_key", "pk")


def reminder_text(school_name: str, notice: Notice, link: str) -> str:
    deadline = timezone.localtime(notice.answers_close_at) if notice.answers_close_at else None
    parts = [
        gettext("%(school)s: Nhắc phụ huynh trả lời “%(title)s”.")
        % {"school": school_name, "title": notice.title}
    ]
    if deadline:
        parts.append(gettext("Hạn trả lời: %(when)s.") % {"when": f"{deadline:%H:%M %d/%m/%Y}"})
    parts.append(gettext("Trả lời tại: %(link)s") % {"link": link})
    return "\n".join(parts)


@dataclass
class ReminderPlan:
    """What a reminder round would send now: one message per guardian, the same text for all."""

    items: list
    text: str
    rounds: int  # rounds already sent: the confirmation is good for the next one only


def reminder_plan(notice: Notice, *, school_name: str, link: str) -> ReminderPlan:
    text = reminder_text(school_name, notice, link)
    items = [(guardian_recipient(g), text) for g in guardians_to_remind(notice)]
    return ReminderPlan(items=items, text=text, rounds=notice.reminders.count())


@transaction.atomic
def answers_remind(
    *, actor_staff: StaffMember, notice: Notice, school_name: str, link: str, rounds: int
) -> int:
    """One reminder round to the guardians who have not answered, through the outbox (reference
    "notice-reminder:<pk>", so the notice's delivery report keeps to the notice itself). `rounds` is the
    number of rounds the confirmation saw: when another round was sent since (the same button clicked
    twice), nothing is sent and 0 returned. Returns the number of guardians reminded."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if not is_open(notice):
        raise PollRefused(gettext("Đã hết hạn trả lời: không nhắc nữa."))
    plan = reminder_plan(notice, school_name=school_name, link=link)
    if plan.rounds != rounds or not plan.items:
        return 0
    messages_send(
        purpose=REMINDER_PURPOSE,
        reference=f"notice-reminder:{notice.pk}",
        items=plan.items,
        title=notice.title,
        link=link,
        channels=notice.channels or None,
        bulk=True,
    )
    AnswerReminder.objects.create(notice=notice, sent_by=actor_staff, guardians=len(plan.items))
    audit_record(
        actor=actor_staff.user, action="notice.remind", obj=notice, after={"guardians": len(plan.items)}
    )
    return len(plan.items)
