"""Timetables: versions saved from the grid and the people told once (with the confirmation first), the
checks (a teacher in two classes at once named in Vietnamese, a subject the grade does not take, the
school's periods), the whole school's import (good file, every bad row, nothing half-applied), the pages of
each role, and who may see what (404 for everyone else)."""

import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context
from openpyxl import Workbook

from messaging.models import Message
from schoolbook.audit.models import AuditEvent
from students.models import GradeLevel, SchoolClass, SchoolYear, StaffMember, Subject
from tests.conftest import assert_refused, confirm_token, signed_in
from tests.factories import assignment_make, parent_make, staff_make, student_enrol
from timetable.models import Lesson, Timetable, TimetableChange, TimetableSettings
from timetable.rules import AFTERNOON, MORNING, week_start
from timetable.selectors import class_week, student_week, teacher_week
from timetable.services import Cell, Grid, TimetableError, timetables_apply, timetables_plan

SITE = "https://sobl.example.vn"
BASE = "/s/test-a/timetable"


def subject(code):
    return Subject.objects.get(level="lower_secondary", code=code)


def build(world):
    """6A1 (Toán: Thầy Toán, Ngữ văn: Cô Văn) with An, whose mother has an account; 6A2 (Toán: Thầy Toán)
    with Chi, whose mother has one too; teacher_a (Vũ Giáo Viên) teaches neither."""
    n = SimpleNamespace(world=world)
    n.year = SchoolYear.objects.get(is_current=True)
    grade = GradeLevel.objects.get(number=6)
    n.start = max(week_start(timezone.localdate()), n.year.starts_on)
    n.math = staff_make(world, "0916000001", "Thầy Toán")
    n.lit = staff_make(world, "0916000002", "Cô Văn")
    n.a1 = SchoolClass.objects.create(name="6A1", grade=grade, year=n.year)
    n.a2 = SchoolClass.objects.create(name="6A2", grade=grade, year=n.year)
    assignment_make(n.math, n.a1, "toan")
    assignment_make(n.lit, n.a1, "ngu-van")
    assignment_make(n.math, n.a2, "toan")
    n.an = student_enrol("TT-AN", n.a1, "Nguyễn Văn An")
    n.chi = student_enrol("TT-CHI", n.a2, "Lê Thị Chi")
    n.an_mother = parent_make(world, n.an, "0916000010", "Nguyễn Thị Mẹ An")
    n.chi_mother = parent_make(world, n.chi, "0916000020", "Lê Thị Mẹ Chi")
    n.teacher = StaffMember.objects.get(user=world.teacher_a)
    return n


@pytest.fixture
def tw(world, settings):
    settings.SITE_URL = SITE
    settings.GATEWAYS = {}  # no Zalo, no push: plans are SMS and e-mail, whatever the environment says
    with schema_context(world.school_a.schema_name):
        yield build(world)


def grid_of(school_class, cells):
    return Grid(school_class, {slot: Cell(*cell) for slot, cell in cells.items()})


def save(n, school_class, cells, start=None):
    change, _plan = timetables_apply(
        actor=n.world.admin_a, school=n.world.school_a, grids=[grid_of(school_class, cells)],
        starts_on=start or n.start, source="grid",
    )  # fmt: skip
    return change


MON1, MON2, TUE1 = (0, MORNING, 1), (0, MORNING, 2), (1, MORNING, 1)


# --- services -----------------------------------------------------------------------------------------------


def test_a_version_is_saved_and_the_people_concerned_told_once(tw):
    change = save(tw, tw.a1, {MON1: (subject("toan"), tw.math, "P.201"), MON2: (subject("ngu-van"), tw.lit)})
    assert Lesson.objects.filter(timetable__school_class=tw.a1).count() == 2
    sent = Message.objects.filter(reference=f"timetable:{change.pk}")
    # An's mother and the two teachers; not Chi's mother (6A2 did not change)
    assert sorted(sent.values_list("recipient", flat=True)) == ["Cô Văn", "Nguyễn Thị Mẹ An", "Thầy Toán"]
    body = sent.get(recipient="Nguyễn Thị Mẹ An").body
    assert "Thời khoá biểu mới của lớp 6A1" in body and f"{tw.start:%d/%m/%Y}" in body
    assert sent.get(recipient="Thầy Toán").link == f"{SITE}/s/test-a/timetable/mine/"
    assert change.notified == 3 and change.notified_at is not None
    # saved again unchanged (a retried request): no new version, no message
    assert (
        save(tw, tw.a1, {MON1: (subject("toan"), tw.math, "P.201"), MON2: (subject("ngu-van"), tw.lit)})
        is None
    )
    assert Message.objects.filter(purpose="timetable").count() == 3
    assert AuditEvent.objects.filter(action="timetable.save").count() == 1


