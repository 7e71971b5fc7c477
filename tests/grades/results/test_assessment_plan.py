"""The assessment plan: per year × grade × subject, the number of regular assessments per
semester generated from the periods (Circular 22, art. 7), shown to managers and adjustable by the school
admin and the principal until grade entry starts."""

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from grades.cells import GradeError
from grades.models import AssessmentPlan
from grades.results.services import assessment_plan_generate, assessment_plan_update
from schoolbook.audit.models import AuditEvent
from students.models import SchoolYear
from students.services import staff_add

URL = "/s/test-a/grades/plan/"


def _count(grade, code):
    return AssessmentPlan.objects.get(grade__number=grade, subject__code=code).regular_count


def _counts():
    return dict(AssessmentPlan.objects.values_list("pk", "regular_count"))


@pytest.fixture
def year(world):
    with schema_context(world.school_a.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        assessment_plan_generate(actor=world.admin_a, year=year)
        yield year


# --- generation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grade, code, expected, rule",
    [
        (6, "toan", 4, "140 periods: more than 70 → 4"),
        (8, "cong-nghe", 3, "52 periods: more than 35, up to 70 → 3"),
        (6, "cong-nghe", 2, "35 periods: up to 35 → 2"),
        (9, "tin-hoc", 2, "35 periods → 2"),
        (7, "ngoai-ngu-1", 4, "105 periods → 4"),
        (6, "giao-duc-the-chat", 2, "comment-only (Đạt/Chưa đạt) subjects: 2"),
        (9, "hoat-dong-trai-nghiem", 2, "comment-only, 105 periods: still 2"),
    ],
)
def test_generated_counts_follow_circular_22(year, grade, code, expected, rule):
    assert _count(grade, code) == expected, rule


def test_generation_covers_every_subject_load_and_copies_the_kind(year):
    from students.models import SubjectLoad

    assert AssessmentPlan.objects.filter(year=year).count() == SubjectLoad.objects.count() == 4 * 12
    plan = AssessmentPlan.objects.get(grade__number=6, subject__code="giao-duc-the-chat")
    assert plan.assessment == "pass_fail" and plan.locked_at is None


def test_generation_is_idempotent_and_keeps_edits(world, year):
    toan = AssessmentPlan.objects.get(grade__number=6, subject__code="toan")
    assessment_plan_update(actor=world.admin_a, plan=toan, regular_count=6)
    before = _counts()
    assert assessment_plan_generate(actor=world.admin_a, year=year) == 0
    assert _counts() == before and _count(6, "toan") == 6


def test_primary_subjects_get_zero_and_cannot_be_changed(world, year):
    from students.catalogue import PRIMARY
    from students.models import GradeLevel, Subject, SubjectLoad

    grade = GradeLevel.objects.create(number=1, level=PRIMARY)
    subject = Subject.objects.create(code="toan", name="Toán", level=PRIMARY, assessment="primary_rating")
    SubjectLoad.objects.create(subject=subject, grade=grade, periods_per_year=105)
    assert assessment_plan_generate(actor=world.admin_a, year=year) == 1
    plan = AssessmentPlan.objects.get(grade=grade, subject=subject)
    assert plan.regular_count == 0
    with pytest.raises(GradeError, match="tiểu học"):
        assessment_plan_update(actor=world.admin_a, plan=plan, regular_count=2)


@pytest.mark.parametrize("value", [0, 11])
def test_update_refuses_out_of_range(world, year, value):
    plan = AssessmentPlan.objects.get(grade__number=6, subject__code="toan")
    with pytest.raises(GradeError, match="từ 1 đến 10"):
        assessment_plan_update(actor=world.admin_a, plan=plan, regular_count=value)
    assert _count(6, "toan") == 4 and not AuditEvent.objects.filter(action="assessment_plan.update").exists()


def test_update_refuses_a_locked_row(world, year):
    plan = AssessmentPlan.objects.get(grade__number=6, subject__code="toan")
    AssessmentPlan.objects.filter(pk=plan.pk).update(locked_at=timezone.now())
    with pytest.raises(GradeError, match="Đã bắt đầu nhập điểm"):
        assessment_plan_update(actor=world.admin_a, plan=plan, regular_count=5)
    assert _count(6, "toan") == 4


def test_update_is_audited(world, year):
    plan = AssessmentPlan.objects.get(grade__number=8, subject__code="cong-nghe")
    assessment_plan_update(actor=world.principal_a, plan=plan, regular_count=5)
    event = AuditEvent.objects.get(action="assessment_plan.update")
    assert event.actor == world.principal_a
    assert (event.before, event.after) == ({"regular_count": 3}, {"regular_count": 5})
    assert event.action_label == "điều chỉnh kế hoạch đánh giá"


# --- the page ---------------------------------------------------------------------------------------------


@pytest.fixture
def plans(world):
    """(grade, subject code) → plan id, generated in school A's current year."""
    with schema_context(world.school_a.schema_name):
        assessment_plan_generate(actor=world.admin_a, year=SchoolYear.objects.get(is_current=True))
        return {
            (grade, code): pk
            for pk, grade, code in AssessmentPlan.objects.values_list("pk", "grade__number", "subject__code")
        }


def _state(world):
    with schema_context(world.school_a.schema_name):
        return _counts(), AuditEvent.objects.filter(action="assessment_plan.update").count()


def _user(world, phone, role):
    with schema_context(world.school_a.schema_name):
        staff_add(actor=world.admin_a, school=world.school_a, phone=phone, full_name="Ngô Phó", roles=[role])
    return User.objects.get(phone=f"+84{phone[1:]}")


