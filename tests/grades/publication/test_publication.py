"""Publication: a column reaches parents only when published, one message per guardian
(however many cells and children), the automatic policy, the publish button and the settings page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from grades.cells import GradeError
from grades.entry.services import scores_save
from grades.models import GradebookSettings, PrimaryQuality, PrimaryRating, PrimaryReview, Publication, Score
from grades.publication.selectors import column_label, column_states, gradebook_settings
from grades.publication.services import (
    auto_publish_run,
    checkpoint_publish,
    class_checkpoint_publish,
    column_publish,
    gradebook_settings_update,
)
from grades.tasks import auto_publish_school
from messaging.models import Message
from messaging.sms_text import sms_normalise, sms_segments
from schoolbook.audit.models import AuditEvent
from students.models import GradeLevel, SchoolClass, StaffMember, StudentGuardian, TeachingAssignment
from students.services import catalogue_seed
from tests.conftest import confirm_token
from tests.factories import assignment_make, guardian_account, guardian_link, staff_make, student_enrol
from tests.gradebook_world import GradebookWorld, gradebook_world


def build(world) -> GradebookWorld:
    """School A (call inside its schema): 6A1 (no homeroom teacher) with Vũ Giáo Viên teaching Toán and
    Giáo dục thể chất, three students each with a guardian of their own; 6A2 has one student."""
    names = [f"Nguyễn Văn {name}" for name in "ABC"]
    g = gradebook_world(world, students=names, outsider="Trần Thị Khác")
    g.guardians = [guardian_link(s, f"09110000{n:02d}") for n, s in enumerate(g.students)]
    return g


@pytest.fixture
def pub(world):
    with schema_context(world.school_a.schema_name):
        yield build(world)


def save(g, rows, column="TX1", assignment=None, now=None, term=None):
    """rows: {student: text}; versions are read from the database, as the grid would have them."""
    assignment, term = assignment or g.math, term or g.term
    versions = {
        s.student_id: s.version
        for s in Score.objects.filter(subject=assignment.subject, term=term, column=column)
    }
    cells = [
        {"student_id": s.pk, "column": column, "text": text, "version": versions.get(s.pk)}
        for s, text in rows.items()
    ]
    result = scores_save(actor_staff=g.teacher, assignment=assignment, term=term, cells=cells, now=now)
    assert not result.invalid and not result.conflicts


def publish(g, column="TX1", actor=None, assignment=None, term=None, now=None):
    return column_publish(
        actor_staff=actor or g.teacher,
        assignment=assignment or g.math,
        term=term or g.term,
        column=column,
        now=now,
    )


def bodies():
    return {m.phone: m.body for m in Message.objects.filter(purpose="grades")}


# --- manual publication of a column -------------------------------------------------------------------------


def test_publishing_copies_the_column_and_tells_each_guardian_once(pub):
    s0, s1, s2 = pub.students
    save(pub, {s0: "8,5", s1: "7", s2: ""})
    assert Score.objects.get(student=s0, column="TX1").published_value is None  # not yet visible

    publication = publish(pub)

    assert dict(Score.objects.filter(column="TX1").values_list("student_id", "published_value")) == {
        s0.pk: pub_value("8.5"),
        s1.pk: pub_value("7.0"),
    }
    assert publication.cell_count == 2 and publication.message_count == 2
    assert publication.published_by == pub.teacher
    assert bodies() == {
        pub.guardians[0].phone: "Điểm mới môn Toán (HK I, ĐĐGtx 1) của Nguyễn Văn A: 8,5",
        pub.guardians[1].phone: "Điểm mới môn Toán (HK I, ĐĐGtx 1) của Nguyễn Văn B: 7,0",
    }
    event = AuditEvent.objects.get(action="grades.publish")
    assert event.after["column"] == "TX1" and event.after["cells"] == 2


def pub_value(text):
    from decimal import Decimal

    return Decimal(text)


def test_nothing_new_writes_nothing_and_sends_nothing(pub):
    save(pub, {pub.students[0]: "9"})
    assert publish(pub) is not None
    assert publish(pub) is None
    assert Publication.objects.count() == 1
    assert Message.objects.filter(purpose="grades").count() == 1
    assert publish(pub, column="TX2") is None  # a column with nothing entered


def test_a_change_after_publication_stays_hidden_until_published_again(pub):
    s0, s1, _ = pub.students
    save(pub, {s0: "6", s1: "7"})
    publish(pub)
    Message.objects.all().delete()
    save(pub, {s0: "6,5"})
    cell = Score.objects.get(student=s0, column="TX1")
    assert cell.value == pub_value("6.5") and cell.published_value == pub_value("6.0")

    publication = publish(pub)

    assert publication.cell_count == 1
    assert Score.objects.get(student=s0, column="TX1").published_value == pub_value("6.5")
    assert bodies() == {
        pub.guardians[0].phone: "Điểm mới môn Toán (HK I, ĐĐGtx 1) của Nguyễn Văn A: 6,5 (trước: 6,0)"
    }


def test_a_cleared_cell_clears_what_parents_see_without_a_message(pub):
    s0 = pub.students[0]
    save(pub, {s0: "5"})
    publish(pub)
    Message.objects.all().delete()
    save(pub, {s0: ""})
    publication = publish(pub)
    assert publication.cell_count == 1 and publication.message_count == 0
    assert Score.objects.get(student=s0, column="TX1").published_value is None
    assert not Message.objects.exists()


def test_a_guardian_of_two_children_gets_one_message_with_a_line_each(pub):
    s0, s1, _ = pub.students
    guardian_link(s1, "0911000000")  # the guardian of s0 is also a guardian of s1
    save(pub, {s0: "8", s1: "9"})
    publish(pub)
    assert Message.objects.filter(phone=pub.guardians[0].phone).count() == 1
    assert bodies()[pub.guardians[0].phone] == (
        "Điểm mới môn Toán (HK I, ĐĐGtx 1) của Nguyễn Văn A: 8,0\n"
        "Điểm mới môn Toán (HK I, ĐĐGtx 1) của Nguyễn Văn B: 9,0"
    )


def test_a_guardian_with_notifications_off_gets_no_message(pub):
    s0, s1, _ = pub.students
    StudentGuardian.objects.filter(student=s0).update(receives_notifications=False)
    save(pub, {s0: "8", s1: "9"})
    publication = publish(pub)
    assert publication.cell_count == 2 and publication.message_count == 1
    assert set(bodies()) == {pub.guardians[1].phone}


def test_a_column_of_45_is_one_message_per_guardian_in_constant_queries(pub):
    """The UPDATE, the guardians, the records and the messages (one INSERT of Messages, one of Deliveries)
    are each one query: nothing grows with the class."""

    def publish_class(size, column):
        school_class = SchoolClass.objects.create(name=f"6B{size}", grade=pub.a1.grade, year=pub.year)
        assignment = TeachingAssignment.objects.create(
            teacher=pub.teacher, school_class=school_class, subject=pub.math.subject
        )
        children = [student_enrol(f"Q{size}-{n}", school_class, f"Học Sinh {n}") for n in range(size)]
        for n, child in enumerate(children):
            guardian_link(child, f"09{size:02d}{n:06d}")
        g = GradebookWorld()
        g.teacher = StaffMember.objects.get(pk=pub.teacher.pk)  # as fresh as a request's
        g.term, g.math = pub.term, assignment
        save(g, {child: str(n % 10) for n, child in enumerate(children)}, column=column)
        Message.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            publication = publish(g, column=column)
        sent = Message.objects.filter(purpose="grades").count()
        assert publication.cell_count == size and publication.message_count == size == sent
        return len(queries)

    small, large = publish_class(5, "TX2"), publish_class(45, "TX3")
    assert small == large, (small, large)


def test_who_may_publish(pub):
    save(pub, {pub.students[0]: "8"})
    with pytest.raises(GradeError):
        publish(pub, actor=pub.admin)  # a school admin does not publish grades
    other = staff_make(pub.world, "0900000097", "Ngô Khác")
    with pytest.raises(GradeError):
        publish(pub, actor=other)
    pub.a1.homeroom_teacher = other
    pub.a1.save()
    assert publish(pub, actor=other).published_by == other  # the homeroom teacher may
    save(pub, {pub.students[1]: "6"})
    assert publish(pub, actor=pub.principal).published_by == pub.principal
    with pytest.raises(GradeError):
        publish(pub, column="TX9")  # not in the plan


def test_column_states_in_one_query(pub):
    s0, s1, _ = pub.students
    save(pub, {s0: "8", s1: "7"})
    save(pub, {s0: "9"}, column="GK")
    publish(pub, column="GK")
    save(pub, {s1: "6"}, column="GK")
    settings = gradebook_settings()
    with CaptureQueriesContext(connection) as queries:
        states = column_states(pub.math, pub.term, ["TX1", "GK", "CK"], settings)
    assert len(queries) == 1
    assert (states["TX1"].pending, states["TX1"].published_at) == (2, None)
    assert states["GK"].pending == 1 and states["GK"].published_at is not None
    assert str(states["GK"].status) == "Có thay đổi chưa công bố (1)"
    assert str(states["CK"].status) == "Chưa công bố"
    publish(pub, column="GK")
    assert column_states(pub.math, pub.term, ["GK"])["GK"].status.startswith("Đã công bố ")


# --- the automatic policy ---------------------------------------------------------------------------------


def test_auto_policy_publishes_settled_cells_once_with_one_message_per_guardian(pub):
    s0, s1, _ = pub.students
    now = timezone.now()
    save(pub, {s0: "8", s1: "7"}, now=now - timedelta(hours=2))
    save(pub, {s0: "Đ"}, assignment=pub.pe, now=now - timedelta(hours=2))
    save(pub, {s0: "9"}, column="TX2", now=now - timedelta(minutes=10))  # still being typed
    assert auto_publish_run(now=now) == 0  # manual policy: nothing happens
    gradebook_settings_update(actor=pub.world.admin_a, publish_policy="auto", auto_publish_after_minutes=60)

    assert auto_publish_run(now=now) == 3

    published = set(
        Score.objects.filter(published_at__isnull=False).values_list("student_id", "subject_id", "column")
    )
    assert published == {
        (s0.pk, pub.math.subject_id, "TX1"),
        (s1.pk, pub.math.subject_id, "TX1"),
        (s0.pk, pub.pe.subject_id, "TX1"),
    }
    assert bodies() == {
        pub.guardians[0].phone: "Điểm mới môn Toán (HK I, ĐĐGtx 1) của Nguyễn Văn A: 8,0\n"
        "Điểm mới môn Giáo dục thể chất (HK I, ĐĐGtx 1) của Nguyễn Văn A: Đ",
        pub.guardians[1].phone: "Điểm mới môn Toán (HK I, ĐĐGtx 1) của Nguyễn Văn B: 7,0",
    }
    assert set(
        Publication.objects.values_list("school_class_id", "subject_id", "column", "published_by")
    ) == {
        (pub.a1.pk, pub.math.subject_id, "TX1", None),
        (pub.a1.pk, pub.pe.subject_id, "TX1", None),
    }
    # idempotent: a second run publishes and sends nothing
    assert auto_publish_run(now=now) == 0
    assert Message.objects.filter(purpose="grades").count() == 2
    # the task, in the school's schema, publishes TX2 once it has settled
    Message.objects.all().delete()
    GradebookSettings.objects.update(auto_publish_after_minutes=5)
    assert auto_publish_school() == 1
    assert bodies() == {pub.guardians[0].phone: "Điểm mới môn Toán (HK I, ĐĐGtx 2) của Nguyễn Văn A: 9,0"}


def test_under_the_auto_policy_the_controls_show_the_delay_and_no_button(pub, client):
    save(pub, {pub.students[0]: "8"})
    gradebook_settings_update(actor=pub.world.admin_a, publish_policy="auto", auto_publish_after_minutes=30)
    html = render_controls(pub, column_states(pub.math, pub.term, ["TX1"])["TX1"])
    assert "Tự động công bố sau 30 phút" in html and "<button" not in html


def test_settings_are_validated_and_audited(pub):
    with pytest.raises(GradeError):
        gradebook_settings_update(
            actor=pub.world.admin_a, publish_policy="auto", auto_publish_after_minutes=2
        )
    with pytest.raises(GradeError):
        gradebook_settings_update(
            actor=pub.world.admin_a, publish_policy="sometimes", auto_publish_after_minutes=60
        )
    gradebook_settings_update(actor=pub.world.admin_a, publish_policy="auto", auto_publish_after_minutes=15)
    gradebook_settings_update(actor=pub.world.admin_a, publish_policy="auto", auto_publish_after_minutes=15)
    event = AuditEvent.objects.get(action="gradebook_settings.update")
    assert event.before == {"publish_policy": "manual", "minutes": 60}
    assert event.after == {"publish_policy": "auto", "minutes": 15}
    assert GradebookSettings.objects.count() == 1


# --- primary ------------------------------------------------------------------------------------------------


@pytest.fixture
def primary(pub):
    catalogue_seed(levels=["primary"], today=timezone.localdate())
    grade = GradeLevel.objects.get(number=4)
    pub.p4 = SchoolClass.objects.create(name="4A", grade=grade, year=pub.year, homeroom_teacher=pub.teacher)
    pub.p_math = assignment_make(pub.teacher, pub.p4, "toan", level="primary")
    pub.kids = [student_enrol(f"P{n}", pub.p4, f"Lê Thị {name}") for n, name in enumerate("MN")]
    pub.kid_guardians = [guardian_link(kid, f"09120000{n:02d}") for n, kid in enumerate(pub.kids)]
    return pub


def test_checkpoint_publish_tells_each_guardian_the_rating(primary):
    m, n = primary.kids
    now = timezone.now()
    for kid, rating, score in ((m, "T", 9), (n, "H", None)):
        PrimaryRating.objects.create(
            student=kid, subject=primary.p_math.subject, year=primary.year, checkpoint="end_of_semester_1",
            rating=rating, test_score=score, comment="Em làm bài cẩn thận.", updated_at=now,
        )  # fmt: skip
    publication = checkpoint_publish(
        actor_staff=primary.teacher, assignment=primary.p_math, checkpoint="end_of_semester_1"
    )
    assert publication.cell_count == 2 and publication.column == "end_of_semester_1"
    assert bodies() == {
        primary.kid_guardians[0].phone: "Đánh giá Cuối học kì I môn Toán của Lê Thị M: Hoàn thành tốt, "
        "điểm kiểm tra 9",
        primary.kid_guardians[1].phone: "Đánh giá Cuối học kì I môn Toán của Lê Thị N: Hoàn thành",
    }
    assert PrimaryRating.objects.get(student=m).published_comment == "Em làm bài cẩn thận."
    assert (
        checkpoint_publish(
            actor_staff=primary.teacher, assignment=primary.p_math, checkpoint="end_of_semester_1"
        )
        is None
    )


def test_homeroom_teacher_publishes_qualities_and_comments(primary):
    m, _ = primary.kids
    now = timezone.now()
    PrimaryQuality.objects.create(
        student=m, year=primary.year, checkpoint="mid_semester_1", item="chăm chỉ", rating="T", updated_at=now
    )
    PrimaryReview.objects.create(
        student=m, year=primary.year, checkpoint="mid_semester_1", comment="Em ngoan.", updated_at=now
    )
    with pytest.raises(GradeError):
        class_checkpoint_publish(
            actor_staff=primary.principal, school_class=primary.p4, checkpoint="mid_semester_1"
        )
    count = class_checkpoint_publish(
        actor_staff=primary.teacher, school_class=primary.p4, checkpoint="mid_semester_1"
    )
    assert count == 2
    assert PrimaryQuality.objects.get(student=m).published_rating == "T"
    assert bodies() == {
        primary.kid_guardians[0].phone: "Đã có nhận xét Giữa học kì I về phẩm chất, năng lực của Lê Thị M."
    }


# --- pages --------------------------------------------------------------------------------------------------


def _publish_url(g):
    return f"/s/test-a/grades/assignments/{g.math.pk}/publish/"


def test_publish_button_asks_first_then_publishes_and_redirects_or_answers_htmx(pub, client, settings):
    settings.SMS_PRICE_PER_SEGMENT_VND = 800
    save(pub, {pub.students[0]: "8", pub.students[1]: "7"})
    client.force_login(pub.world.teacher_a)
    data = {"term": pub.term.pk, "column": "TX1", "next": "/s/test-a/grades/"}
    preview = client.post(_publish_url(pub), data)  # no confirmation: the preview, nothing published
    page = preview.content.decode()
    assert preview.status_code == 200 and "Công bố cột ĐĐGtx 1?" in page
    assert "2 phụ huynh sẽ nhận một tin nhắn." in page and "2 điểm mới hoặc đã sửa" in page
    assert "Điểm mới môn Toán (HK I, ĐĐGtx 1) của Nguyễn Văn" in page  # a sample of the text
    assert "1.600 đ" in page  # two guardians by SMS, one segment each
    assert Score.objects.get(student=pub.students[0], column="TX1").published_value is None
    assert not Message.objects.exists() and not Publication.objects.exists()

    response = client.post(_publish_url(pub), {**data, "confirm": confirm_token(preview)})
    assert response.status_code == 302 and response["Location"] == "/s/test-a/grades/"
    assert Score.objects.get(student=pub.students[0], column="TX1").published_value == pub_value("8")
    assert Message.objects.filter(purpose="grades").count() == 2  # as many as the preview said

    again = client.post(_publish_url(pub), data, headers={"HX-Request": "true"})
    page = again.content.decode()
    assert again.status_code == 200 and 'id="publish-TX1"' in page
    assert "không có điểm mới" in page and "Đã công bố" in page
    offsite = client.post(_publish_url(pub), {**data, "next": "https://evil.example/"})
    assert offsite["Location"] == "/s/test-a/"


def test_a_stale_or_forged_confirmation_shows_the_preview_again(pub, client):
    save(pub, {pub.students[0]: "8"})
    client.force_login(pub.world.teacher_a)
    data = {"term": pub.term.pk, "column": "TX1", "next": "/s/test-a/grades/"}
    htmx = {"HX-Request": "true"}
    preview = client.post(_publish_url(pub), data, headers=htmx)  # the grid's dialog
    assert '<dialog open class="publish-dialog"' in preview.content.decode()
    token = confirm_token(preview)
    save(pub, {pub.students[1]: "6"})  # typed meanwhile: the preview no longer says what would happen
    for forged in (token, "1", "0" * 24):
        again = client.post(_publish_url(pub), {**data, "confirm": forged}, headers=htmx)
        page = again.content.decode()
        assert "Số liệu đã thay đổi" in page and "2 phụ huynh sẽ nhận" in page
    assert not Message.objects.exists()
    assert not Score.objects.filter(published_value__isnull=False).exists()
    client.post(_publish_url(pub), {**data, "confirm": confirm_token(again)}, headers=htmx)
    assert Message.objects.filter(purpose="grades").count() == 2


def test_publish_is_404_for_others(pub, client):
    save(pub, {pub.students[0]: "8"})
    data = {"term": pub.term.pk, "column": "TX1"}
    staff_make(pub.world, "0900000096", "Lý Khác")
    parent = guardian_account(pub.world, pub.guardians[0], full_name="Phụ huynh")
    for user in (User.objects.get(phone="+84900000096"), parent, pub.world.staff_b, pub.world.admin_a):
        client.force_login(user)
        assert client.post(_publish_url(pub), data).status_code == 404, user
    client.force_login(pub.world.teacher_a)
    assert client.get(_publish_url(pub)).status_code == 405
    assert client.post(_publish_url(pub), {"term": 0, "column": "TX1"}).status_code == 404
    assert Score.objects.get(column="TX1").published_value is None


def test_settings_page_for_admin_and_principal_only(pub, client):
    url = "/s/test-a/grades/settings/"
    for user in (pub.world.teacher_a, pub.world.staff_b):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(pub.world.principal_a)
    assert client.get(url).status_code == 200
    refused = client.post(url, {"publish_policy": "auto", "auto_publish_after_minutes": "3"})
    assert refused.status_code == 400 and gradebook_settings().publish_policy == "manual"
    client.force_login(pub.world.admin_a)
    saved = client.post(url, {"publish_policy": "auto", "auto_publish_after_minutes": "20"})
    assert saved.status_code == 302
    settings = gradebook_settings()
    assert (settings.publish_policy, settings.auto_publish_after_minutes) == ("auto", 20)
    assert AuditEvent.objects.filter(action="gradebook_settings.update").count() == 1


def render_controls(g, state, can_publish=True):
    """The partial as the grid renders it, with school A's URLs."""
    from django.template.loader import render_to_string
    from django.urls import get_urlconf, set_urlconf

    from tenants.routing import school_urlconf

    previous = get_urlconf()
    set_urlconf(school_urlconf("test-a"))
    try:
        context = {
            "assignment": g.math,
            "term": g.term,
            "column": "TX1",
            "state": state,
            "can_publish": can_publish,
        }
        return render_to_string("grades/_publish_controls.html", context)
    finally:
        set_urlconf(previous)


