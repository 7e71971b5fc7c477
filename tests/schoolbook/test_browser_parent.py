"""The parent app in a real browser on a phone: a parent with a child in each of two
schools signs in with a one-time code alone, lands on /home/, reaches a child's grades in one tap, opens a
subject's scores, the attendance page and the other school's child; no page scrolls sideways at 360×740 or
390×844, nor any element in it (tests.browser_checks). Screenshots go to artifacts/ (and, with
SCREENSHOTS=docs, the chosen ones to docs/screenshots/)."""

import os
import random
from decimal import Decimal
from uuid import uuid4

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import HomeVisit, User
from attendance.models import AttendanceMark, Mark, RollCall, Session
from grades.models import Conduct, Score, regular_columns
from messaging.models import Message
from notices.models import Notice, NoticeRecipient
from students.models import (
    Enrolment,
    GradeLevel,
    Guardian,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    Subject,
    TeachingAssignment,
)
from tenants.models import School, SchoolAffiliation
from tenants.services import affiliation_add
from tests.browser_checks import assert_no_sideways_scroll
from tests.conftest import ARTIFACTS, OTP_RE, ROOT, sign_in
from tests.factories import guardian_link, student_enrol
from tests.gradebook_world import plans_generate_undoable

pytestmark = pytest.mark.browser
PHONES = [{"width": 390, "height": 844}, {"width": 360, "height": 740}]
SCREENS = [*PHONES, {"width": 1366, "height": 900}]  # and a laptop, for the screenshots
SUBJECTS = ["toan", "ngu-van", "ngoai-ngu-1", "khoa-hoc-tu-nhien", "lich-su-dia-li", "giao-duc-the-chat"]


def _scores_for(child, school_class, teacher, term, now):
    """Every column of every subject published for `child` (the widest grades page a parent can have)."""
    from grades.models import AssessmentPlan

    for n, code in enumerate(SUBJECTS):
        subject = Subject.objects.get(level="lower_secondary", code=code)
        TeachingAssignment.objects.create(teacher=teacher, school_class=school_class, subject=subject)
        plan = AssessmentPlan.objects.get(year=school_class.year, grade=school_class.grade, subject=subject)
        for m, column in enumerate([*regular_columns(plan.regular_count), "GK", "CK"]):
            scored = subject.assessment == "scored"
            value = Decimal(6 + (n + m) % 5) if scored else None
            Score.objects.create(
                student=child, subject=subject, term=term, column=column, value=value,
                rating=None if scored else True, updated_at=now, published_value=value,
                published_rating=None if scored else True, published_at=now,
            )  # fmt: skip