def test_principal_sees_the_plan_per_grade(client, world):
    client.force_login(world.principal_a)
    response = client.get(URL)  # the page generates the missing rows of the year
    assert response.status_code == 200
    page = response.content.decode()
    for grade in (6, 7, 8, 9):
        assert f'data-grade="{grade}"' in page
    row = page.split('data-plan="8-cong-nghe"')[1].split("</tr>")[0]
    assert "Công nghệ" in row and "Cho điểm" in row and "<td>52</td>" in row and 'value="3"' in row
    row = page.split('data-plan="6-giao-duc-the-chat"')[1].split("</tr>")[0]
    assert "Nhận xét Đạt/Chưa đạt" in row and 'value="2"' in row
    assert 'name="csrfmiddlewaretoken"' in page


def test_school_home_links_to_the_plan_for_managers_only(client, world):
    client.force_login(world.principal_a)
    assert URL in client.get("/s/test-a/").content.decode()
    client.force_login(world.teacher_a)
    assert URL not in client.get("/s/test-a/").content.decode()


def test_admin_saves_changed_rows(client, world, plans):
    client.force_login(world.admin_a)
    toan, tin = plans[(6, "toan")], plans[(9, "tin-hoc")]
    response = client.post(
        URL, {f"count-{toan}": "5", f"count-{tin}": " 3 ", f"count-{plans[(7, 'toan')]}": "4"}
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Đã lưu kế hoạch đánh giá (2 môn thay đổi)." in page
    with schema_context(world.school_a.schema_name):
        assert _count(6, "toan") == 5 and _count(9, "tin-hoc") == 3 and _count(7, "toan") == 4
        assert AuditEvent.objects.filter(action="assessment_plan.update").count() == 2


@pytest.mark.parametrize(
    "bad, message",
    [
        ("0", "Số lần đánh giá thường xuyên phải từ 1 đến 10."),
        ("11", "Số lần đánh giá thường xuyên phải từ 1 đến 10."),
        ("abc", "Nhập một số nguyên từ 1 đến 10."),
        ("", "Nhập một số nguyên từ 1 đến 10."),
        ("-1", "Nhập một số nguyên từ 1 đến 10."),
    ],
)
def test_a_bad_row_saves_nothing(client, world, plans, bad, message):
    before = _state(world)
    client.force_login(world.principal_a)
    response = client.post(URL, {f"count-{plans[(6, 'toan')]}": "5", f"count-{plans[(8, 'cong-nghe')]}": bad})
    assert response.status_code == 400
    page = response.content.decode()
    row = page.split('data-plan="8-cong-nghe"')[1].split("</tr>")[0]
    assert message in row and 'role="alert"' in row and f'value="{bad}"' in row
    assert 'value="5"' in page.split('data-plan="6-toan"')[1].split("</tr>")[0]  # what was typed is kept
    assert _state(world) == before


def test_a_locked_row_is_read_only_and_refused(client, world, plans):
    with schema_context(world.school_a.schema_name):
        AssessmentPlan.objects.filter(pk=plans[(6, "toan")]).update(locked_at=timezone.now())
    before = _state(world)
    client.force_login(world.admin_a)
    page = client.get(URL).content.decode()
    row = page.split('data-plan="6-toan"')[1].split("</tr>")[0]
    assert "<input" not in row and "đã khóa" in row
    response = client.post(URL, {f"count-{plans[(6, 'toan')]}": "6"})
    assert response.status_code == 302  # a locked row's field is ignored
    assert _state(world) == before


def test_a_row_locked_while_editing_is_reported(client, world, plans, monkeypatch):
    """Entry started between the page and the save: the service refuses, nothing is saved."""
    from grades.results import views

    real = views._plans

    def lock_after_reading(year):
        rows = real(year)
        AssessmentPlan.objects.filter(pk=plans[(6, "toan")]).update(locked_at=timezone.now())
        return rows

    monkeypatch.setattr(views, "_plans", lock_after_reading)
    before = _state(world)
    client.force_login(world.principal_a)
    response = client.post(URL, {f"count-{plans[(6, 'toan')]}": "6", f"count-{plans[(6, 'tin-hoc')]}": "3"})
    assert response.status_code == 400
    assert "Đã bắt đầu nhập điểm" in response.content.decode()
    assert _state(world) == before


def test_vice_principal_sees_the_plan_read_only(client, world, plans):
    vice = _user(world, "0900000014", Role.VICE_PRINCIPAL)
    client.force_login(vice)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-plan="6-toan"' in page and '<input type="number"' not in page
    before = _state(world)
    assert client.post(URL, {f"count-{plans[(6, 'toan')]}": "6"}).status_code == 404
    assert _state(world) == before


@pytest.mark.parametrize("who", ["teacher_a", "staff_b"])
def test_everyone_else_gets_404(client, world, plans, who):
    before = _state(world)
    client.force_login(getattr(world, who))
    assert client.get(URL).status_code == 404
    assert client.post(URL, {f"count-{plans[(6, 'toan')]}": "6"}).status_code == 404
    assert _state(world) == before


def test_other_years_plan_by_query(client, world):
    with schema_context(world.school_a.schema_name):
        current = SchoolYear.objects.get(is_current=True)
        past = SchoolYear.objects.create(
            name="2000-2001",
            starts_on=current.starts_on.replace(year=2000),
            ends_on=current.ends_on.replace(year=2001),
        )
    client.force_login(world.principal_a)
    page = client.get(f"{URL}?year={past.pk}").content.decode()
    assert "2000-2001" in page and 'action="?year=' + str(past.pk) + '"' in page
    with schema_context(world.school_a.schema_name):
        assert AssessmentPlan.objects.filter(year=past).count() == 48
