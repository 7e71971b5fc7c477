"""Questions on notices: composing them, the sheets written at publication (one per child), answering (all
or nothing, until the deadline), the results, the reminder (once per guardian, once per confirmation), the
CSV, and who may do each (404 for everyone else)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.models import Message
from notices.models import AnswerSheet, Audience, Notice, QuestionAnswer, Status
from notices.polls import rules
from notices.polls.rules import QuestionSpec
from notices.polls.selectors import poll_results
from notices.polls.services import (
    AnswersInvalid,
    PollRefused,
    answers_remind,
    answers_submit,
    guardians_to_remind,
)
from notices.services import NoticeError, notice_save
from schoolbook.audit.models import AuditEvent
from tests.conftest import confirm_token, signed_in
from tests.factories import guardian_account
from tests.notices.test_notices import SITE, build, data

COMING, CANNOT = "0", "1"
RSVP = QuestionSpec(rules.RSVP, "Tham dự", options=rules.RSVP_OPTIONS, max_value=3)
SIZE = QuestionSpec(rules.ONE_OF, "Cỡ áo", options=("S", "M", "L"))
NOTE = QuestionSpec(rules.SHORT_TEXT, "Ghi chú", required=False, max_length=50)


@pytest.fixture
def pw(world, settings, tmp_path):
    """tests/notices/test_notices.build's school A: the mother of An (6A1) and Chi (6A2), Bình's father
    (6A1, notifications off), Dũng's guardian (7A1); the mother and Dũng's guardian can sign in."""
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path
    settings.GATEWAYS = {}
    with schema_context(world.school_a.schema_name):
        n = build(world)
        n.mother_user = guardian_account(world, n.mother)
        n.dung_user = guardian_account(world, n.dung_parent)
        yield n


def poll(pw, *, questions=(RSVP, SIZE, NOTE), hours=48, staff=None, **choices) -> Notice:
    """A notice to 6A1 and 6A2 (unless told) with questions, sent by the homeroom teacher of 6A1 (no
    approval needed when it stays in 6A1; a manager's otherwise)."""
    choices = choices or {"classes": [pw.a1, pw.a2]}
    staff = staff or (pw.teacher if choices.get("classes") == [pw.a1] else pw.principal)
    notice_data = data(**choices)
    notice_data.questions = [rules.question_check(q) for q in questions]
    notice_data.answers_close_at = timezone.now() + timedelta(hours=hours)
    return notice_save(actor_staff=staff, data=notice_data, submit=True)


def sheet_of(notice, student) -> AnswerSheet:
    return AnswerSheet.objects.get(notice=notice, student=student)


def raw(notice, rsvp=(COMING,), people="2", size=("1",), note=""):
    q = {q.kind: q.pk for q in notice.questions.all()}
    return {q["rsvp"]: (list(rsvp), people), q["one_of"]: (list(size), ""), q["short_text"]: ([], note)}


def closed(notice):
    Notice.objects.filter(pk=notice.pk).update(answers_close_at=timezone.now() - timedelta(minutes=1))
    notice.refresh_from_db()


# --- composing and publishing ---------------------------------------------------------------------------


def test_publishing_writes_one_sheet_per_child_a_reached_guardian_can_answer_for(pw):
    notice = poll(pw)
    assert notice.status == Status.PUBLISHED
    assert [q.kind for q in notice.questions.all()] == ["rsvp", "one_of", "short_text"]
    sheets = {s.student_id: s.school_class_id for s in AnswerSheet.objects.filter(notice=notice)}
    # An and Chi (their mother); not Bình: his father turned notifications off, the notice did not reach him.
    assert sheets == {pw.an.pk: pw.a1.pk, pw.chi.pk: pw.a2.pk}
    plain = notice_save(actor_staff=pw.teacher, data=data(classes=[pw.a1]), submit=True)
    assert plain.status == Status.PUBLISHED and not AnswerSheet.objects.filter(notice=plain).exists()


def test_questions_are_replaced_while_a_draft_and_frozen_once_sent(pw):
    draft_data = data(classes=[pw.a1])
    draft_data.questions = [rules.question_check(SIZE)]
    draft = notice_save(actor_staff=pw.teacher, data=draft_data)
    draft_data.questions = [rules.question_check(NOTE), rules.question_check(SIZE)]
    notice_save(actor_staff=pw.teacher, notice=draft, data=draft_data)
    assert list(draft.questions.values_list("label", "position")) == [("Ghi chú", 1), ("Cỡ áo", 2)]
    draft_data.answers_close_at = timezone.now() + timedelta(days=1)
    notice_save(actor_staff=pw.teacher, notice=draft, data=draft_data, submit=True)
    draft_data.questions = []
    with pytest.raises(NoticeError):
        notice_save(actor_staff=pw.teacher, notice=draft, data=draft_data)
    assert draft.questions.count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"answers_close_at": None}, "Thông báo có câu hỏi cần hạn trả lời."),
        ({"scheduled_at": 3}, "Hạn trả lời phải sau lúc thông báo được gửi."),  # deadline 2 h, sent in 3 h
        ({"audience": Audience.STAFF}, "Câu hỏi chỉ dành cho thông báo gửi phụ huynh."),
        ({"questions": [RSVP, RSVP]}, "Mỗi thông báo chỉ có một câu hỏi Tham dự."),
    ],
)
def test_a_notice_with_questions_is_refused_with_a_reason(pw, change, message):
    notice_data = data(classes=[pw.a1])
    notice_data.questions = [rules.question_check(q) for q in change.pop("questions", [RSVP])]
    notice_data.answers_close_at = timezone.now() + timedelta(hours=2)
    if "scheduled_at" in change:
        change["scheduled_at"] = timezone.now() + timedelta(hours=change["scheduled_at"])
    for name, value in change.items():
        setattr(notice_data, name, value)
    with pytest.raises(NoticeError, match=message):
        notice_save(actor_staff=pw.teacher, data=notice_data, submit=True)
    assert not Notice.objects.exists()


