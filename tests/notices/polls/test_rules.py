"""The rules of a notice's questions and answers (notices.polls.rules), by tables: one row per case."""

from datetime import datetime, timedelta

import pytest

from notices.polls import rules
from notices.polls.rules import Answer, PollError, QuestionSpec

Q, A = QuestionSpec, Answer  # short names for the tables

YES_NO = QuestionSpec(rules.YES_NO, "Con có đi dã ngoại không?", options=rules.YES_NO_OPTIONS)
ONE_OF = QuestionSpec(rules.ONE_OF, "Cỡ áo", options=("S", "M", "L"))
SEVERAL_OF = QuestionSpec(rules.SEVERAL_OF, "Môn năng khiếu", options=("Vẽ", "Bơi", "Cờ vua"))
NUMBER = QuestionSpec(rules.NUMBER, "Số suất ăn", min_value=0, max_value=5)
NUMBER_OPEN = QuestionSpec(rules.NUMBER, "Số bất kỳ", required=False)
TEXT = QuestionSpec(rules.SHORT_TEXT, "Ghi chú", required=False, max_length=10)
RSVP = QuestionSpec(rules.RSVP, "Tham dự", options=rules.RSVP_OPTIONS)
RSVP_COUNT = QuestionSpec(rules.RSVP, "Tham dự", options=rules.RSVP_OPTIONS, max_value=3)
OPTIONAL_ONE = Q(rules.ONE_OF, "Ý kiến", required=False, options=("A", "B"))


@pytest.mark.parametrize(
    ("spec", "chosen", "typed", "expected"),
    [
        (YES_NO, ["0"], "", Answer(choices=(0,))),
        (YES_NO, ["1"], "", Answer(choices=(1,))),
        (ONE_OF, ["2"], "", Answer(choices=(2,))),
        (ONE_OF, [" 1 ", ""], "", Answer(choices=(1,))),  # blank values (an unticked field) are ignored
        (SEVERAL_OF, ["2", "0"], "", Answer(choices=(0, 2))),  # kept in the options' order
        (SEVERAL_OF, ["1", "1"], "", Answer(choices=(1,))),  # the same option twice counts once
        (NUMBER, [], "3", Answer(number=3)),
        (NUMBER, [], " 0 ", Answer(number=0)),  # the minimum itself
        (NUMBER, [], "5", Answer(number=5)),  # the maximum itself
        (NUMBER, [], "+4", Answer(number=4)),
        (NUMBER_OPEN, [], "-12", Answer(number=-12)),
        (NUMBER_OPEN, [], "", Answer()),  # not required: left blank
        (TEXT, [], "  Dị ứng  ", Answer(text="Dị ứng")),
        (TEXT, [], "0123456789", Answer(text="0123456789")),  # exactly at the limit
        (TEXT, [], "Cafe\u0301", Answer(text="Café")),  # NFC: counted and kept composed
        (TEXT, [], "", Answer()),
        (RSVP, ["0"], "", Answer(choices=(0,))),  # coming, no headcount asked: none kept
        (RSVP, ["0"], "7", Answer(choices=(0,))),
        (RSVP_COUNT, ["0"], "2", Answer(choices=(0,), number=2)),
        (RSVP_COUNT, ["1"], "", Answer(choices=(1,))),  # not coming: no headcount needed
        (RSVP_COUNT, ["1"], "2", Answer(choices=(1,))),  # … and none kept
        (OPTIONAL_ONE, [], "", Answer()),
    ],
)
def test_valid_answers(spec, chosen, typed, expected):
    assert rules.answer_clean(spec, chosen=chosen, typed=typed) == expected