def test_a_new_version_replaces_the_old_from_its_day_and_the_old_stays(tw):
    save(tw, tw.a1, {MON1: (subject("toan"), tw.math)})
    later = tw.start + datetime.timedelta(days=7)
    save(tw, tw.a1, {MON1: (subject("ngu-van"), tw.lit)}, start=later)
    assert Timetable.objects.filter(school_class=tw.a1).count() == 2
    this_week = class_week(tw.a1, tw.start)
    next_week = class_week(tw.a1, later)
    assert [lesson.subject.code for lesson in this_week.days[0].lessons] == ["toan"]
    assert [lesson.subject.code for lesson in next_week.days[0].lessons] == ["ngu-van"]
    # the teacher who lost the lesson is told too
    change = TimetableChange.objects.latest("pk")
    told = Message.objects.filter(reference=f"timetable:{change.pk}").values_list("recipient", flat=True)
    assert {"Thầy Toán", "Cô Văn"} <= set(told)
    # the teacher's week: only the weeks their lessons hold
    assert teacher_week(tw.math, later).days[0].lessons == []
    assert len(teacher_week(tw.math, tw.start).days[0].lessons) == 1


def test_a_teacher_in_two_classes_at_once_is_refused_in_vietnamese(tw):
    save(tw, tw.a2, {MON1: (subject("toan"), tw.math)})
    with pytest.raises(TimetableError) as error:
        save(tw, tw.a1, {MON1: (subject("toan"), tw.math), TUE1: (subject("toan"), tw.math)})
    (problem,) = error.value.problems
    assert problem.slot == MON1
    assert problem.message == (
        "Giáo viên Thầy Toán trùng tiết: đã dạy lớp 6A2 vào tiết 1 buổi sáng Thứ Hai "
        f"(từ {tw.start:%d/%m/%Y})."
    )
    assert not Timetable.objects.filter(school_class=tw.a1).exists()  # nothing written
    # the afternoon's period 1 is another slot
    assert save(tw, tw.a1, {(0, AFTERNOON, 1): (subject("toan"), tw.math)}) is not None


def test_a_subject_the_grade_does_not_take_and_a_period_the_school_does_not_have(tw):
    physics_12 = Subject.objects.create(
        code="vat-li-12", name="Vật lí 12", level="lower_secondary", assessment="scored"
    )
    TimetableSettings.objects.create(morning_periods=4, afternoon_periods=0)
    with pytest.raises(TimetableError) as error:
        save(tw, tw.a1, {MON1: (physics_12, None), (0, MORNING, 5): (subject("toan"), tw.math)})
    messages = [problem.message for problem in error.value.problems]
    assert f"Khối 6 không học môn {physics_12.name}." in messages
    assert "Trường không học tiết 5 buổi sáng Thứ Hai (xem số tiết mỗi buổi)." in messages


def test_the_plan_counts_one_message_per_person(tw):
    # An's mother is also Chi's guardian: one message naming both classes
    from tests.factories import guardian_link

    guardian_link(tw.chi, "0916000010")
    plan = timetables_plan(
        school=tw.world.school_a,
        grids=[
            grid_of(tw.a1, {MON1: (subject("toan"), tw.math)}),
            grid_of(tw.a2, {TUE1: (subject("toan"), tw.math)}),
        ],
        starts_on=tw.start,
    )
    texts = {recipient.name: text for recipient, text in plan.items}
    assert plan.people == 3 and set(texts) == {"Thầy Toán", "Nguyễn Thị Mẹ An", "Lê Thị Mẹ Chi"}
    assert "lớp 6A1, 6A2" in texts["Nguyễn Thị Mẹ An"]
    assert plan.estimate["messages"] == 3


def test_a_child_without_a_class_has_no_week(tw, parent):
    from students.models import Guardian

    child = Guardian.objects.get(user=parent).students.get()
    assert student_week(child, tw.start) == (None, None)


# --- the grid page ------------------------------------------------------------------------------------------


def grid_post(n, cells, start=None):
    data = {"starts_on": (start or n.start).isoformat()}
    for (weekday, session, period), (code, teacher, room) in cells.items():
        prefix = f"c-{weekday}-{session}-{period}"
        data[f"{prefix}-subject"] = str(subject(code).pk)
        data[f"{prefix}-teacher"] = str(teacher.pk) if teacher else ""
        data[f"{prefix}-room"] = room
    return data