@pytest.fixture
def family(django_db_blocker, settings):
    """Committed (the live server must see it): a parent who can sign in with a code only (no password), a
    child in a class of school A (homeroom Vũ Giáo Viên) with published scores in six subjects, two
    absences and a published conduct, and a child in school B. Removed afterwards (the account stays)."""
    settings.GATEWAYS = {}
    tag = uuid4().hex[:6]
    now = timezone.now()
    made = {}
    with django_db_blocker.unblock():
        a, b = School.objects.get(code="test-a"), School.objects.get(code="test-b")
        phone = "0917" + "".join(random.choices("0123456789", k=6))
        parent = User.objects.create_user(phone, full_name="Phụ Huynh Hai Trường")
        for school in (a, b):
            affiliation_add(user=parent, school=school, is_guardian=True)
        for school, class_name, child_name in (
            (a, "6P", "Nguyễn Ngọc Bảo Châu"),
            (b, "6Q", "Nguyễn Minh Khôi"),
        ):
            with schema_context(school.schema_name):
                year = SchoolYear.objects.get(is_current=True)
                grade = GradeLevel.objects.get(number=6)
                teacher = StaffMember.objects.filter(user__phone="+84900000013").first()  # Vũ Giáo Viên
                teacher = teacher or StaffMember.objects.order_by("pk").first()
                school_class = SchoolClass.objects.create(
                    name=f"{class_name}-{tag}", grade=grade, year=year, homeroom_teacher=teacher
                )
                child = student_enrol(f"PB-{tag}", school_class, child_name)
                guardian = guardian_link(child, phone, full_name=parent.full_name, user=parent)
                made[school.code] = (school_class, child, guardian)
                if school is a:
                    _, undo = plans_generate_undoable(
                        year, grade, Subject.objects.get(code="toan", level="lower_secondary")
                    )
                    made["undo"] = undo
                    term = year.terms.get(number=1)
                    _scores_for(child, school_class, teacher, term, now)
                    Conduct.objects.create(
                        student=child, term=term, rating="Tốt", published_rating="Tốt", published_at=now,
                        updated_at=now,
                    )  # fmt: skip
                    notice = Notice.objects.create(
                        title=f"Lịch kiểm tra giữa học kỳ I {tag}", body="Các con kiểm tra từ thứ Hai. " * 20,
                        author=teacher, status="published", published_at=now,
                    )  # fmt: skip
                    NoticeRecipient.objects.create(notice=notice, guardian=guardian, user=parent)
                    made["notice"] = notice
                    today = timezone.localdate()
                    for session, mark in (
                        (Session.MORNING, Mark.ABSENT_EXCUSED),
                        (Session.AFTERNOON, Mark.LATE),
                    ):
                        roll_call = RollCall.objects.create(
                            school_class=school_class, date=today, session=session
                        )
                        AttendanceMark.objects.create(
                            roll_call=roll_call, student=child, mark=mark, note="Ốm"
                        )
    yield parent, made
    with django_db_blocker.unblock():
        for school in (a, b):
            school_class, child, guardian = made[school.code]
            with schema_context(school.schema_name):
                if school is a:
                    made["notice"].delete()
                Score.objects.filter(student=child).delete()
                Conduct.objects.filter(student=child).delete()
                TeachingAssignment.objects.filter(school_class=school_class).delete()
                Guardian.objects.filter(pk=guardian.pk).delete()
                Enrolment.objects.filter(student=child).delete()
                Student.objects.filter(pk=child.pk).delete()
                school_class.delete()
                if school is a:
                    made["undo"]()
        HomeVisit.objects.filter(user=parent).delete()
        SchoolAffiliation.objects.filter(user=parent).delete()


def _screenshot(page, name, keep=False):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if keep and os.environ.get("SCREENSHOTS") == "docs":
        page.screenshot(path=str(ROOT / "docs" / "screenshots" / f"{name}.png"), full_page=True)