@pytest.mark.parametrize(
    ("spec", "chosen", "typed", "message"),
    [
        (YES_NO, [], "", "Hãy trả lời câu hỏi này."),
        (YES_NO, ["0", "1"], "", "Chỉ chọn một lựa chọn."),
        (YES_NO, ["2"], "", "Lựa chọn không hợp lệ. Hãy chọn lại."),
        (ONE_OF, ["-1"], "", "Lựa chọn không hợp lệ. Hãy chọn lại."),
        (ONE_OF, ["M"], "", "Lựa chọn không hợp lệ. Hãy chọn lại."),  # the label, not the position
        (SEVERAL_OF, [], "", "Hãy trả lời câu hỏi này."),
        (SEVERAL_OF, ["0", "9"], "", "Lựa chọn không hợp lệ. Hãy chọn lại."),
        (NUMBER, [], "", "Hãy trả lời câu hỏi này."),
        (NUMBER, [], "2.5", "Hãy nhập một số nguyên, ví dụ 2."),
        (NUMBER, [], "hai", "Hãy nhập một số nguyên, ví dụ 2."),
        (NUMBER, [], "1e3", "Hãy nhập một số nguyên, ví dụ 2."),
        (NUMBER, [], "9" * 13, "Hãy nhập một số nguyên, ví dụ 2."),  # no overflow of the column
        (NUMBER, [], "-1", "Số nhỏ nhất được nhập là 0."),
        (NUMBER, [], "6", "Số lớn nhất được nhập là 5."),
        (TEXT, [], "01234567890", "Tối đa 10 ký tự (bạn đã nhập 11)."),
        (RSVP, [], "", "Hãy trả lời câu hỏi này."),
        (RSVP, ["0", "1"], "", "Chỉ chọn một lựa chọn."),
        (RSVP_COUNT, ["0"], "", "Hãy cho biết có bao nhiêu người sẽ đến (từ 1 đến 3)."),
        (RSVP_COUNT, ["0"], "0", "Hãy cho biết có bao nhiêu người sẽ đến (từ 1 đến 3)."),
        (RSVP_COUNT, ["0"], "4", "Hãy cho biết có bao nhiêu người sẽ đến (từ 1 đến 3)."),
        (RSVP_COUNT, ["0"], "hai", "Hãy cho biết có bao nhiêu người sẽ đến (từ 1 đến 3)."),
    ],
)
def test_refused_answers(spec, chosen, typed, message):
    with pytest.raises(PollError) as refused:
        rules.answer_clean(spec, chosen=chosen, typed=typed)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("spec", "kept"),
    [
        (Q(rules.YES_NO, " Đồng ý? ", options=("x",), max_value=3),
         Q(rules.YES_NO, "Đồng ý?", options=rules.YES_NO_OPTIONS)),
        (Q(rules.ONE_OF, "Cỡ", options=(" S ", "", "M"), min_value=1),
         Q(rules.ONE_OF, "Cỡ", options=("S", "M"))),
        (Q(rules.NUMBER, "Số", min_value=2, max_value=2, options=("a",)),
         Q(rules.NUMBER, "Số", min_value=2, max_value=2)),
        (Q(rules.SHORT_TEXT, "Ghi chú"), Q(rules.SHORT_TEXT, "Ghi chú", max_length=200)),
        (Q(rules.RSVP, "", max_value=2),
         Q(rules.RSVP, "Tham dự", options=rules.RSVP_OPTIONS, max_value=2)),
        (Q(rules.RSVP, "Dự họp", required=False),
         Q(rules.RSVP, "Dự họp", required=False, options=rules.RSVP_OPTIONS)),
    ],
)  # fmt: skip
def test_questions_kept(spec, kept):
    assert rules.question_check(spec) == kept


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (Q("poll", "Câu?"), "Loại câu hỏi không hợp lệ."),
        (Q(rules.YES_NO, "   "), "Hãy ghi nội dung câu hỏi."),
        (Q(rules.YES_NO, "x" * 201), "Câu hỏi dài tối đa 200 ký tự."),
        (Q(rules.ONE_OF, "Cỡ", options=("S",)), "Hãy ghi ít nhất hai lựa chọn, mỗi lựa chọn một dòng."),
        (Q(rules.SEVERAL_OF, "Cỡ", options=tuple(str(n) for n in range(21))), "Tối đa 20 lựa chọn."),
        (Q(rules.ONE_OF, "Cỡ", options=("S", "x" * 101)), "Mỗi lựa chọn dài tối đa 100 ký tự."),
        (Q(rules.ONE_OF, "Cỡ", options=("Áo", "áo")), "Lựa chọn “áo” bị trùng."),
        (Q(rules.NUMBER, "Số", min_value=5, max_value=1), "Số nhỏ nhất phải không lớn hơn số lớn nhất."),
        (Q(rules.NUMBER, "Số", max_value=10**10), "Giới hạn phải nằm trong khoảng ±1.000.000.000."),
        (Q(rules.SHORT_TEXT, "Ghi chú", max_length=0), "Độ dài tối đa phải từ 1 đến 500 ký tự."),
        (Q(rules.SHORT_TEXT, "Ghi chú", max_length=501), "Độ dài tối đa phải từ 1 đến 500 ký tự."),
        (Q(rules.RSVP, "Tham dự", max_value=0), "Số người tối đa phải từ 1 đến 20."),
        (Q(rules.RSVP, "Tham dự", max_value=21), "Số người tối đa phải từ 1 đến 20."),
    ],
)  # fmt: skip
def test_questions_refused(spec, message):
    with pytest.raises(PollError) as refused:
        rules.question_check(spec)
    assert str(refused.value) == message