def test_controls_offer_the_button_while_changes_wait(pub):
    save(pub, {pub.students[0]: "8", pub.students[1]: "7"})
    html = render_controls(pub, column_states(pub.math, pub.term, ["TX1"])["TX1"])
    assert "Có thay đổi chưa công bố (2)" in html
    assert f'hx-post="/s/test-a/grades/assignments/{pub.math.pk}/publish/"' in html
    # someone who may only read sees the state, not the button
    html = render_controls(pub, column_states(pub.math, pub.term, ["TX1"])["TX1"], can_publish=False)
    assert "Có thay đổi chưa công bố (2)" in html and "hx-post" not in html


def test_the_beat_task_sends_one_task_per_active_school_in_its_schema(world):
    """auto_publish runs in public and hands each active school a task carrying the school's schema."""
    import json

    import redis
    from django.conf import settings

    from grades.tasks import auto_publish

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("default")
    sent = auto_publish()
    payloads = [json.loads(raw) for raw in broker.lrange("default", 0, -1)]
    broker.delete("default")
    schemas = sorted(
        p["headers"]["_schema_name"] for p in payloads if p["headers"]["task"].endswith("school")
    )
    assert sent == len(schemas) >= 2
    assert {world.school_a.schema_name, world.school_b.schema_name} <= set(schemas)


