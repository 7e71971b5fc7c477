"""The parent app: the /home/ hub with what is new since the last
visit for each child in every school, in a constant number of queries per school; a parent's sign-in with a
one-time code alone (a long session, a password offered, never forced); the child's attendance page; the
homeroom teacher's publication of conduct and the parent's view of it. Everyone else gets 404."""

import datetime
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import HomeVisit, User
from accounts.services import home_visit_record
from attendance.models import AttendanceMark, LeaveRequest, Mark, RollCall, Session
from attendance.parent.views import month_of
from grades.models import Conduct, Score
from messaging.models import Message
from notices.models import Notice, NoticeRecipient, Status
from schoolbook.audit.models import AuditEvent
from students.models import Guardian, StaffMember, Subject, Term
from tests.conftest import OTP_RE
from tests.factories import guardian_of
from tests.students.roster.test_roster_pages import Roster, _enrol, _student, roster_build


@pytest.fixture
def roster(world) -> Roster:
    return roster_build(world)


# --- builders: what the school's pages would have made -------------------------------------------------


def score_published(student, subject_code, column, value, at=None):
    term = Term.objects.get(year__is_current=True, number=1)
    at = at or timezone.now()
    return Score.objects.create(
        student=student, subject=Subject.objects.get(code=subject_code, level="lower_secondary"),
        term=term, column=column,
        value=Decimal(value), updated_at=at, published_value=Decimal(value), published_at=at,
    )  # fmt: skip


def mark_made(student, school_class, day, mark, session=Session.MORNING, note=""):
    roll_call, _ = RollCall.objects.get_or_create(school_class=school_class, date=day, session=session)
    return AttendanceMark.objects.create(roll_call=roll_call, student=student, mark=mark, note=note)


def leave_decided(student, user, status=LeaveRequest.Status.APPROVED, at=None):
    today = timezone.localdate()
    return LeaveRequest.objects.create(
        student=student, requested_by=user, start_date=today, end_date=today, reason="Ốm",
        status=status, decided_at=at or timezone.now(),
    )  # fmt: skip


def notice_to(user, title):
    author = StaffMember.objects.order_by("pk").first()
    notice = Notice.objects.create(
        title=title, body="…", author=author, status=Status.PUBLISHED, published_at=timezone.now()
    )
    NoticeRecipient.objects.create(notice=notice, guardian=Guardian.objects.get(user=user), user=user)
    return notice


def card_of(page: str, name: str) -> str:
    """The HTML of the child card whose heading names `name`."""
    start = page.index(name)
    return page[page.rindex("<section", 0, start) : page.index("</section>", start)]


# --- the hub --------------------------------------------------------------------------------------------


def test_home_is_one_card_per_child_in_both_schools_with_the_news(client, world, roster):
    today = timezone.localdate()
    with schema_context(world.school_a.schema_name):
        now = timezone.now()
        score_published(roster.an, "toan", "TX1", "8.5", at=now - timedelta(minutes=2))
        score_published(roster.an, "toan", "GK", "7", at=now - timedelta(minutes=1))
        score_published(roster.an, "ngu-van", "TX1", "9", at=now - timedelta(minutes=3))
        mark_made(roster.an, roster.class_a1, today, Mark.ABSENT_UNEXCUSED)
        leave_decided(roster.an, roster.parent, LeaveRequest.Status.REJECTED)
        notice_to(roster.parent, "Họp phụ huynh đầu năm")
        score_published(roster.binh, "toan", "TX1", "2")  # another parent's child
    with schema_context(world.school_b.schema_name):
        mark_made(roster.cuong, roster.class_b, today, Mark.LATE)
    client.force_login(roster.parent)
    page = client.get("/home/").content.decode()
    an, cuong = card_of(page, "Nguyễn Văn An"), card_of(page, "Lê Văn Cường")
    assert "Trường THCS Thử Nghiệm A" in an and "Lớp 6A1" in an
    assert "3 điểm mới" in an  # one line per subject, the newest first
    assert an.index("Toán: GK 7,0 · TX1 8,5") < an.index("Ngữ văn: TX1 9,0")
    assert "1 buổi vắng, đi muộn" in an and "Vắng không phép" in an
    assert "1 đơn xin nghỉ đã có kết quả" in an and "Không duyệt" in an
    assert "1 thông báo chưa đọc" in an and "Họp phụ huynh đầu năm" in an
    assert "Trường THCS Thử Nghiệm B" in cuong and "Lớp 7B1" in cuong and "Đi muộn" in cuong
    assert "điểm mới" not in cuong and "thông báo chưa đọc" not in cuong
    assert "Trần Thị Bình" not in page and "2,0" not in page
    for path in (
        f"/s/test-a/grades/students/{roster.an.pk}/",
        f"/s/test-a/attendance/students/{roster.an.pk}/",
        "/s/test-a/attendance/leave/mine/",
        f"/s/test-a/attendance/leave/new/?student={roster.an.pk}",
        "/notices/",
    ):
        assert f'href="{path}"' in an
    assert f'href="/s/test-b/grades/students/{roster.cuong.pk}/"' in cuong


