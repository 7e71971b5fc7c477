"""The questions a notice can ask families, and the rules of their answers. Pure: no Django, so that they are
tested by tables (tests/notices/polls/test_rules.py) and the forms, services and CSV all apply the same ones.

Kinds: yes/no, one of, several of (their options in order; an answer keeps the chosen options' positions),
a whole number (optional min and max), a short text (a length limit), and the parent meeting's RSVP
("Tham dự": I will come / I cannot come, and, when the question asks it, how many people will come, from 1
to the question's max_value). A question that is not required may be left empty: the answer is then empty.

Error messages are Vietnamese templates marked for translation here; the web layer translates them
(`PollError.template` and `params`), as schoolbook.phones does."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

YES_NO, ONE_OF, SEVERAL_OF, NUMBER, SHORT_TEXT, RSVP = (
    "yes_no", "one_of", "several_of", "number", "short_text", "rsvp",
)  # fmt: skip
KINDS = (YES_NO, ONE_OF, SEVERAL_OF, NUMBER, SHORT_TEXT, RSVP)
CHOICE_KINDS = (YES_NO, ONE_OF, SEVERAL_OF, RSVP)  # answered by choosing among options


def gettext_noop(message: str) -> str:
    """Marks a message for `makemessages` without importing Django; the web layer translates it."""
    return message


# The fixed options of two kinds, stored with the question like the composer's own options: what parents
# saw when they answered stays what the results and the CSV show.
YES_NO_OPTIONS = (gettext_noop("Có"), gettext_noop("Không"))
RSVP_OPTIONS = (gettext_noop("Tôi sẽ đến"), gettext_noop("Tôi không đến được"))
RSVP_COMING = 0  # the position of "Tôi sẽ đến"
RSVP_LABEL = gettext_noop("Tham dự")

LABEL_MAX = 200
OPTION_MAX = 100
OPTIONS_MAX = 20
QUESTIONS_MAX = 20
TEXT_LIMIT_DEFAULT = 200
TEXT_LIMIT_MAX = 500
NUMBER_LIMIT = 1_000_000_000  # fits the database's integer column with room to spare
HEADCOUNT_MAX = 20  # people one family may bring to a meeting

MSG_REQUIRED = gettext_noop("Hãy trả lời câu hỏi này.")
MSG_BAD_OPTION = gettext_noop("Lựa chọn không hợp lệ. Hãy chọn lại.")
MSG_ONE_ONLY = gettext_noop("Chỉ chọn một lựa chọn.")
MSG_NOT_WHOLE = gettext_noop("Hãy nhập một số nguyên, ví dụ 2.")
MSG_BELOW = gettext_noop("Số nhỏ nhất được nhập là {limit}.")
MSG_ABOVE = gettext_noop("Số lớn nhất được nhập là {limit}.")
MSG_TOO_LONG = gettext_noop("Tối đa {limit} ký tự (bạn đã nhập {count}).")
MSG_HEADCOUNT = gettext_noop("Hãy cho biết có bao nhiêu người sẽ đến (từ 1 đến {limit}).")
MSG_LABEL_EMPTY = gettext_noop("Hãy ghi nội dung câu hỏi.")
MSG_LABEL_LONG = gettext_noop("Câu hỏi dài tối đa {limit} ký tự.")
MSG_KIND = gettext_noop("Loại câu hỏi không hợp lệ.")
MSG_FEW_OPTIONS = gettext_noop("Hãy ghi ít nhất hai lựa chọn, mỗi lựa chọn một dòng.")
MSG_MANY_OPTIONS = gettext_noop("Tối đa {limit} lựa chọn.")
MSG_OPTION_LONG = gettext_noop("Mỗi lựa chọn dài tối đa {limit} ký tự.")
MSG_OPTION_TWICE = gettext_noop("Lựa chọn “{option}” bị trùng.")
MSG_BOUNDS = gettext_noop("Số nhỏ nhất phải không lớn hơn số lớn nhất.")
MSG_BOUND_RANGE = gettext_noop("Giới hạn phải nằm trong khoảng ±{limit}.")
MSG_TEXT_LIMIT = gettext_noop("Độ dài tối đa phải từ 1 đến {limit} ký tự.")
MSG_HEADCOUNT_LIMIT = gettext_noop("Số người tối đa phải từ 1 đến {limit}.")
MSG_MANY_QUESTIONS = gettext_noop("Mỗi thông báo có tối đa {limit} câu hỏi.")
MSG_TWO_RSVP = gettext_noop("Mỗi thông báo chỉ có một câu hỏi Tham dự.")
MSG_DEADLINE_NEEDED = gettext_noop("Thông báo có câu hỏi cần hạn trả lời.")
MSG_DEADLINE_EARLY = gettext_noop("Hạn trả lời phải sau lúc thông báo được gửi.")


class PollError(ValueError):
    """str(e) is the Vietnamese message; `template` and `params` let the web layer translate it."""

    def __init__(self, template: str, **params):
        super().__init__(template.format(**params))
        self.template = template
        self.params = params


@dataclass(frozen=True)
class QuestionSpec:
    """A question as the composer wrote it. `options` are the choices of a choice kind (fixed for yes/no and
    RSVP); `min_value`/`max_value` bound a number (`max_value` of an RSVP: ask how many people, up to it);
    `max_length` limits a short text."""

    kind: str
    label: str
    required: bool = True
    options: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None

    @property
    def asks_headcount(self) -> bool:
        return self.kind == RSVP and self.max_value is not None


@dataclass(frozen=True)
class Answer:
    """One answer: the chosen options' positions (choice kinds), a number (a number, or an RSVP's people),
    a text (a short text). Empty when a question that is not required was left blank."""

    choices: tuple[int, ...] = ()
    number: int | None = None
    text: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.choices and self.number is None and not self.text


def _clean_text(value: str) -> str:
    return unicodedata.normalize("NFC", value or "").strip()


# --- questions -------------------------------------------------------------------------------------------


def question_check(spec: QuestionSpec) -> QuestionSpec:
    """The question as it will be kept (label and options trimmed, what its kind does not use dropped, the
    fixed options of yes/no and RSVP filled in), or PollError for the first thing wrong with it."""
    if spec.kind not in KINDS:
        raise PollError(MSG_KIND)
    label = _clean_text(spec.label) or (RSVP_LABEL if spec.kind == RSVP else "")
    if not label:
        raise PollError(MSG_LABEL_EMPTY)
    if len(label) > LABEL_MAX:
        raise PollError(MSG_LABEL_LONG, limit=LABEL_MAX)
    kept = {"kind": spec.kind, "label": label, "required": spec.required}
    if spec.kind in (ONE_OF, SEVERAL_OF):
        kept["options"] = _options_check(spec.options)
    elif spec.kind == YES_NO:
        kept["options"] = YES_NO_OPTIONS
    elif spec.kind == RSVP:
        kept["options"] = RSVP_OPTIONS
        if spec.max_value is not None and not 1 <= spec.max_value <= HEADCOUNT_MAX:
            raise PollError(MSG_HEADCOUNT_LIMIT, limit=HEADCOUNT_MAX)
        kept["max_value"] = spec.max_value
    elif spec.kind == NUMBER:
        for bound in (spec.min_value, spec.max_value):
            if bound is not None and abs(bound) > NUMBER_LIMIT:
                raise PollError(MSG_BOUND_RANGE, limit=f"{NUMBER_LIMIT:,}".replace(",", "."))
        if spec.min_value is not None and spec.max_value is not None and spec.min_value > spec.max_value:
            raise PollError(MSG_BOUNDS)
        kept["min_value"], kept["max_value"] = spec.min_value, spec.max_value
    else:
        limit = TEXT_LIMIT_DEFAULT if spec.max_length is None else spec.max_length
        if not 1 <= limit <= TEXT_LIMIT_MAX:
            raise PollError(MSG_TEXT_LIMIT, limit=TEXT_LIMIT_MAX)
        kept["max_length"] = limit
    return QuestionSpec(**kept)


def _options_check(options) -> tuple[str, ...]:
    cleaned = [_clean_text(option) for option in options]
    cleaned = [option for option in cleaned if option]
    if len(cleaned) < 2:
        raise PollError(MSG_FEW_OPTIONS)
    if len(cleaned) > OPTIONS_MAX:
        raise PollError(MSG_MANY_OPTIONS, limit=OPTIONS_MAX)
    seen = set()
    for option in cleaned:
        if len(option) > OPTION_MAX:
            raise PollError(MSG_OPTION_LONG, limit=OPTION_MAX)
        if option.casefold() in seen:
            raise PollError(MSG_OPTION_TWICE, option=option)
        seen.add(option.casefold())
    return tuple(cleaned)


def questions_check(specs: list[QuestionSpec]) -> None:
    """What holds for a notice's questions together (each one checked by question_check)."""
    if len(specs) > QUESTIONS_MAX:
        raise PollError(MSG_MANY_QUESTIONS, limit=QUESTIONS_MAX)
    if sum(spec.kind == RSVP for spec in specs) > 1:
        raise PollError(MSG_TWO_RSVP)


