"""Absence alerts. Once per student and session, a correction (once) when what guardians were told changes,
nothing for a late mark alone, one message for a guardian of two absent children, none for a guardian who
turned notifications off, none for period roll calls; leave approval and the gate go through student_mark_set
with the same rules."""

import datetime

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from attendance.marks.services import student_mark_set
from attendance.models import AbsenceAlert
from messaging.models import Message
from students.models import StudentGuardian
from tests.attendance.roll_call.test_roll_call import AFTERNOON, LATE, MORNING, K, P, build, save
from tests.factories import guardian_link

SCHOOL = "Trường THCS Thử Nghiệm A"


@pytest.fixture
def rc(school):
    with schema_context(school.school_a.schema_name):
        yield build(school)


def sent(g):
    """{guardian phone: [bodies]} of the absence messages, oldest first."""
    bodies = {}
    for message in Message.objects.filter(purpose="absence").order_by("pk"):
        bodies.setdefault(message.phone, []).append(message.body)
    return bodies


def dm(g):
    return g.today.strftime("%d/%m")


def test_an_absence_alerts_each_guardian_once_with_the_school_name(rc):
    s0, s1, *_ = rc.students
    result = save(rc, {s0: K, s1: P})
    assert result.alerts == 2
    assert sent(rc) == {
        rc.guardians[0].phone: [f"{SCHOOL}: Con Nguyễn Văn 00 vắng buổi sáng {dm(rc)} (không phép)."],
        rc.guardians[1].phone: [f"{SCHOOL}: Con Nguyễn Văn 01 vắng buổi sáng {dm(rc)} (có phép)."],
    }
    message = Message.objects.filter(purpose="absence").first()
    assert message.reference == f"absence:{rc.today.isoformat()}:morning"
    assert set(AbsenceAlert.objects.values_list("student_id", "mark")) == {(s0.pk, K), (s1.pk, P)}
    # Re-saving the same roll call tells nobody anything again.
    assert save(rc, {s0: K, s1: P}, version=1).alerts == 0
    assert Message.objects.filter(purpose="absence").count() == 2


def test_a_change_sends_one_correction_and_updates_the_alert(rc):
    s0, s1, s2, _ = rc.students
    save(rc, {s0: K, s1: K})
    save(rc, {s0: P, s1: LATE}, version=1)  # K → P, K → late, still nothing for s2
    save(rc, {s0: P, s1: LATE}, version=2)  # the same again: no second correction
    save(rc, {s1: LATE}, version=3)  # s0 came after all
    g0, g1 = rc.guardians[0].phone, rc.guardians[1].phone
    day = dm(rc)
    assert sent(rc) == {
        g0: [
            f"{SCHOOL}: Con Nguyễn Văn 00 vắng buổi sáng {day} (không phép).",
            f"{SCHOOL}: Điều chỉnh: con Nguyễn Văn 00 vắng có phép buổi sáng {day}.",
            f"{SCHOOL}: Điều chỉnh: con Nguyễn Văn 00 có mặt buổi sáng {day}.",
        ],
        g1: [
            f"{SCHOOL}: Con Nguyễn Văn 01 vắng buổi sáng {day} (không phép).",
            f"{SCHOOL}: Điều chỉnh: con Nguyễn Văn 01 đi muộn buổi sáng {day}.",
        ],
    }
    alert = AbsenceAlert.objects.get(student=s0)
    assert alert.mark == "" and alert.corrected_at is not None
    assert not AbsenceAlert.objects.filter(student=s2).exists()


def test_late_alone_alerts_nobody(rc):
    save(rc, {rc.students[0]: LATE})
    assert sent(rc) == {} and not AbsenceAlert.objects.exists()


def test_a_guardian_of_two_absent_children_gets_one_message(rc):
    s0, s1, *_ = rc.students
    guardian_link(s1, rc.guardians[0].phone, relationship="father")  # s0's guardian is s1's too
    quiet = StudentGuardian.objects.get(student=s1, guardian=rc.guardians[1])
    quiet.receives_notifications = False
    quiet.save(update_fields=["receives_notifications"])
    assert save(rc, {s0: K, s1: K}).alerts == 1
    assert sent(rc) == {
        rc.guardians[0].phone: [
            f"{SCHOOL}: Con Nguyễn Văn 00 vắng buổi sáng {dm(rc)} (không phép). "
            f"Con Nguyễn Văn 01 vắng buổi sáng {dm(rc)} (không phép)."
        ]
    }
    assert AbsenceAlert.objects.count() == 2  # both recorded: a later correction still reaches the guardian


def test_sessions_are_alerted_separately_period_roll_calls_never(rc):
    s0 = rc.students[0]
    save(rc, {s0: K})
    save(rc, {s0: K}, session=AFTERNOON)
    save(rc, {s0: K}, actor=rc.math_teacher, period=4, subject=rc.toan)
    assert [body.split(" vắng ")[1] for body in sent(rc)[rc.guardians[0].phone]] == [
        f"buổi sáng {dm(rc)} (không phép).",
        f"buổi chiều {dm(rc)} (không phép).",
    ]


def test_student_mark_set_alerts_and_corrects_like_a_roll_call(rc):
    s0, s1, *_ = rc.students
    save(rc, {s1: K})
    # The gate saw s1 arrive late; leave approval for s0 afterwards; then the gate saw s0 too.
    student_mark_set(student=s1, day=rc.today, session=MORNING, mark=LATE, source="gate")
    student_mark_set(student=s0, day=rc.today, session=MORNING, mark=P, source="leave")
    student_mark_set(student=s0, day=rc.today, session=MORNING, mark=P, source="leave")  # again: nothing
    student_mark_set(student=s0, day=rc.today, session=MORNING, mark=None, source="gate")
    day = dm(rc)
    assert sent(rc) == {
        rc.guardians[0].phone: [
            f"{SCHOOL}: Con Nguyễn Văn 00 vắng buổi sáng {day} (có phép).",
            f"{SCHOOL}: Điều chỉnh: con Nguyễn Văn 00 có mặt buổi sáng {day}.",
        ],
        rc.guardians[1].phone: [
            f"{SCHOOL}: Con Nguyễn Văn 01 vắng buổi sáng {day} (không phép).",
            f"{SCHOOL}: Điều chỉnh: con Nguyễn Văn 01 đi muộn buổi sáng {day}.",
        ],
    }


def test_messages_are_dispatched_after_the_commit(rc, published, django_capture_on_commit_callbacks):
    """Written with the roll call (messaging's outbox), sent to the worker only once it is committed."""
    with django_capture_on_commit_callbacks(execute=True):
        save(rc, {rc.students[0]: K})
        assert Message.objects.filter(purpose="absence").count() == 1
        assert published == []
    assert [(schema, queue) for _task, _ids, schema, queue in published] == [
        (connection.schema_name, "default")
    ]


def test_a_past_day_correction_by_a_manager_corrects_what_was_said(rc):
    s0 = rc.students[0]
    yesterday = rc.today - datetime.timedelta(days=1)
    save(rc, {s0: K}, actor=rc.principal, day=yesterday)
    save(rc, {s0: P}, actor=rc.principal, day=yesterday, version=1)
    day = yesterday.strftime("%d/%m")
    assert (
        sent(rc)[rc.guardians[0].phone][-1]
        == f"{SCHOOL}: Điều chỉnh: con Nguyễn Văn 00 vắng có phép buổi sáng {day}."
    )