def test_the_grid_confirms_who_is_told_then_saves(tw):
    client = signed_in(tw.world.principal_a)
    url = f"{BASE}/classes/{tw.a1.pk}/edit/"
    page = client.get(url)
    assert page.status_code == 200 and "Theo phân công" in page.content.decode()
    data = grid_post(tw, {MON1: ("toan", None, "P.201"), MON2: ("ngu-van", tw.lit, "")})
    preview = client.post(url, data)
    text = preview.content.decode()
    assert preview.status_code == 200 and "Xác nhận lưu thời khoá biểu" in text
    assert "Sẽ gửi 3 tin nhắn" in text and "Ước tính trước khi gửi" in text
    assert not Timetable.objects.exists()  # nothing before the confirmation
    done = client.post(url, {**data, "confirm": confirm_token(preview)})
    assert done.status_code == 302
    lessons = Lesson.objects.filter(timetable__school_class=tw.a1).order_by("period")
    assert [(lesson.subject.code, lesson.teacher, lesson.room) for lesson in lessons] == [
        ("toan", tw.math, "P.201"),  # the assignment's teacher by default
        ("ngu-van", tw.lit, ""),
    ]
    assert Message.objects.filter(purpose="timetable").count() == 3
    # the same confirmation posted again (a double tap): nothing new
    again = client.post(url, {**data, "confirm": confirm_token(preview)})
    assert "giống hệt bản đang áp dụng" in again.content.decode()
    assert Message.objects.filter(purpose="timetable").count() == 3 and Timetable.objects.count() == 1


def test_the_grid_shows_a_clash_on_its_cell(tw):
    save(tw, tw.a2, {MON1: ("toan" and subject("toan"), tw.math)})
    client = signed_in(tw.world.admin_a)
    response = client.post(f"{BASE}/classes/{tw.a1.pk}/edit/", grid_post(tw, {MON1: ("toan", None, "")}))
    assert response.status_code == 200, response
    assert "trùng tiết: đã dạy lớp 6A2 vào tiết 1 buổi sáng Thứ Hai" in response.content.decode()
    assert not Timetable.objects.filter(school_class=tw.a1).exists()


# --- the import ---------------------------------------------------------------------------------------------


def workbook(rows, header=("Lớp", "Thứ", "Buổi", "Tiết", "Môn", "Giáo viên", "Phòng")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("tkb.xlsx", out.getvalue())


def upload(client, rows, start):
    response = client.post(f"{BASE}/import/", {"starts_on": start.isoformat(), "file": workbook(rows)})
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response["Location"])


GOOD = [
    ("6A1", 2, "Sáng", 1, "Toán", "", "P.201"),
    ("6a1", "Thứ Hai", "Sáng", 2, "Ngữ văn", "Cô Văn", ""),
    ("6A2", "T3", "sáng", 1, "Toán", "0916 000 001", "P.202"),
]


def test_a_good_file_is_previewed_then_imported_with_one_message_each(tw):
    client = signed_in(tw.world.admin_a)
    preview = upload(client, GOOD, tw.start)
    text = preview.content.decode()
    assert 'data-count="classes_changed">2<' in text and 'data-count="people">4<' in text
    assert "Ước tính trước khi gửi" in text and not Timetable.objects.exists()
    token = preview.context["pending"].token
    done = client.post(f"{BASE}/import/", {
        "token": token, "sha256": preview.context["pending"].sha256, "confirm": confirm_token(preview),
    })  # fmt: skip
    assert done.status_code == 302
    assert Lesson.objects.filter(timetable__school_class=tw.a1).count() == 2
    assert Lesson.objects.get(timetable__school_class=tw.a2).teacher == tw.math
    recipients = list(Message.objects.filter(purpose="timetable").values_list("recipient", flat=True))
    assert sorted(recipients) == ["Cô Văn", "Lê Thị Mẹ Chi", "Nguyễn Thị Mẹ An", "Thầy Toán"]
    assert AuditEvent.objects.filter(action="timetable.import").count() == 1