# --- answering ------------------------------------------------------------------------------------------


def test_a_guardian_answers_once_per_child_and_changes_an_answer(pw):
    notice = poll(pw)
    an, chi = sheet_of(notice, pw.an), sheet_of(notice, pw.chi)
    answers_submit(actor_guardian=pw.mother, sheet=an, raw=raw(notice, people="2", note="Dị ứng tôm"))
    answers_submit(
        actor_guardian=pw.mother, sheet=chi, raw=raw(notice, rsvp=(CANNOT,), people="", size=("2",))
    )
    answers_submit(actor_guardian=pw.mother, sheet=an, raw=raw(notice, people="3", size=("0",)))  # changed
    an.refresh_from_db()
    assert an.answered_by == pw.mother and an.answered_at is not None
    kept = {
        a.question.kind: a.value for a in QuestionAnswer.objects.filter(sheet=an).select_related("question")
    }
    assert kept == {"rsvp": rules.Answer(choices=(0,), number=3), "one_of": rules.Answer(choices=(0,))}
    results = poll_results(notice)
    assert (results.sheets, results.answered) == (2, 2)
    rsvp, size, note = results.questions
    assert rsvp.tally.per_option == (1, 1) and rsvp.tally.total == 3
    assert [count for _, count, _ in size.options] == [1, 0, 1]
    assert note.tally.answered == 0  # the changed answer left the note out
    actions = list(
        AuditEvent.objects.filter(object_type="notices.answersheet").values_list("action", flat=True)
    )
    assert sorted(actions) == ["notice.answer", "notice.answer", "notice.answer_change"]


def test_a_wrong_submission_saves_nothing_and_names_each_wrong_question(pw):
    notice = poll(pw)
    sheet = sheet_of(notice, pw.an)
    answers_submit(actor_guardian=pw.mother, sheet=sheet, raw=raw(notice))
    before = list(
        QuestionAnswer.objects.filter(sheet=sheet).values_list("question_id", "choices", "number", "text")
    )
    with pytest.raises(AnswersInvalid) as invalid:
        answers_submit(
            actor_guardian=pw.mother, sheet=sheet, raw=raw(notice, people="9", size=(), note="x" * 51)
        )
    assert sorted(invalid.value.errors.values()) == [
        "Hãy cho biết có bao nhiêu người sẽ đến (từ 1 đến 3).",
        "Hãy trả lời câu hỏi này.",
        "Tối đa 50 ký tự (bạn đã nhập 51).",
    ]
    after = list(
        QuestionAnswer.objects.filter(sheet=sheet).values_list("question_id", "choices", "number", "text")
    )
    assert after == before


def test_answers_are_refused_after_the_deadline_and_to_others(pw):
    notice = poll(pw)
    an = sheet_of(notice, pw.an)
    with pytest.raises(PollRefused):  # Dũng's guardian: not a guardian of An (nor reached by the notice)
        answers_submit(actor_guardian=pw.dung_parent, sheet=an, raw=raw(notice))
    closed(notice)
    with pytest.raises(PollRefused, match="Đã hết hạn trả lời"):
        answers_submit(actor_guardian=pw.mother, sheet=an, raw=raw(notice))
    assert not QuestionAnswer.objects.exists()


# --- reminders ------------------------------------------------------------------------------------------