def test_auto_policy_puts_primary_and_secondary_news_in_one_message(primary):
    """A parent with a child in 6A1 and one in 4A: one message per run with both children's news."""
    m, _ = primary.kids
    s0 = primary.students[0]
    guardian_link(m, "0911000000")  # the guardian of s0 (6A1) is also M's (4A)
    earlier = timezone.now() - timedelta(hours=1)
    save(primary, {s0: "8"}, now=earlier)
    PrimaryRating.objects.create(
        student=m, subject=primary.p_math.subject, year=primary.year, checkpoint="mid_semester_1",
        rating="T", updated_at=earlier,
    )  # fmt: skip
    PrimaryReview.objects.create(
        student=m, year=primary.year, checkpoint="mid_semester_1", comment="Em ngoan.", updated_at=earlier
    )
    gradebook_settings_update(
        actor=primary.world.admin_a, publish_policy="auto", auto_publish_after_minutes=30
    )
    assert auto_publish_run() == 3
    assert Message.objects.filter(phone=primary.guardians[0].phone).count() == 1
    assert bodies()[primary.guardians[0].phone] == (  # the children in class-list order: A before M
        "Điểm mới môn Toán (HK I, ĐĐGtx 1) của Nguyễn Văn A: 8,0\n"
        "Đánh giá Giữa học kì I môn Toán của Lê Thị M: Hoàn thành tốt\n"
        "Đã có nhận xét Giữa học kì I về phẩm chất, năng lực của Lê Thị M."
    )
    assert set(Publication.objects.values_list("school_class_id", "column")) == {
        (primary.a1.pk, "TX1"),
        (primary.p4.pk, "mid_semester_1"),
    }
    assert auto_publish_run() == 0