def test_every_bad_row_is_reported_and_nothing_is_written(tw):
    save(tw, tw.a2, {MON1: (subject("toan"), tw.math)})
    before = (Lesson.objects.count(), Message.objects.count())
    rows = [
        ("6A1", 2, "Sáng", 2, "Toán", "", ""),  # good
        ("9Z9", 2, "Sáng", 1, "Toán", "", ""),  # no such class
        ("6A1", 8, "Sáng", 1, "Toán", "", ""),  # no such weekday
        ("6A1", 3, "Tối", 1, "Toán", "", ""),  # no such session
        ("6A1", 3, "Sáng", 1, "Vật lí 12", "", ""),  # not a subject of grade 6
        ("6A1", 4, "Sáng", 1, "Toán", "0999999999", ""),  # no such staff
        ("6A1", 2, "Sáng", 2, "Ngữ văn", "", ""),  # the same slot twice
        ("6A1", 2, "Sáng", 1, "Toán", "", ""),  # Thầy Toán is in 6A2 then
        ("6A1", 5, "Sáng", 1, "=1+1", "", ""),  # a formula
    ]
    client = signed_in(tw.world.admin_a)
    preview = upload(client, rows, tw.start)
    report = preview.context["report"]
    assert sorted({problem.line for problem in report.problems}) == [3, 4, 5, 6, 7, 8, 9, 10]
    text = preview.content.decode()
    assert "Xác nhận nhập" not in text and "Tải danh sách lỗi (.csv)" in text
    assert "trùng tiết: đã dạy lớp 6A2" in text
    csv = client.get(f"{BASE}/import/problems/?token={preview.context['pending'].token}")
    assert csv.status_code == 200 and "Lớp 6A1 đã có tiết này ở dòng 2." in csv.content.decode("utf-8-sig")
    # a forged confirmation writes nothing either
    client.post(f"{BASE}/import/", {"token": preview.context["pending"].token,
                                    "sha256": preview.context["pending"].sha256, "confirm": "x"})  # fmt: skip
    assert (Lesson.objects.count(), Message.objects.count()) == before


def test_the_template_downloads(tw):
    response = signed_in(tw.world.admin_a).get(f"{BASE}/import/template/")
    assert response.status_code == 200 and response.content[:2] == b"PK"


# --- reading pages and permissions ------------------------------------------------------------------------


def test_the_parent_sees_today_and_the_week_from_the_hub(tw):
    save(tw, tw.a1, {MON1: (subject("toan"), tw.math, "P.201")})
    client = signed_in(tw.an_mother)
    home = client.get("/home/").content.decode()
    assert f"/s/test-a/timetable/students/{tw.an.pk}/" in home
    page = client.get(f"{BASE}/students/{tw.an.pk}/?day={tw.start}")
    text = page.content.decode()
    assert page.status_code == 200 and "Toán" in text and "Thầy Toán" in text and "phòng P.201" in text


def test_the_teacher_sees_their_week_and_their_classes_only(tw):
    save(tw, tw.a1, {MON1: (subject("toan"), tw.math), MON2: (subject("ngu-van"), tw.lit)})
    math = signed_in(tw.math.user)
    mine = math.get(f"{BASE}/mine/?day={tw.start}").content.decode()
    assert "lớp 6A1" in mine and "Ngữ văn" not in mine
    assert math.get(f"{BASE}/classes/{tw.a1.pk}/").status_code == 200
    assert math.get(f"{BASE}/").status_code == 302  # a teacher's timetable home is their week
    outsider = signed_in(tw.world.teacher_a)  # teaches neither class
    assert outsider.get(f"{BASE}/classes/{tw.a1.pk}/").status_code == 404
    assert outsider.get(f"{BASE}/mine/").status_code == 200
    manager = signed_in(tw.world.principal_a)
    page = manager.get(f"{BASE}/classes/{tw.a2.pk}/").content.decode()
    assert "Thời khoá biểu lớp 6A2" in page


def test_who_may_not_see_gets_404(tw):
    save(tw, tw.a1, {MON1: (subject("toan"), tw.math)})
    child = f"{BASE}/students/{tw.an.pk}/"
    assert_refused(signed_in(tw.chi_mother), tw.chi_mother, [(child, {})])  # a parent of another child
    assert_refused(
        signed_in(tw.world.staff_b), tw.world.staff_b, [(child, {}), (f"{BASE}/classes/{tw.a1.pk}/", {})]
    )
    teacher = signed_in(tw.math.user)  # a teacher may read, not enter
    for path in (f"{BASE}/classes/{tw.a1.pk}/edit/", f"{BASE}/import/", f"{BASE}/settings/"):
        assert teacher.get(path).status_code == 404
    assert signed_in(tw.an_mother).get(f"{BASE}/mine/").status_code == 404


def test_the_settings_change_the_grid(tw):
    client = signed_in(tw.world.admin_a)
    assert client.post(f"{BASE}/settings/", {"morning_periods": 4, "afternoon_periods": 0}).status_code == 302
    page = client.get(f"{BASE}/classes/{tw.a1.pk}/edit/").content.decode()
    assert "c-0-morning-4-subject" in page and "c-0-morning-5-subject" not in page and "afternoon" not in page
    assert (
        client.post(f"{BASE}/settings/", {"morning_periods": 11, "afternoon_periods": 0}).status_code == 200
    )