def test_news_are_new_until_the_next_visit(client, world, roster):
    client.force_login(roster.parent)
    client.get("/home/")  # the first visit
    with schema_context(world.school_a.schema_name):
        seen = score_published(roster.an, "toan", "TX1", "8.5")
    page = client.get("/home/").content.decode()
    assert "1 điểm mới" in card_of(page, "Nguyễn Văn An")
    assert "1 điểm mới" in card_of(client.get("/home/").content.decode(), "Nguyễn Văn An")  # a reload
    # The parent last looked an hour ago, after that score; another came 40 minutes ago.
    now = timezone.now()
    HomeVisit.objects.filter(user=roster.parent).update(last_seen_at=now - timedelta(hours=1))
    with schema_context(world.school_a.schema_name):
        Score.objects.filter(pk=seen.pk).update(published_at=now - timedelta(hours=2))
        score_published(roster.an, "toan", "GK", "6", at=now - timedelta(minutes=40))
    page = client.get("/home/").content.decode()  # a new visit: only what came after the last look
    assert "1 điểm mới" in page and "Toán: GK 6,0" in page and "8,5" not in page
    later = now - settings.HOME_VISIT_GAP - timedelta(minutes=1)  # seen after the GK, a visit ago
    HomeVisit.objects.filter(user=roster.parent).update(last_seen_at=later)
    page = client.get("/home/").content.decode()
    assert "điểm mới" not in page and "Không có gì mới kể từ lần trước bạn xem." in page


def test_a_visit_is_views_less_than_the_gap_apart(db):
    """Table: (the last view, the visit's news_since) → the news_since answered now, and stored."""
    now = timezone.now()
    gap = settings.HOME_VISIT_GAP
    first = now - settings.FIRST_VISIT_NEWS
    cases = [
        (None, None, first),  # a first visit ever
        (now - timedelta(minutes=5), first, first),  # a reload during the first visit
        (now - timedelta(minutes=5), now - timedelta(days=2), now - timedelta(days=2)),  # the same visit
        (now - gap - timedelta(minutes=1), now - timedelta(days=2), now - gap - timedelta(minutes=1)),
        (now - timedelta(days=30), now - timedelta(days=40), now - timedelta(days=30)),
    ]
    for number, (last_seen_at, news_since, expected) in enumerate(cases):
        person = User.objects.create_user(f"09770000{number:02d}")
        if last_seen_at is not None:
            HomeVisit.objects.create(user=person, last_seen_at=last_seen_at, news_since=news_since)
        assert home_visit_record(user=person, now=now) == expected, number
        visit = HomeVisit.objects.get(user=person)
        assert (visit.last_seen_at, visit.news_since) == (now, expected)


def test_the_hub_costs_the_same_queries_for_one_child_or_five_per_school(client, world, roster):
    client.force_login(roster.parent)
    client.get("/home/")
    with schema_context(world.school_a.schema_name):
        score_published(roster.an, "toan", "TX1", "8")
    with CaptureQueriesContext(connection) as few:
        client.get("/home/")
    with schema_context(world.school_a.schema_name):
        for number in range(4):
            child = _student(f"S{number}", f"Nguyễn Em {number}")
            _enrol(child, roster.class_a2)
            guardian_of(world.school_a, child, roster.parent, primary=False)
            score_published(child, "toan", "TX1", "9")
            mark_made(child, roster.class_a2, timezone.localdate(), Mark.ABSENT_EXCUSED)
            leave_decided(child, roster.parent)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/home/").content.decode()
    assert page.count("1 điểm mới") == 5
    assert len(many) == len(few)
    # Two schools, the cards made again: the session, the index, the visit, then per school the version,
    # the children, five kinds of news, and the unread notices apart (with their own search_path).
    assert len(few) <= 26


