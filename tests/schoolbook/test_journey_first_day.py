"""A school's whole first day in a real browser, against the live server and the real
Celery worker. The platform admin onboards a school; its admin signs in with a code, follows the
getting-started checklist (year, two classes, a teacher, three students with guardians, ten more imported
from a file that names a new class, a teaching assignment, parent invitations), watching it tick; the teacher
signs in with a code, types a score and publishes the column after confirming; a parent on a phone signs in
with a code alone and reaches that score in two taps from /home/. axe-core finds nothing on any page the
journey visits, and nothing on the parent's pages scrolls sideways. Screenshots go to artifacts/."""

import io
from uuid import uuid4

import pytest
from django_tenants.utils import schema_context
from openpyxl import Workbook
from playwright.sync_api import expect

from schoolbook.phones import normalize_phone
from students.imports.roster import STUDENT_COLUMNS
from students.models import Enrolment, Guardian, GuardianInvite, SchoolClass, TeachingAssignment
from tenants.models import School
from tests.browser_checks import assert_accessible, assert_no_sideways_scroll
from tests.conftest import ARTIFACTS, TEST_PASSWORD, sent_code, sign_in, unused_mobile

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
HEADERS = [header for _, header, _ in STUDENT_COLUMNS]


def _roster(phones: list[str], class_name: str) -> bytes:
    """Ten students of a class the school does not have yet, in the template's columns."""
    given = ["An", "Bình", "Chi", "Dũng", "Đạt", "Giang", "Hà", "Khánh", "Linh", "Minh"]
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for n, (name, phone) in enumerate(zip(given, phones, strict=True)):
        row = {
            "Mã học sinh": f"ND-{n + 10:03d}",
            "Họ và tên": f"Phạm Văn {name}",
            "Ngày sinh": f"{n + 1:02d}/03/2014",
            "Giới tính": "Nam" if n % 2 else "Nữ",
            "Lớp": class_name,
            "Họ tên phụ huynh 1": f"Phạm Thị Mẹ {name}",
            "Quan hệ 1": "Mẹ",
            "SĐT phụ huynh 1": phone,
        }
        sheet.append([row.get(header, "") for header in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Journey:
    """Every page visited goes through `check`: axe-core clean, and (on a phone) nothing scrolls sideways;
    `shoot` keeps a screenshot in artifacts/."""

    def __init__(self):
        self.visited = []
        ARTIFACTS.mkdir(exist_ok=True)

    def check(self, page, sideways=False):
        expect(page.locator("h1").first).to_be_visible()
        self.visited.append(page.url)
        assert_accessible(page)
        if sideways:
            assert_no_sideways_scroll(page)

    def shoot(self, page, name):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _sign_in_with_code(page, phone, django_db_blocker, sent_to, journey):
    e164 = normalize_phone(phone).e164
    sent_to.append(e164)
    page.goto("/login/")
    journey.check(page, sideways=True)
    page.get_by_role("link", name="Đăng nhập bằng mã qua tin nhắn").click()
    journey.check(page, sideways=True)
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_role("button", name="Gửi mã").click()
    expect(page.get_by_role("heading", name="Nhập mã xác thực")).to_be_visible()
    journey.check(page, sideways=True)
    page.get_by_label("Mã gồm 6 chữ số").fill(sent_code(django_db_blocker, e164))
    page.get_by_role("button", name="Xác nhận").click()


def _set_password(page, journey):
    expect(page.get_by_label("Mật khẩu mới")).to_be_visible()
    journey.check(page)
    page.get_by_label("Mật khẩu mới").fill(TEST_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Lưu mật khẩu và đăng nhập").click()


def _ticked(page, *keys):
    """The checklist shows exactly these steps as done."""
    for step in ("year", "classes", "staff", "students", "assignments", "invite"):
        item = page.locator(f".getting-started li[data-step='{step}']")
        if step in keys:
            expect(item).to_have_class("done")
        else:
            expect(item).not_to_have_class("done")


def test_a_schools_first_day(browser, live_server_url, celery_worker, django_db_blocker, sent_to, tmp_path):
    journey = Journey()
    code = f"nd-{uuid4().hex[:6]}"
    name = "Trường THCS Nguyễn Du"  # as a school would be named (the code is what is unique)
    home = f"/s/{code}/"
    admin_phone, teacher_phone = unused_mobile(django_db_blocker), unused_mobile(django_db_blocker)
    parent_phones = [unused_mobile(django_db_blocker) for _ in range(13)]

    # 1. The platform admin onboards the school from the console (laptop).
    console = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=LAPTOP)
    page = console.new_page()
    sign_in(page, "0900000001")
    expect(page).to_have_url(f"{live_server_url}/console/")
    journey.check(page)
    page.get_by_role("link", name="+ Thêm trường").click()
    journey.check(page)
    page.get_by_label("Mã trường").fill(code)
    page.get_by_label("Tên trường").fill(name)
    page.get_by_label("Trung học cơ sở").check()
    page.get_by_label("Tỉnh/thành phố").fill("Hà Nội")
    page.get_by_label("Họ tên quản trị trường").fill("Lê Thị Quản Trị")
    page.get_by_label("Số điện thoại quản trị trường").fill(admin_phone)
    page.get_by_role("button", name="Tạo trường").click()
    expect(page.locator(".flash li.success")).to_contain_text(f"Đã tạo trường “{name}”")
    journey.check(page)
    console.close()

    # 2. Its admin signs in with a code, sets a password, and follows the checklist.
    laptop = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=LAPTOP)
    page = laptop.new_page()
    _sign_in_with_code(page, admin_phone, django_db_blocker, sent_to, journey)
    _set_password(page, journey)
    expect(page).to_have_url(f"{live_server_url}{home}")
    checklist = page.locator(".getting-started")
    expect(checklist).to_be_visible()
    _ticked(page)
    journey.check(page)
    journey.shoot(page, "first-day-checklist-start")

    # The year: its dates checked and saved.
    checklist.get_by_role("link", name="Năm học và học kỳ").click()
    journey.check(page)
    page.get_by_role("link", name="Sửa ngày").click()
    journey.check(page)
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".flash")).to_be_visible()
    journey.check(page)
    page.goto(home)
    _ticked(page, "year")

    # Two classes, one by the form and one more the same way.
    checklist.get_by_role("link", name="Lớp học và giáo viên chủ nhiệm").click()
    expect(page.get_by_text("Năm học này chưa có lớp nào")).to_be_visible()
    journey.check(page)
    for class_name in ("6A1", "6A2"):
        page.get_by_role("link", name="Thêm lớp", exact=True).first.click()
        journey.check(page)
        page.get_by_label("Tên lớp").fill(class_name)
        page.get_by_role("button", name="Tạo lớp").click()
        expect(page.locator(".flash")).to_contain_text(class_name)
    journey.check(page)

    # A teacher on the staff page.
    page.goto(home)
    _ticked(page, "year")  # the classes have no homeroom teacher yet
    expect(checklist.locator("li[data-step='classes'] small")).to_contain_text("2 lớp chưa có")
    checklist.get_by_role("link", name="Cán bộ, giáo viên").click()
    journey.check(page)
    page.get_by_label("Họ và tên").fill("Trần Văn Toán")
    page.get_by_label("Số điện thoại").fill(teacher_phone)
    page.get_by_label("Giáo viên").check()
    page.get_by_role("button", name="Thêm", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Trần Văn Toán")
    journey.check(page)
    page.goto(home)
    _ticked(page, "year", "staff")

    # Three students with their guardians, one by one.
    students = [("Nguyễn Thị Ánh", "6A1"), ("Lê Văn Bảo", "6A1"), ("Đỗ Minh Châu", "6A2")]
    for n, (student, class_name) in enumerate(students):
        page.goto(home)
        checklist.get_by_role("link", name="Học sinh và phụ huynh").click()
        journey.check(page)
        page.get_by_role("link", name="Thêm học sinh").first.click()
        journey.check(page)
        page.get_by_label("Mã học sinh").fill(f"ND-{n + 1:03d}")
        page.get_by_label("Họ và tên").fill(student)
        page.get_by_label("Ngày sinh").fill("2014-09-0" + str(n + 1))
        page.get_by_label("Giới tính").select_option("female" if n != 1 else "male")
        page.locator("#id_school_class").select_option(label=class_name)
        page.get_by_label("Họ tên phụ huynh").fill(f"Phụ huynh {student}")
        page.get_by_label("Số điện thoại phụ huynh").fill(parent_phones[n])
        page.get_by_label("Quan hệ với học sinh").select_option("mother")
        if n == 0:
            journey.shoot(page, "first-day-student-add")
        page.get_by_role("button", name="Thêm học sinh").click()
        expect(page.locator(".flash")).to_contain_text(f"Đã thêm học sinh {student} vào lớp {class_name}.")
        journey.check(page)
    page.goto(home)
    _ticked(page, "year", "staff", "students")

    # Ten more from a roster file that names a new class: previewed, then confirmed.
    page.goto(home + "students/")
    page.get_by_role("link", name="Nhập từ Excel").click()
    journey.check(page)
    roster = tmp_path / "danh-sach-6A3.xlsx"
    roster.write_bytes(_roster(parent_phones[3:], "6A3"))
    page.locator("input[type=file]").set_input_files(str(roster))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    expect(page.locator("#new-classes [data-new-class]")).to_have_text(["6A3"])
    journey.check(page)
    journey.shoot(page, "import-new-class-preview")
    page.get_by_role("button", name="Xác nhận nhập").click()
    expect(page.locator(".flash")).to_be_visible()
    journey.check(page)
    with django_db_blocker.unblock(), schema_context(School.objects.get(code=code).schema_name):
        assert Enrolment.objects.filter(school_class__name="6A3", ends_on__isnull=True).count() == 10
        assert Enrolment.objects.filter(ends_on__isnull=True).count() == 13
        assert Guardian.objects.count() == 13

    # Homeroom teachers for the three classes tick the classes step.
    page.goto(home + "classes/")
    for class_name in ("6A1", "6A2", "6A3"):
        page.get_by_role("link", name=f"Sửa lớp {class_name}").click()
        page.get_by_label("Giáo viên chủ nhiệm").select_option(label="Trần Văn Toán")
        page.get_by_role("button", name="Lưu").click()
        expect(page.locator(".flash")).to_be_visible()
    journey.check(page)
    page.goto(home)
    _ticked(page, "year", "classes", "staff", "students")

    # The teacher teaches Toán in 6A1.
    checklist.get_by_role("link", name="Phân công giảng dạy").click()
    journey.check(page)
    page.get_by_role("link", name="Thêm phân công").first.click()
    page.get_by_label("Giáo viên").select_option(label="Trần Văn Toán")
    page.get_by_label("Môn học").select_option(label="Toán")
    page.get_by_label("6A1", exact=True).check()
    journey.check(page)
    page.get_by_role("button", name="Phân công").click()
    expect(page.locator(".flash")).to_contain_text("Đã phân công Trần Văn Toán dạy Toán ở 6A1.")
    journey.check(page)
    page.goto(home)
    _ticked(page, "year", "classes", "staff", "students", "assignments")
    journey.shoot(page, "first-day-checklist")

    # Mời phụ huynh: the counts and the cost first, then the messages.
    checklist.get_by_role("link", name="Mời phụ huynh đăng nhập").click()
    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("Sẽ gửi lời mời cho 13 phụ huynh, mỗi người một tin nhắn.")
    expect(confirm).to_contain_text("Chi phí SMS ước tính")
    journey.check(page)
    journey.shoot(page, "first-day-invite-confirm")
    page.get_by_role("button", name="Gửi lời mời").click()
    expect(page.locator(".flash")).to_contain_text("Đã gửi lời mời cho 13 phụ huynh.")
    journey.check(page)
    page.goto(home)
    expect(page.locator(".getting-started")).to_have_count(0)  # every step done: the checklist goes away
    journey.check(page)
    laptop.close()
    with django_db_blocker.unblock(), schema_context(School.objects.get(code=code).schema_name):
        assert GuardianInvite.objects.count() == 13
        math = TeachingAssignment.objects.get(school_class__name="6A1", subject__code="toan")
        assert SchoolClass.objects.filter(homeroom_teacher__isnull=True).count() == 0

    # 3. The teacher signs in with a code, sets a password, types a score and publishes the column.
    teacher = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=LAPTOP)
    page = teacher.new_page()
    _sign_in_with_code(page, teacher_phone, django_db_blocker, sent_to, journey)
    _set_password(page, journey)
    expect(page).to_have_url(f"{live_server_url}{home}")
    journey.check(page)
    page.get_by_role("link", name="Sổ điểm").first.click()
    journey.check(page)
    page.locator("#my-assignments").get_by_role("link").first.click()
    expect(page.locator("h1")).to_contain_text("Toán")
    journey.check(page)
    assert f"/grades/assignments/{math.pk}/" in page.url
    anh = page.locator(".cell[data-col='TX1']").first  # Vietnamese order: Nguyễn Thị Ánh before Lê Văn Bảo
    anh.click()
    page.keyboard.type("9,5")
    page.keyboard.press("Enter")
    expect(anh).to_have_attribute("data-version", "1")
    page.locator("#publish-TX1").get_by_role("button", name="Công bố").click()
    dialog = page.locator("#publish-dialog dialog")
    expect(dialog).to_contain_text("1 phụ huynh sẽ nhận một tin nhắn.")
    expect(dialog).to_contain_text("Điểm mới môn Toán (HK I, ĐĐGtx 1) của Nguyễn Thị Ánh: 9,5")
    journey.check(page)
    journey.shoot(page, "publish-confirm")
    dialog.get_by_role("button", name="Xác nhận công bố").click()
    expect(page.locator("#publish-TX1")).to_contain_text("Đã công bố cột TX1")
    journey.check(page)
    teacher.close()

    # 4. Ánh's mother, on her phone, signs in with a code alone and reaches the score in two taps.
    phone = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE, is_mobile=True)
    page = phone.new_page()
    _sign_in_with_code(page, parent_phones[0], django_db_blocker, sent_to, journey)
    expect(page).to_have_url(f"{live_server_url}/home/")
    card = page.locator(".child-card", has_text="Nguyễn Thị Ánh")
    expect(card).to_contain_text(name)
    expect(card).to_contain_text("điểm mới")
    journey.check(page, sideways=True)
    journey.shoot(page, "parent-hub-phone")
    taps = 0
    card.get_by_role("link", name="Kết quả học tập").click()
    taps += 1
    expect(page.locator("h1")).to_contain_text("Kết quả học tập · Nguyễn Thị Ánh")
    journey.check(page, sideways=True)
    math_scores = page.locator("details", has_text="Toán").first
    math_scores.locator("summary").click()
    taps += 1
    expect(math_scores).to_contain_text("9,5")
    journey.check(page, sideways=True)
    journey.shoot(page, "parent-score-phone")
    assert taps <= 2
    phone.close()
    assert len(journey.visited) >= 40
