"""Report requests from an office to its schools, walked by both sides through their pages: the office asks
(after a preview), the school's managers find their figures computed from the school's data, correct and
submit them (after a preview), the office returns one with a comment, the school resubmits, the office
approves and locks; a file report; who is late; and nobody else reaches either side."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from attendance.models import AttendanceMark, Mark, RollCall
from messaging.models import Message
from offices.models import EducationOffice, OfficeSchool, OfficeStaff, ReportRequest, ReportSubmission
from schoolbook.audit.models import AuditEvent
from schoolbook.office_reports.prefill import attendance
from schoolbook.office_reports.reminders import reminders_send
from schoolbook.office_reports.tasks import report_reminders
from students.models import GradeLevel, SchoolClass, SchoolYear, StaffMember
from students.permissions import MANAGERS
from tests.conftest import confirm_token, signed_in
from tests.factories import student_enrol

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def office(world):
    """An office covering schools A and B, with one specialist; school A has 6A1 with two students, one
    of them a girl."""
    office = EducationOffice.objects.create(code="so-ha-noi", name="Sở GD&ĐT Hà Nội", kind="province",
                                            province="Hà Nội")  # fmt: skip
    for school in (world.school_a, world.school_b):
        OfficeSchool.objects.create(office=office, school=school)
    specialist = User.objects.create_user("0912000222", full_name="Vũ Chuyên Viên")
    OfficeStaff.objects.create(office=office, user=specialist)
    with schema_context(world.school_a.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        a1 = SchoolClass.objects.create(name="6A1", grade=GradeLevel.objects.get(number=6), year=year)
        student_enrol("RQ-1", a1, "Hà Văn Một")
        student_enrol("RQ-2", a1, "Hà Thị Hai", gender="female")
    return office, signed_in(specialist)


def _ask(client, office, **fields) -> ReportRequest:
    deadline = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    data = {"title": "Thống kê đầu năm 2026–2027", "kind": "statistics", "instructions": "Số liệu ngày 5/9.",
            "deadline": deadline, **fields}  # fmt: skip
    preview = client.post(f"/office/{office.code}/requests/new/", data)
    assert preview.status_code == 200 and "sẽ gửi tới 2 trường" in preview.content.decode()
    assert not ReportRequest.objects.exists()
    sent = client.post(f"/office/{office.code}/requests/new/", {**data, "confirm": confirm_token(preview)})
    request = ReportRequest.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/office/{office.code}/requests/{request.pk}/"
    return request


def test_a_statistics_request_from_asking_to_locking(world, office):
    office, specialist = office
    request = _ask(specialist, office)
    assert sorted(request.submissions.values_list("school__code", flat=True)) == ["test-a", "test-b"]
    assert AuditEvent.objects.filter(action="office.report_request").exists()
    admin = signed_in(world.admin_a)
    home = admin.get("/s/test-a/").content.decode()
    assert 'id="reports-due"' in home and request.title in home
    submission = request.submissions.get(school=world.school_a)
    fill = f"/s/test-a/reports/{submission.pk}/"

    page = admin.get(fill).content.decode()
    # Computed from the school's data: one class of grade 6, two students, one of them a girl.
    for name, value in [("classes", 1), ("students", 2), ("students_female", 1), ("grade_6_students", 2),
                        ("grade_6_female", 1), ("grade_6_classes", 1)]:  # fmt: skip
        assert f'name="{name}" value="{value}"' in page, name
    figures = {"classes": 1, "students": 3, "students_female": 1, "staff": 4, "teachers": 1, "managers": 2,
               "grade_6_classes": 1, "grade_6_students": 3, "grade_6_female": 1}  # fmt: skip
    bad = admin.post(fill, {**figures, "students": "-1"})
    assert bad.status_code == 200 and "Không được âm." in bad.content.decode()
    assert admin.post(fill, figures).status_code == 302
    preview = admin.post(fill, {"action": "submit"})
    assert preview.status_code == 200 and "Số học sinh: 3" in preview.content.decode()
    admin.post(fill, {"action": "submit", "confirm": confirm_token(preview)})
    submission.refresh_from_db()
    assert submission.status == "submitted" and submission.figures["students"] == 3
    admin.post(fill, {**figures, "students": 5})
    submission.refresh_from_db()
    assert submission.figures["students"] == 3  # submitted: no longer editable

    review = f"/office/{office.code}/requests/{request.pk}/schools/test-a/"
    assert "Số học sinh" in specialist.get(review).content.decode()
    refused = specialist.post(review, {"decision": "return", "comment": " "})
    assert "Hãy ghi rõ trường cần sửa gì." in refused.content.decode()
    specialist.post(review, {"decision": "return", "comment": "Khối 6 thiếu một học sinh chuyển đến."})
    submission.refresh_from_db()
    assert submission.status == "returned"
    assert "Khối 6 thiếu một học sinh chuyển đến." in admin.get(fill).content.decode()
    admin.post(fill, {**figures, "students": 4, "grade_6_students": 4})
    preview = admin.post(fill, {"action": "submit"})
    admin.post(fill, {"action": "submit", "confirm": confirm_token(preview)})
    specialist.post(review, {"decision": "approve"})
    specialist.post(review, {"decision": "lock"})
    submission.refresh_from_db()
    assert submission.status == "locked" and submission.figures["students"] == 4
    assert specialist.post(review, {"decision": "approve"}).status_code == 200  # locked: refused, told why

    progress = specialist.get(f"/office/{office.code}/requests/{request.pk}/?status=pending").content.decode()
    assert 'data-code="test-b"' in progress and 'data-code="test-a"' not in progress
    export = specialist.get(f"/office/{office.code}/requests/{request.pk}/export.csv")
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("ma_truong,ten_truong,trang_thai,classes,students,students_female")
    assert lines[1].startswith("test-a,") and ",Đã khóa,1,4,1," in lines[1]
    # The office's decisions in the platform's audit trail, the school's own steps in the school's.
    office_steps = AuditEvent.objects.filter(action__startswith="office.report_").order_by("pk")
    assert [event.action for event in office_steps][-3:] == [
        "office.report_return", "office.report_approve", "office.report_lock"
    ]  # fmt: skip
    with schema_context(world.school_a.schema_name):
        assert AuditEvent.objects.filter(action="office.report_submit", actor=world.admin_a).count() == 2


def test_a_file_report_and_the_late_schools(world, office):
    office, specialist = office
    request = _ask(specialist, office, kind="file", title="Báo cáo tổng kết có chữ ký")
    submission = request.submissions.get(school=world.school_a)
    admin, fill = signed_in(world.admin_a), f"/s/test-a/reports/{submission.pk}/"
    refused = admin.post(fill, {"file": SimpleUploadedFile("bao-cao.pdf", b"MZ\x90\x00 not a pdf")})
    assert "không phải tệp PDF, JPEG hoặc PNG" in refused.content.decode()
    admin.post(fill, {"file": SimpleUploadedFile("bao-cao.pdf", PDF, content_type="application/pdf")})
    preview = admin.post(fill, {"action": "submit"})
    admin.post(fill, {"action": "submit", "confirm": confirm_token(preview)})
    download = specialist.get(f"/office/{office.code}/requests/{request.pk}/schools/test-a/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert (
        specialist.get(f"/office/{office.code}/requests/{request.pk}/schools/test-b/file/").status_code == 404
    )

    ReportRequest.objects.filter(pk=request.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    late = specialist.get(f"/office/{office.code}/requests/{request.pk}/?status=late").content.decode()
    assert 'data-code="test-b"' in late and 'data-code="test-a"' not in late


def test_the_schools_figures_of_attendance_over_a_period(world, office):
    with schema_context(world.school_a.schema_name):
        a1 = SchoolClass.objects.get(name="6A1")
        one, two = a1.enrolments.order_by("student__student_code").values_list("student", flat=True)
        day = timezone.localdate()
        for session, marks in (("morning", {one: Mark.ABSENT_EXCUSED}), ("afternoon", {two: Mark.LATE})):
            roll_call = RollCall.objects.create(school_class=a1, date=day, session=session)
            AttendanceMark.objects.bulk_create(
                AttendanceMark(roll_call=roll_call, student_id=student, mark=mark)
                for student, mark in marks.items()
            )
        assert attendance(day, day) == {"school_days": 1, "marks": 4, "present": 3, "late": 1,
                                         "absent_excused": 1, "absent_unexcused": 0}  # fmt: skip
        assert attendance(day + datetime.timedelta(days=1), day + datetime.timedelta(days=30))["marks"] == 0


def test_nobody_else_reaches_a_request_or_a_submission(world, office):
    office, specialist = office
    request = _ask(specialist, office)
    submission_a = request.submissions.get(school=world.school_a)
    # School B's admin, school A's teacher and a parent: not school A's report.
    assert signed_in(world.staff_b).get(f"/s/test-b/reports/{submission_a.pk}/").status_code == 404
    for user in (world.teacher_a, world.parent):
        assert signed_in(user).get(f"/s/test-a/reports/{submission_a.pk}/").status_code == 404
        assert signed_in(user).get("/s/test-a/reports/").status_code == 404
    other = EducationOffice.objects.create(
        code="phong-khac", name="Phòng Khác", kind="province", province="Huế"
    )
    stranger = User.objects.create_user("0912000333")
    OfficeStaff.objects.create(office=other, user=stranger)
    mine, theirs = f"/office/{office.code}/requests/", f"/office/{other.code}/requests/"
    paths = [mine, f"{mine}{request.pk}/", f"{theirs}{request.pk}/", f"{mine}new/"]
    for path in paths:
        assert signed_in(stranger).get(path).status_code == 404, path
        assert signed_in(world.admin_a).get(path).status_code == 404, path
    assert ReportSubmission.objects.filter(request=request).count() == 2


def test_unanswered_requests_are_reminded_once_a_day_through_the_pipeline(world, office, published):
    office, specialist = office
    request = _ask(specialist, office)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    ReportRequest.objects.filter(pk=request.pk).update(deadline=tomorrow)
    assert report_reminders() == 2  # both schools, each in its own schema
    assert sorted(schema for name, _, schema, _ in published if name.endswith("report_reminders_school")) == [
        world.school_a.schema_name, world.school_b.schema_name
    ]  # fmt: skip
    with schema_context(world.school_a.schema_name):
        managers = StaffMember.objects.filter(is_active=True, roles__overlap=list(MANAGERS)).count()
        assert reminders_send() == managers >= 2
        assert reminders_send() == 0  # once a day
        texts = set(Message.objects.filter(purpose="office_report").values_list("body", flat=True))
        assert texts == {f"Sở GD&ĐT Hà Nội yêu cầu báo cáo “{request.title}”, hạn nộp {tomorrow:%d/%m/%Y}."}
        # The next day, overdue: reminded again, saying so.
        assert reminders_send(today=tomorrow + datetime.timedelta(days=1)) == managers
        assert (
            Message.objects.filter(purpose="office_report", body__contains="đã quá hạn").count() == managers
        )
    # Submitted: no more reminders.
    ReportSubmission.objects.filter(request=request).update(status="submitted")
    assert report_reminders() == 0