def deadline_check(deadline: datetime | None, *, has_questions: bool, sent_at: datetime) -> None:
    """A notice with questions has a deadline, later than the moment it goes out (`sent_at`: now, or the
    time it is scheduled for)."""
    if not has_questions:
        return
    if deadline is None:
        raise PollError(MSG_DEADLINE_NEEDED)
    if deadline <= sent_at:
        raise PollError(MSG_DEADLINE_EARLY)


# --- answers ---------------------------------------------------------------------------------------------

_WHOLE = re.compile(r"[+-]?\d+")


def _whole(value: str) -> int:
    value = value.strip().replace(" ", "")
    if not _WHOLE.fullmatch(value) or len(value) > 12:
        raise PollError(MSG_NOT_WHOLE)
    return int(value)


def _positions(spec: QuestionSpec, chosen: list[str]) -> tuple[int, ...]:
    positions = set()
    for value in chosen:
        value = (value or "").strip()
        if not value:
            continue
        if not value.isdigit() or int(value) >= len(spec.options):
            raise PollError(MSG_BAD_OPTION)
        positions.add(int(value))
    return tuple(sorted(positions))


def answer_clean(spec: QuestionSpec, *, chosen: list[str] = (), typed: str = "") -> Answer:
    """A parent's answer to `spec` from what the form posted: `chosen`, the positions of the options ticked
    (choice kinds), and `typed`, the number, the text, or an RSVP's number of people. PollError says what is
    wrong, in the words the parent will read."""
    typed = _clean_text(typed)
    if spec.kind in CHOICE_KINDS:
        positions = _positions(spec, list(chosen))
        if not positions:
            if spec.required:
                raise PollError(MSG_REQUIRED)
            return Answer()
        if spec.kind != SEVERAL_OF and len(positions) > 1:
            raise PollError(MSG_ONE_ONLY)
        if spec.asks_headcount and positions[0] == RSVP_COMING:
            if not typed:
                raise PollError(MSG_HEADCOUNT, limit=spec.max_value)
            try:
                people = _whole(typed)
            except PollError:
                raise PollError(MSG_HEADCOUNT, limit=spec.max_value) from None
            if not 1 <= people <= spec.max_value:
                raise PollError(MSG_HEADCOUNT, limit=spec.max_value)
            return Answer(choices=positions, number=people)
        return Answer(choices=positions)
    if not typed:
        if spec.required:
            raise PollError(MSG_REQUIRED)
        return Answer()
    if spec.kind == NUMBER:
        number = _whole(typed)
        if spec.min_value is not None and number < spec.min_value:
            raise PollError(MSG_BELOW, limit=spec.min_value)
        if spec.max_value is not None and number > spec.max_value:
            raise PollError(MSG_ABOVE, limit=spec.max_value)
        return Answer(number=number)
    limit = spec.max_length or TEXT_LIMIT_DEFAULT
    if len(typed) > limit:
        raise PollError(MSG_TOO_LONG, limit=limit, count=len(typed))
    return Answer(text=typed)