def test_the_cards_are_kept_until_one_of_their_rows_changes(client, world, roster):
    """The rendered cards are cached per schools, parent and version of their rows: a reload costs one
    query a school for the version, writes nothing within the minute, and anything that changes a card's
    rows (here a mark, an update without signals) shows at once."""
    client.force_login(roster.parent)
    client.get("/home/")
    with CaptureQueriesContext(connection) as reload:
        client.get("/home/")
    assert not [q for q in reload.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    with schema_context(world.school_a.schema_name):
        mark = mark_made(roster.an, roster.class_a1, timezone.localdate(), Mark.ABSENT_EXCUSED)
    with CaptureQueriesContext(connection) as changed:
        page = client.get("/home/").content.decode()
    assert "1 buổi vắng, đi muộn" in card_of(page, "Nguyễn Văn An")
    reloaded, made = len(reload), len(changed)
    assert reloaded < made
    with schema_context(world.school_a.schema_name):
        AttendanceMark.objects.filter(pk=mark.pk).update(mark=Mark.LATE)
        notice = notice_to(roster.parent, "Họp phụ huynh cuối kỳ")
    assert "Đi muộn" in card_of(client.get("/home/").content.decode(), "Nguyễn Văn An")
    # Reading a notice changes only its version: the cards' data is kept, the unread notices read again.
    with schema_context(world.school_a.schema_name):
        NoticeRecipient.objects.filter(notice=notice).update(read_at=timezone.now())
    with CaptureQueriesContext(connection) as read:
        page = client.get("/home/").content.decode()
    assert "Họp phụ huynh cuối kỳ" not in page and "Đi muộn" in card_of(page, "Nguyễn Văn An")
    assert reloaded < len(read) < made  # the counts as taken (each request starts a new query log)


def test_a_parent_without_children_gets_a_next_step(client, world):
    user = User.objects.create_user("0977111222", full_name="Phụ Huynh Chờ")
    from tenants.services import affiliation_add

    affiliation_add(user=user, school=world.school_a, is_guardian=True)
    client.force_login(user)
    page = client.get("/home/").content.decode()
    assert "Hãy nhờ giáo viên chủ nhiệm kiểm tra số điện thoại phụ huynh" in page


# --- sign-in with a code alone ----------------------------------------------------------------------------


def sign_in_with_code(client, phone):
    client.post("/login/code/", {"phone": phone})
    e164 = f"+84{phone[1:]}"
    code = OTP_RE.search(Message.objects.filter(recipient=e164).latest("pk").body).group(1)
    return client.post("/login/code/verify/", {"code": code})


def test_a_parent_signs_in_with_a_code_alone_for_a_long_session(client, world, roster):
    response = sign_in_with_code(client, "0911000001")
    assert response["Location"] == "/home/"
    assert int(client.session["_auth_user_id"]) == roster.parent.pk
    assert abs(client.session.get_expiry_age() - settings.PARENT_SESSION_AGE.total_seconds()) < 60
    assert timedelta(days=60) < settings.PARENT_SESSION_AGE
    page = client.get("/home/").content.decode()
    assert "Nguyễn Văn An" in page and "Đặt mật khẩu" in page  # offered


def test_the_password_offer_is_dismissed_or_taken_and_never_forced(client, world, roster):
    sign_in_with_code(client, "0911000001")
    assert client.get("/login/password/").status_code == 200  # signed in, no password yet: may set one
    bad = client.post("/login/password/", {"password1": "123", "password2": "123"})
    assert bad.status_code == 200 and "field-error" in bad.content.decode()
    roster.parent.refresh_from_db()
    assert not roster.parent.has_usable_password()  # nothing half-saved
    client.post("/home/password-offer/dismiss/")
    assert "Đặt mật khẩu" not in client.get("/home/").content.decode()
    done = client.post("/login/password/", {"password1": "Hoa-mai-2026", "password2": "Hoa-mai-2026"})
    assert done["Location"] == "/home/"
    roster.parent.refresh_from_db()
    assert roster.parent.check_password("Hoa-mai-2026")
    assert client.get("/home/").status_code == 200  # still signed in after the password change
    assert client.get("/login/password/")["Location"] == "/login/code/"  # a password now: the code flow


def test_the_dismiss_is_post_only_and_for_signed_in_people(client, world, roster):
    assert client.post("/home/password-offer/dismiss/")["Location"].startswith("/login/")
    client.force_login(roster.parent)
    assert client.get("/home/password-offer/dismiss/").status_code == 405


def test_staff_still_set_a_password_after_the_code(client, world):
    response = sign_in_with_code(client, "0900000013")  # the teacher
    assert response["Location"] == "/login/password/"
    assert "_auth_user_id" not in client.session


# --- the attendance page ----------------------------------------------------------------------------------


def attendance_url(student, code="test-a"):
    return f"/s/{code}/attendance/students/{student.pk}/"


def tiles(page):
    return [int(value) for value in re.findall(r'tile-value">(\d+)<', page)]  # P, K, late


def test_the_parent_sees_a_month_of_absences_with_p_and_k(client, world, roster):
    this_month = timezone.localdate().replace(day=1)
    month = (this_month - timedelta(days=1)).replace(day=1)  # last month: its days are all past
    before = (month - timedelta(days=1)).replace(day=10)
    with schema_context(world.school_a.schema_name):
        mark_made(roster.an, roster.class_a1, month.replace(day=3), Mark.ABSENT_EXCUSED, note="Ốm sốt")
        mark_made(roster.an, roster.class_a1, month.replace(day=3), Mark.ABSENT_UNEXCUSED, Session.AFTERNOON)
        mark_made(roster.an, roster.class_a1, month.replace(day=4), Mark.LATE)
        mark_made(roster.an, roster.class_a1, before, Mark.ABSENT_UNEXCUSED)  # another month
        mark_made(roster.binh, roster.class_a2, month.replace(day=3), Mark.ABSENT_UNEXCUSED)  # another child
    client.force_login(roster.parent)
    page = client.get(attendance_url(roster.an) + f"?month={month:%Y-%m}").content.decode()
    assert tiles(page) == [1, 1, 1]
    assert "P · Vắng có phép" in page and "K · Vắng không phép" in page and "Ốm sốt" in page
    assert page.index("Đi muộn</strong>") < page.index("K · Vắng") < page.index("P · Vắng")  # newest first
    assert f"?month={this_month:%Y-%m}" in page  # the next month, up to this one
    current = client.get(attendance_url(roster.an)).content.decode()
    assert tiles(current) == [0, 0, 0] and "Tháng sau" not in current  # no future months
    assert "Con không vắng buổi nào và không đi muộn trong tháng này." in current


def test_month_of_reads_the_month_or_falls_back_to_this_one():
    today = datetime.date(2026, 12, 7)
    cases = [
        (None, datetime.date(2026, 12, 1)),
        ("2026-11", datetime.date(2026, 11, 1)),
        ("2025-9", datetime.date(2025, 9, 1)),
        ("2027-01", datetime.date(2026, 12, 1)),  # the future: this month
        ("2026-13", datetime.date(2026, 12, 1)),
        ("tháng 11", datetime.date(2026, 12, 1)),
        ("2026-11-02", datetime.date(2026, 12, 1)),
    ]
    for text, expected in cases:
        assert month_of(text, today) == expected, text


def test_the_child_in_the_other_school_has_its_page_there(client, world, roster):
    client.force_login(roster.parent)
    assert client.get(attendance_url(roster.cuong, "test-b")).status_code == 200


@pytest.mark.parametrize("who", ["other_parent", "staff_b", "subject_teacher", "anonymous"])
def test_the_attendance_page_is_404_for_others(client, world, roster, who):
    if who != "anonymous":
        client.force_login(getattr(roster, who, None) or getattr(world, who))
    response = client.get(attendance_url(roster.an))
    if who == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 404
    client.force_login(roster.parent)  # the parent of An and Cường, not of Bình
    assert client.get(attendance_url(roster.binh)).status_code == 404
    assert client.get(attendance_url(roster.cuong)).status_code == 404  # Cường is in school B


def test_the_homeroom_teacher_sees_the_page_too(client, world, roster):
    client.force_login(world.teacher_a)
    assert client.get(attendance_url(roster.an)).status_code == 200


# --- conduct --------------------------------------------------------------------------------------------


def conduct_url(roster, term, action="publish/"):
    return f"/s/test-a/grades/classes/{roster.class_a1.pk}/conduct/{action}?term={term.pk}"


def conduct_set_to(student, term, rating):
    Conduct.objects.update_or_create(
        student=student, term=term, defaults={"rating": rating, "updated_at": timezone.now()}
    )


@pytest.fixture
def term1(world):
    with schema_context(world.school_a.schema_name):
        return Term.objects.get(year__is_current=True, number=1)


def test_the_homeroom_teacher_publishes_conduct_after_confirming(client, world, roster, term1):
    with schema_context(world.school_a.schema_name):
        conduct_set_to(roster.an, term1, "Tốt")
    client.force_login(roster.parent)
    grades = f"/s/test-a/grades/students/{roster.an.pk}/"
    assert "Kết quả rèn luyện" not in client.get(grades).content.decode()  # not published yet
    client.force_login(world.teacher_a)
    confirm = client.get(conduct_url(roster, term1)).content.decode()
    assert "của 1 học sinh" in confirm and "cho 1 phụ huynh" in confirm and "Xác nhận công bố" in confirm
    with schema_context(world.school_a.schema_name):
        assert Conduct.objects.get(student=roster.an).published_rating == ""  # GET changes nothing
    done = client.post(conduct_url(roster, term1))
    assert done["Location"] == conduct_url(roster, term1, action="")
    with schema_context(world.school_a.schema_name):
        assert Conduct.objects.get(student=roster.an).published_rating == "Tốt"
        assert AuditEvent.objects.filter(action="conduct.publish").count() == 1
        conduct_set_to(roster.an, term1, "Khá")  # a change after publication stays hidden
    client.force_login(roster.parent)
    page = client.get(grades).content.decode()
    assert "Kết quả rèn luyện" in page and "data-conduct>Tốt<" in page and "Khá" not in page
    client.force_login(world.teacher_a)
    assert "của 1 học sinh" in client.get(conduct_url(roster, term1)).content.decode()
    client.post(conduct_url(roster, term1))
    client.force_login(roster.parent)
    assert "data-conduct>Khá<" in client.get(grades).content.decode()


def test_nothing_to_publish_says_what_to_do(client, world, roster, term1):
    client.force_login(world.teacher_a)
    page = client.get(conduct_url(roster, term1)).content.decode()
    assert "Không có kết quả rèn luyện mới hay đã sửa nào để công bố" in page
    assert "Xác nhận công bố" not in page
    client.post(conduct_url(roster, term1))
    with schema_context(world.school_a.schema_name):
        assert not AuditEvent.objects.filter(action="conduct.publish").exists()


@pytest.mark.parametrize("who", ["teacher_a2", "subject_teacher", "staff_b", "parent", "anonymous"])
def test_conduct_publication_is_404_for_others_and_changes_nothing(client, world, roster, term1, who):
    with schema_context(world.school_a.schema_name):
        conduct_set_to(roster.an, term1, "Tốt")
    if who != "anonymous":
        client.force_login(getattr(roster, who, None) or getattr(world, who))
    for response in (client.get(conduct_url(roster, term1)), client.post(conduct_url(roster, term1))):
        if who == "anonymous":
            assert response.status_code == 302 and "/login/" in response["Location"]
        else:
            assert response.status_code == 404
    with schema_context(world.school_a.schema_name):
        assert Conduct.objects.get(student=roster.an).published_rating == ""


def test_a_term_of_another_year_or_none_is_404(client, world, roster):
    client.force_login(world.teacher_a)
    base = f"/s/test-a/grades/classes/{roster.class_a1.pk}/conduct/publish/"
    assert client.get(base).status_code == 404
    assert client.get(base + "?term=999999").status_code == 404
    assert client.post(base + "?term=abc").status_code == 404