def test_primary_publish_buttons(primary, client):
    m, _ = primary.kids
    now = timezone.now()
    PrimaryRating.objects.create(
        student=m, subject=primary.p_math.subject, year=primary.year, checkpoint="mid_semester_1",
        rating="H", updated_at=now,
    )  # fmt: skip
    PrimaryQuality.objects.create(
        student=m, year=primary.year, checkpoint="mid_semester_1", item="nhân ái", rating="Đ", updated_at=now
    )
    subject_url = f"/s/test-a/grades/primary/assignments/{primary.p_math.pk}/mid_semester_1/publish/"
    class_url = f"/s/test-a/grades/primary/classes/{primary.p4.pk}/mid_semester_1/publish/"
    client.force_login(primary.world.staff_b)
    assert client.post(subject_url).status_code == 404 and client.post(class_url).status_code == 404
    client.force_login(primary.world.principal_a)
    assert client.post(class_url).status_code == 404  # only the homeroom teacher publishes the class's
    client.force_login(primary.world.teacher_a)
    assert client.post(subject_url.replace("mid_semester_1", "someday")).status_code == 404
    for url, what in ((subject_url, "1 đánh giá mới"), (class_url, "1 nhận xét mới")):
        preview = client.post(url, {"next": "/s/test-a/grades/"})
        assert preview.status_code == 200 and what in preview.content.decode()
        assert "1 phụ huynh sẽ nhận một tin nhắn." in preview.content.decode()
    assert not Message.objects.exists() and not PrimaryRating.objects.get(student=m).published_rating
    confirmed = {"next": "/s/test-a/grades/", "confirm": confirm_token(client.post(subject_url))}
    assert client.post(subject_url, confirmed)["Location"] == "/s/test-a/grades/"
    assert client.post(class_url, {"confirm": confirm_token(client.post(class_url))}).status_code == 302
    assert PrimaryRating.objects.get(student=m).published_rating == "H"
    assert PrimaryQuality.objects.get(student=m).published_rating == "Đ"
    assert Message.objects.filter(purpose="grades").count() == 2