def _sign_in_with_code(page, phone, django_db_blocker):
    page.goto("/login/")
    page.get_by_role("link", name="Đăng nhập bằng mã qua tin nhắn").click()
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_role("button", name="Gửi mã").click()
    expect(page.locator("h1")).to_have_text("Nhập mã xác thực")
    with django_db_blocker.unblock(), schema_context("public"):  # messaging is in every schema too
        body = Message.objects.filter(recipient=phone).latest("pk").body  # E.164
    page.get_by_label("Mã gồm 6 chữ số").fill(OTP_RE.search(body).group(1))
    page.get_by_role("button", name="Xác nhận").click()


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}x{s['height']}")
def test_a_parent_signs_in_with_a_code_and_reaches_the_grades_in_one_tap(
    browser, live_server_url, family, django_db_blocker, screen
):
    parent, _ = family
    keep = screen["width"] == 390
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=screen)
    page = context.new_page()
    _sign_in_with_code(page, parent.phone, django_db_blocker)
    expect(page).to_have_url(f"{live_server_url}/home/")
    cookie = next(c for c in context.cookies() if c["name"] == "sessionid")
    assert cookie["expires"] > timezone.now().timestamp() + 80 * 24 * 3600  # stays signed in
    cards = page.locator(".child-card")
    expect(cards).to_have_count(2)
    first = cards.filter(has_text="Nguyễn Ngọc Bảo Châu")
    expect(first).to_contain_text("Trường THCS Thử Nghiệm A")
    expect(first).to_contain_text("điểm mới")
    expect(first).to_contain_text("2 buổi vắng, đi muộn")
    expect(cards.filter(has_text="Nguyễn Minh Khôi")).to_contain_text("Trường THCS Thử Nghiệm B")
    expect(page.get_by_role("link", name="Đặt mật khẩu")).to_be_visible()  # offered, not forced
    assert_no_sideways_scroll(page)
    _screenshot(page, f"parent-hub-{screen['width']}", keep)

    first.get_by_role("link", name="Kết quả học tập").click()  # tap 1
    expect(page.locator("h1")).to_contain_text("Kết quả học tập · Nguyễn Ngọc Bảo Châu")
    expect(page.locator("#this-week li")).to_have_count(len(SUBJECTS))  # one line per subject
    expect(page.locator("[data-conduct]")).to_have_text("Tốt")
    math = page.locator("details", has_text="Toán").first
    math.locator("summary").click()  # tap 2: the subject's scores
    expect(math.locator("dd").nth(1)).to_be_visible()
    assert_no_sideways_scroll(page)
    _screenshot(page, f"parent-grades-{screen['width']}", keep)

    page.goto("/home/")
    first.get_by_role("link", name="Chuyên cần").click()
    expect(page.locator("h1")).to_contain_text("Chuyên cần · Nguyễn Ngọc Bảo Châu")
    expect(page.locator("table")).to_contain_text("P · Vắng có phép")
    assert_no_sideways_scroll(page)
    _screenshot(page, f"parent-attendance-{screen['width']}", keep)

    for name in ("Đơn xin nghỉ", "Thông báo", "Xin nghỉ học", "Nguyễn Ngọc Bảo Châu"):
        page.goto("/home/")
        first.get_by_role("link", name=name, exact=True).click()
        expect(page.locator("h1").first).to_be_visible()
        assert_no_sideways_scroll(page)
        if name == "Thông báo":
            page.get_by_role("link", name="Lịch kiểm tra giữa học kỳ I").click()
            expect(page.locator("h1")).to_contain_text("Lịch kiểm tra giữa học kỳ I")
            assert_no_sideways_scroll(page)

    page.goto("/home/")
    cards.filter(has_text="Nguyễn Minh Khôi").get_by_role("link", name="Kết quả học tập").click()
    expect(page.locator("h1")).to_contain_text("Nguyễn Minh Khôi")
    assert "/s/test-b/" in page.url
    assert_no_sideways_scroll(page)
    context.close()


def test_the_homeroom_teacher_confirms_before_publishing_conduct(
    browser, live_server_url, family, django_db_blocker
):
    _, made = family
    school_class, child, _ = made["test-a"]
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=SCREENS[-1])
    page = context.new_page()
    sign_in(page, "0900000013")
    page.goto(f"/s/test-a/grades/classes/{school_class.pk}/conduct/")
    page.get_by_label("Nguyễn Ngọc Bảo Châu").select_option("Khá")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".flash")).to_contain_text("1 học sinh thay đổi")
    page.get_by_role("link", name="Công bố cho phụ huynh…").click()
    expect(page.locator("[data-preview]")).to_contain_text("của 1 học sinh")
    expect(page.locator("[data-preview]")).to_contain_text("cho 1 phụ huynh")
    _screenshot(page, "conduct-publish-confirm-1366")
    page.get_by_role("button", name="Xác nhận công bố").click()
    expect(page.locator(".flash")).to_contain_text(
        "Đã công bố kết quả rèn luyện của 1 học sinh cho phụ huynh."
    )
    context.close()
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        assert Conduct.objects.get(student=child).published_rating == "Khá"