def test_a_reminder_goes_once_per_guardian_and_once_per_confirmation(pw):
    notice = poll(pw)
    assert list(guardians_to_remind(notice)) == [pw.mother]  # two children, one guardian
    sent = answers_remind(actor_staff=pw.principal, notice=notice, school_name="THCS A", link=SITE, rounds=0)
    again = answers_remind(actor_staff=pw.principal, notice=notice, school_name="THCS A", link=SITE, rounds=0)
    assert (sent, again) == (1, 0)
    reminders = Message.objects.filter(reference=f"notice-reminder:{notice.pk}")
    assert reminders.count() == 1 and "Nhắc phụ huynh trả lời" in reminders.get().body
    for student in (pw.an, pw.chi):
        answers_submit(actor_guardian=pw.mother, sheet=sheet_of(notice, student), raw=raw(notice))
    assert not guardians_to_remind(notice).exists()


# --- pages ----------------------------------------------------------------------------------------------


def url(notice, tail=""):
    return f"/s/test-a/notices/{notice.pk}/{tail}"


def form_answer(notice, rsvp=COMING, people="2", size="1", note=""):
    q = {q.kind: q.pk for q in notice.questions.all()}
    return {f"q{q['rsvp']}": rsvp, f"q{q['rsvp']}-text": people, f"q{q['one_of']}": size,
            f"q{q['short_text']}-text": note}  # fmt: skip


