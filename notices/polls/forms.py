"""The questions part of the compose form: the deadline for answers and the questions, one small form each
(a Django formset: ordered by their "Thứ tự" numbers, removed by ticking "Xóa"; one blank question is always
there, so the form works without JavaScript; HTMX adds more blanks in place)."""

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notices.models import Audience, QuestionKind
from notices.polls import rules
from notices.polls.services import poll_error_text

PREFIX = "questions"
PRESET_MEETING = "meeting"

# Where a rules error about a question shows: next to the field it is about.
FIELD_OF_ERROR = {
    rules.MSG_LABEL_EMPTY: "label", rules.MSG_LABEL_LONG: "label", rules.MSG_KIND: "kind",
    rules.MSG_FEW_OPTIONS: "options", rules.MSG_MANY_OPTIONS: "options", rules.MSG_OPTION_LONG: "options",
    rules.MSG_OPTION_TWICE: "options", rules.MSG_BOUNDS: "max_value", rules.MSG_BOUND_RANGE: "max_value",
    rules.MSG_HEADCOUNT_LIMIT: "max_value", rules.MSG_TEXT_LIMIT: "max_length",
}  # fmt: skip


def _shown_for(*kinds) -> dict:
    """The kinds a field is for: the stylesheet hides it for the others (every field shows without CSS)."""
    return {"data-kinds": " ".join(kinds)}


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại câu hỏi"), choices=QuestionKind.choices, initial=rules.YES_NO)
    label = forms.CharField(label=_("Câu hỏi"), max_length=rules.LABEL_MAX, required=False)
    required = forms.BooleanField(label=_("Bắt buộc trả lời"), required=False, initial=True)
    options = forms.CharField(
        label=_("Các lựa chọn"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, **_shown_for(rules.ONE_OF, rules.SEVERAL_OF)}),
        help_text=_("Mỗi lựa chọn một dòng (ít nhất hai)."),
    )  # fmt: skip
    min_value = forms.IntegerField(
        label=_("Số nhỏ nhất"), required=False, widget=forms.NumberInput(attrs=_shown_for(rules.NUMBER))
    )
    max_value = forms.IntegerField(
        label=_("Số lớn nhất"), required=False,
        widget=forms.NumberInput(attrs=_shown_for(rules.NUMBER, rules.RSVP)),
        help_text=_("Với câu Tham dự: số người tối đa mỗi gia đình; để trống thì không hỏi số người."),
    )  # fmt: skip
    max_length = forms.IntegerField(
        label=_("Độ dài tối đa (ký tự)"), required=False,
        widget=forms.NumberInput(attrs=_shown_for(rules.SHORT_TEXT)),
        help_text=format_lazy(_("Để trống: {limit} ký tự."), limit=rules.TEXT_LIMIT_DEFAULT),
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        options = tuple((data.get("options") or "").splitlines())
        spec = rules.QuestionSpec(
            kind=data["kind"], label=data.get("label") or "", required=bool(data.get("required")),
            options=options, min_value=data.get("min_value"), max_value=data.get("max_value"),
            max_length=data.get("max_length"),
        )  # fmt: skip
        try:
            self.spec = rules.question_check(spec)
        except rules.PollError as error:
            self.add_error(FIELD_OF_ERROR.get(error.template), poll_error_text(error))
        return data

    @staticmethod
    def initial_of(question) -> dict:
        editable = question.kind in (rules.ONE_OF, rules.SEVERAL_OF)
        return {
            "kind": question.kind, "label": question.label, "required": question.required,
            "options": "\n".join(question.options) if editable else "", "min_value": question.min_value,
            "max_value": question.max_value, "max_length": question.max_length,
        }  # fmt: skip


class BaseQuestionFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = _("Thứ tự")
        form.fields["ORDER"].widget.attrs["min"] = 1
        form.fields["DELETE"].label = _("Bỏ câu hỏi này")


QuestionFormSet = formset_factory(
    QuestionForm, formset=BaseQuestionFormSet, extra=1, can_order=True, can_delete=True,
    max_num=rules.QUESTIONS_MAX, validate_max=True,
)  # fmt: skip


def blank_question(index: int, *, preset: str = "") -> QuestionForm:
    """The question form at `index` of the formset, blank or preset (the meeting's "Tham dự"): what the
    compose page's "Thêm câu hỏi" appends."""
    initial = {"kind": rules.RSVP, "label": rules.RSVP_LABEL} if preset == PRESET_MEETING else None
    form = QuestionForm(prefix=f"{PREFIX}-{index}", initial=initial, use_required_attribute=False)
    QuestionFormSet(prefix=PREFIX).add_fields(form, index)
    return form


class DeadlineForm(forms.Form):
    answers_close_at = forms.DateTimeField(
        label=_("Hạn trả lời"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        help_text=_("Phụ huynh thấy hạn này và sửa được câu trả lời đến hạn; sau hạn chỉ còn xem."),
    )  # fmt: skip


class PollForms:
    """The deadline and the questions of a notice being composed. `is_valid` also checks what holds for
    them together with the notice (a deadline later than when it goes out; questions only to families).
    A POST without the questions' part (no formset count) leaves the notice's questions as they are."""

    def __init__(self, data=None, *, notice=None, preset: str = ""):
        questions = list(notice.questions.all()) if notice is not None and notice.pk else []
        initial = [QuestionForm.initial_of(q) for q in questions]
        if preset == PRESET_MEETING and not questions:
            initial = [{"kind": rules.RSVP, "label": rules.RSVP_LABEL, "required": True}]
        close_at = notice.answers_close_at if notice is not None else None
        self.deadline = DeadlineForm(
            data, initial={"answers_close_at": timezone.localtime(close_at) if close_at else None}
        )
        self.present = data is not None and f"{PREFIX}-TOTAL_FORMS" in data
        self.questions = QuestionFormSet(data if self.present else None, prefix=PREFIX, initial=initial)
        self.errors: list[str] = []

    def is_valid(self, *, audience: str | None, scheduled_at, sending: bool) -> bool:
        """A draft may still lack its deadline; one being sent may not. Every error shows at once: the
        deadline is checked even when a question is wrong."""
        questions_ok = not self.present or self.questions.is_valid()
        specs = (self.specs() or []) if questions_ok else []
        if questions_ok and specs and audience == Audience.STAFF:
            self.errors.append(gettext("Câu hỏi chỉ dành cho thông báo gửi phụ huynh."))
        try:
            rules.questions_check(specs)
        except rules.PollError as error:
            self.errors.append(poll_error_text(error))
        if self.deadline.is_valid():
            now, deadline = timezone.now(), self.deadline.cleaned_data["answers_close_at"]
            asked = bool(specs) if questions_ok else self._asks_questions()
            try:
                rules.deadline_check(
                    deadline, has_questions=asked and (sending or deadline is not None),
                    sent_at=max(now, scheduled_at or now),
                )  # fmt: skip
            except rules.PollError as error:
                self.deadline.add_error("answers_close_at", poll_error_text(error))
        return questions_ok and not self.errors and self.deadline.is_valid()

    def _asks_questions(self) -> bool:
        """Whether the formset, some of whose questions are wrong, keeps any question."""
        initial = self.questions.initial_form_count()
        return any(
            (index < initial or form.has_changed()) and not form.cleaned_data.get("DELETE")
            for index, form in enumerate(self.questions.forms)
        )

    def specs(self) -> list[rules.QuestionSpec] | None:
        """The questions in their order (None: not part of the POST)."""
        return [form.spec for form in self.questions.ordered_forms] if self.present else None

    @property
    def answers_close_at(self):
        return self.deadline.cleaned_data["answers_close_at"]