def test_grade_messages_name_the_subject_the_term_and_the_official_column(pub):
    """One column: the column in the parentheses; several of one subject (the automatic policy): listed."""
    s0 = pub.students[0]
    save(pub, {s0: "8,5"}, column="TX2")
    save(pub, {s0: "7"}, column="GK")
    save(pub, {s0: "6"}, column="CK")
    publish(pub, column="CK")
    assert bodies() == {pub.guardians[0].phone: "Điểm mới môn Toán (HK I, ĐĐGck) của Nguyễn Văn A: 6,0"}
    Message.objects.all().delete()
    gradebook_settings_update(actor=pub.world.admin_a, publish_policy="auto", auto_publish_after_minutes=5)
    assert auto_publish_run(now=timezone.now() + timedelta(minutes=10)) == 2
    text = bodies()[pub.guardians[0].phone]
    assert text == "Điểm mới môn Toán (HK I) của Nguyễn Văn A: ĐĐGtx 2: 8,5; ĐĐGgk: 7,0"
    assert [column_label(c) for c in ("TX1", "TX4", "GK", "CK")] == ["ĐĐGtx 1", "ĐĐGtx 4", "ĐĐGgk", "ĐĐGck"]


def test_a_one_column_grade_message_fits_one_sms_with_accents():
    text = "Điểm mới môn Toán (HK II, ĐĐGtx 2) của Nguyễn Thị Minh Anh: 8,5"
    assert sms_segments(sms_normalise(text, strip_accents=False)).segments == 1