def test_a_parent_answers_for_each_child_from_the_notice_page(pw):
    notice = poll(pw)
    client = signed_in(pw.mother_user)
    page = client.get(url(notice)).content.decode()
    assert "Trả lời cho Nguyễn Văn An" in page and "Trả lời cho Nguyễn Thị Chi" in page
    an = sheet_of(notice, pw.an)
    response = client.post(url(notice, f"answers/{an.pk}/"), form_answer(notice, note="=1+2"))
    assert response.status_code == 302 and response["Location"].endswith(f"#sheet-{an.pk}")
    page = client.get(url(notice)).content.decode()
    assert "Đã lưu câu trả lời cho Nguyễn Văn An." in page and "Lưu thay đổi" in page
    # Wrong: the page again, the errors in Vietnamese, what was typed kept, nothing saved.
    response = client.post(url(notice, f"answers/{an.pk}/"), form_answer(notice, people="7", size=""))
    page = response.content.decode()
    assert response.status_code == 200 and "Chưa lưu" in page and "từ 1 đến 3" in page and 'value="7"' in page
    assert sheet_of(notice, pw.an).answers.get(question__kind="rsvp").number == 2
    # HTMX: only the child's part comes back.
    response = client.post(
        url(notice, f"answers/{an.pk}/"), form_answer(notice, people="1"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Đã lưu câu trả lời." in response.content.decode()
    assert "<html" not in response.content.decode()
    closed(notice)
    page = client.get(url(notice)).content.decode()
    assert "Đã hết hạn trả lời" in page and "Tôi sẽ đến (1)" in page and "Lưu thay đổi" not in page
    response = client.post(url(notice, f"answers/{an.pk}/"), form_answer(notice, people="3"), follow=True)
    assert "Đã hết hạn trả lời" in response.content.decode()
    assert sheet_of(notice, pw.an).answers.get(question__kind="rsvp").number == 1


def test_the_author_sees_counts_who_has_not_answered_reminds_and_exports(pw):
    notice = poll(pw, staff=pw.principal)
    answers_submit(
        actor_guardian=pw.mother, sheet=sheet_of(notice, pw.an), raw=raw(notice, note="=HYPERLINK(1)")
    )
    client = signed_in(pw.world.principal_a)
    page = client.get(url(notice, "results/")).content.decode()
    assert "Đã trả lời cho 1/2 học sinh" in page and "Dự kiến 2 người đến" in page
    assert "6A2" in page and "Nguyễn Thị Chi" in page  # not answered yet, by class
    assert 'hx-trigger="every 30s"' in page
    assert "Xem kết quả trả lời" in client.get(url(notice)).content.decode()
    # The reminder: a preview first (how many guardians, the cost), then once, however many times posted.
    preview = client.post(url(notice, "remind/"))
    text = preview.content.decode()
    assert "1 phụ huynh chưa trả lời" in text and "Ước tính trước khi gửi" in text
    assert not Message.objects.filter(purpose="notice_reminder").exists()
    token = confirm_token(preview)
    assert client.post(url(notice, "remind/"), {"confirm": token}).status_code == 302
    client.post(url(notice, "remind/"), {"confirm": token})
    assert Message.objects.filter(purpose="notice_reminder").count() == 1
    assert "Đã nhắc lúc" in client.get(url(notice, "results/")).content.decode()
    response = client.get(url(notice, "results.csv"))
    csv = b"".join(response.streaming_content).decode()
    header, *rows = csv.lstrip("\ufeff").splitlines()
    assert header == "Lớp,Học sinh,Mã học sinh,Người trả lời,Trả lời lúc,1. Tham dự,2. Cỡ áo,3. Ghi chú"
    assert rows[0].startswith("6A1,Nguyễn Văn An,NT-AN,Nguyễn Thị Mẹ,")
    assert rows[0].endswith(",Tôi sẽ đến (2),M,'=HYPERLINK(1)")
    assert rows[1] == "6A2,Nguyễn Thị Chi,NT-CHI,,,,,"
    assert AuditEvent.objects.filter(action="notice.answers_export").exists()
    counts = client.get(url(notice, "results/"), HTTP_HX_REQUEST="true").content.decode()
    assert counts.startswith('<div id="counts"') or 'id="counts"' in counts[:200]


def test_compose_page_adds_questions_and_offers_the_meeting_preset(pw):
    client = signed_in(pw.world.teacher_a)
    page = client.get("/s/test-a/notices/new/?preset=meeting").content.decode()
    assert "Mời họp phụ huynh" in page and 'value="Tham dự"' in page
    blank = client.get(
        "/s/test-a/notices/questions/blank/?questions-TOTAL_FORMS=2&preset=meeting"
    ).content.decode()
    assert 'name="questions-2-label"' in blank and 'value="3"' in blank and "hx-swap-oob" in blank
    deadline = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    post = {
        "title": "Họp phụ huynh", "body": "Mời họp.", "category": "parent_meeting", "audience": "classes",
        "classes": [pw.a1.pk], "answers_close_at": deadline,
        "questions-TOTAL_FORMS": "3", "questions-INITIAL_FORMS": "0",
        "questions-0-kind": "rsvp", "questions-0-label": "Tham dự", "questions-0-required": "on",
        "questions-0-max_value": "2", "questions-0-ORDER": "2",
        "questions-1-kind": "several_of", "questions-1-label": "Món ăn", "questions-1-options": "Cơm\nPhở\n",
        "questions-1-required": "on", "questions-1-ORDER": "1",
        "questions-2-kind": "yes_no", "questions-2-required": "on",  # the blank one: left out
        "draft": "",
    }  # fmt: skip
    response = client.post("/s/test-a/notices/new/", post)
    assert response.status_code == 302, response.content.decode()[:3000]
    notice = Notice.objects.get(title="Họp phụ huynh")
    assert list(notice.questions.values_list("kind", "label", "options")) == [
        ("several_of", "Món ăn", ["Cơm", "Phở"]),
        ("rsvp", "Tham dự", ["Tôi sẽ đến", "Tôi không đến được"]),
    ]
    bad = {**post, "questions-1-options": "Cơm", "answers_close_at": ""}
    page = client.post("/s/test-a/notices/new/", {**bad, "submit": ""}).content.decode()
    assert "Hãy ghi ít nhất hai lựa chọn" in page and "Thông báo có câu hỏi cần hạn trả lời." in page
    assert Notice.objects.count() == 1
    edit = client.get(url(notice, "edit/")).content.decode()
    assert "Phở" in edit and "Sau khi gửi, câu hỏi không sửa được nữa" in edit


# --- who may -------------------------------------------------------------------------------------------


def test_only_the_childs_reached_guardians_answer_and_only_senders_see_results(pw):
    notice = poll(pw, staff=pw.principal)
    an = sheet_of(notice, pw.an)
    answer = url(notice, f"answers/{an.pk}/")
    sender_pages = [url(notice, "results/"), url(notice, "results.csv"), url(notice, "remind/")]
    # Dũng's guardian (not reached), another school's parent and staff: the notice does not exist for them.
    for user in (pw.dung_user, pw.world.outsider_parent, pw.world.staff_b):
        client = signed_in(user)
        for path in (url(notice), answer, *sender_pages):
            assert client.get(path).status_code in (404, 405) and client.post(path).status_code == 404, path
    # The mother cannot answer with another notice's sheet, nor see the results.
    mother = signed_in(pw.mother_user)
    other = poll(pw, classes=[pw.b1], questions=(SIZE,), staff=pw.principal)
    dung = sheet_of(other, pw.dung)
    assert mother.post(url(notice, f"answers/{dung.pk}/"), form_answer(notice)).status_code == 404
    assert mother.post(url(other, f"answers/{dung.pk}/"), {}).status_code == 404
    for path in sender_pages:
        assert mother.get(path).status_code in (404, 405) and mother.post(path).status_code == 404
    # A teacher who did not write it: not a reader of its results (the delivery report's rule).
    teacher = signed_in(pw.world.teacher_a)
    for path in sender_pages:
        assert teacher.get(path).status_code in (404, 405) and teacher.post(path).status_code == 404
    assert (
        not QuestionAnswer.objects.exists() and not Message.objects.filter(purpose="notice_reminder").exists()
    )
    # Managers: the admin sees them too.
    assert signed_in(pw.world.admin_a).get(url(notice, "results/")).status_code == 200
