"""The getting-started checklist on a new school's home: each step ticks itself from the school's data, links
to its page, and the list goes away once every step is done. Managers only."""

from django.utils import timezone

from schoolbook.audit.models import AuditEvent
from students.models import Guardian, GuardianInvite, SchoolClass, StaffMember
from students.setup.checklist import setup_steps
from tests.factories import assignment_make, guardian_link, student_enrol


def _done(steps) -> dict[str, bool]:
    return {step.key: step.done for step in steps}


def test_each_step_ticks_from_the_data(school):
    world = school
    steps = _done(setup_steps())
    # School A: onboarding proposed the year; teacher_a is on the staff; 6A1 and 6A2 have no homeroom teacher.
    assert steps == {"year": False, "classes": False, "staff": True, "students": False,
                     "assignments": False, "invite": False}  # fmt: skip

    AuditEvent.objects.create(actor=world.admin_a, action="year.dates", object_repr="2026-2027")
    teacher = StaffMember.objects.get(user=world.teacher_a)
    class_6a1 = SchoolClass.objects.get(name="6A1")
    class_6a1.homeroom_teacher = teacher
    class_6a1.save()
    by_key = {step.key: step for step in setup_steps()}
    assert by_key["year"].done
    assert not by_key["classes"].done and by_key["classes"].detail == "1 lớp chưa có giáo viên chủ nhiệm."

    SchoolClass.objects.filter(name="6A2").update(
        archived_at=timezone.now()
    )  # an archived class counts no more
    an = student_enrol("GS001", class_6a1, "Nguyễn Văn An")
    by_key = {step.key: step for step in setup_steps()}
    assert by_key["classes"].done
    assert not by_key["students"].done and by_key["students"].detail == "1 học sinh chưa có phụ huynh."

    guardian_link(an, "+84981440001")
    assignment_make(teacher, class_6a1, "toan")
    GuardianInvite.objects.create(
        guardian=Guardian.objects.get(phone="+84981440001"), invited_at=timezone.now()
    )
    assert all(_done(setup_steps()).values())


def test_the_home_shows_the_checklist_to_managers_until_done(client, school):
    world = school
    client.force_login(world.admin_a)
    page = client.get("/s/test-a/").content.decode()
    assert 'aria-labelledby="getting-started-title"' in page
    for path in ("years/", "classes/", "staff/", "students/", "assignments/", "guardians/invite/"):
        assert f'href="/s/test-a/{path}"' in page
    assert "Đã xong 1/6 bước" in page

    client.force_login(world.teacher_a)  # a teacher does not set the school up
    assert "getting-started-title" not in client.get("/s/test-a/").content.decode()


def test_the_checklist_goes_away_when_every_step_is_done(client, school):
    world = school
    AuditEvent.objects.create(actor=world.admin_a, action="year.create", object_repr="2026-2027")
    teacher = StaffMember.objects.get(user=world.teacher_a)
    SchoolClass.objects.update(homeroom_teacher=teacher)
    for number, school_class in enumerate(SchoolClass.objects.all()):
        child = student_enrol(f"GD{number}", school_class, "Trần Thị Bình")
        guardian_link(child, f"+8498144100{number}")
        assignment_make(teacher, school_class, "toan")
    GuardianInvite.objects.create(guardian=Guardian.objects.first(), invited_at=timezone.now())
    client.force_login(world.admin_a)
    assert "getting-started-title" not in client.get("/s/test-a/").content.decode()