def test_a_notice_holds_at_most_twenty_questions_and_one_rsvp():
    rules.questions_check([YES_NO] * 20)
    with pytest.raises(PollError, match="tối đa 20 câu hỏi"):
        rules.questions_check([YES_NO] * 21)
    with pytest.raises(PollError, match="chỉ có một câu hỏi Tham dự"):
        rules.questions_check([RSVP, YES_NO, RSVP_COUNT])


NOW = datetime(2026, 5, 4, 8, 0)


@pytest.mark.parametrize(
    ("deadline", "has_questions", "message"),
    [
        (None, False, None),  # no questions: no deadline needed
        (NOW - timedelta(days=1), False, None),  # nor checked
        (NOW + timedelta(minutes=1), True, None),
        (None, True, "Thông báo có câu hỏi cần hạn trả lời."),
        (NOW, True, "Hạn trả lời phải sau lúc thông báo được gửi."),
        (NOW - timedelta(hours=1), True, "Hạn trả lời phải sau lúc thông báo được gửi."),
    ],
)
def test_deadline(deadline, has_questions, message):
    if message is None:
        rules.deadline_check(deadline, has_questions=has_questions, sent_at=NOW)
    else:
        with pytest.raises(PollError) as refused:
            rules.deadline_check(deadline, has_questions=has_questions, sent_at=NOW)
        assert str(refused.value) == message


@pytest.mark.parametrize(
    ("spec", "answers", "answered", "per_option", "total", "low", "high"),
    [
        (YES_NO, [A(choices=(0,)), A(choices=(0,)), A(choices=(1,)), A()], 3, (2, 1), 0, None, None),
        (SEVERAL_OF, [Answer(choices=(0, 2)), Answer(choices=(2,))], 2, (1, 0, 2), 0, None, None),
        (NUMBER, [Answer(number=2), Answer(number=5), Answer(number=0)], 3, (), 7, 0, 5),
        (RSVP, [Answer(choices=(0,)), Answer(choices=(0,)), Answer(choices=(1,))], 3, (2, 1), 2, None, None),
        (RSVP_COUNT, [Answer(choices=(0,), number=3), Answer(choices=(1,)), Answer(choices=(0,), number=1)],
         3, (2, 1), 4, None, None),
        (TEXT, [Answer(text="a"), Answer()], 1, (), 0, None, None),
        (ONE_OF, [], 0, (0, 0, 0), 0, None, None),
    ],
)  # fmt: skip
def test_tally(spec, answers, answered, per_option, total, low, high):
    result = rules.tally(spec, answers)
    assert (result.answered, result.per_option, result.total, result.low, result.high) == (
        answered, per_option, total, low, high,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "answer", "text"),
    [
        (YES_NO, Answer(choices=(1,)), "Không"),
        (SEVERAL_OF, Answer(choices=(0, 2)), "Vẽ; Cờ vua"),
        (NUMBER, Answer(number=0), "0"),
        (TEXT, Answer(text="=cmd"), "=cmd"),  # made formula-safe by the CSV writer, not here
        (RSVP_COUNT, Answer(choices=(0,), number=2), "Tôi sẽ đến (2)"),
        (RSVP_COUNT, Answer(choices=(1,)), "Tôi không đến được"),
        (NUMBER, Answer(), ""),
    ],
)
def test_answer_text(spec, answer, text):
    assert rules.answer_text(spec, answer) == text