# --- results ---------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """The counts of one question's answers: `answered` (non-empty answers), `per_option` (choice kinds),
    `total` (the sum of the numbers: a number question, or the people an RSVP expects), `low`/`high`."""

    answered: int = 0
    per_option: tuple[int, ...] = ()
    total: int = 0
    low: int | None = None
    high: int | None = None


def tally(spec: QuestionSpec, answers) -> Tally:
    """The counts of `answers` (Answer, empty ones included) to `spec`. An RSVP's `total` counts the
    people coming: the number given, or one when the question does not ask it."""
    per_option = [0] * len(spec.options)
    result = Tally()
    for answer in answers:
        if answer.is_empty:
            continue
        result.answered += 1
        for position in answer.choices:
            if position < len(per_option):
                per_option[position] += 1
        if spec.kind == RSVP and answer.choices[:1] == (RSVP_COMING,):
            result.total += answer.number or 1
        elif answer.number is not None:
            result.total += answer.number
            result.low = answer.number if result.low is None else min(result.low, answer.number)
            result.high = answer.number if result.high is None else max(result.high, answer.number)
    result.per_option = tuple(per_option)
    return result


def answer_text(spec: QuestionSpec, answer: Answer) -> str:
    """An answer as one line of text (the read-only view, the CSV): the options chosen joined by "; ", the
    number, the text; an RSVP with its people, "Tôi sẽ đến (2)"."""
    if answer.is_empty:
        return ""
    if spec.kind in CHOICE_KINDS:
        chosen = "; ".join(spec.options[p] for p in answer.choices if p < len(spec.options))
        if spec.kind == RSVP and answer.number is not None:
            return f"{chosen} ({answer.number})"
        return chosen
    if spec.kind == NUMBER:
        return str(answer.number)
    return answer.text
