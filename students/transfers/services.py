"""A transfer between two schools is a request the receiving school decides.

The sending school (A) creates a TransferRequest in the public schema with the student's snapshot and
guardians; the student goes on studying in A. The receiving school (B) accepts (choosing its class and its
own code; guardians are matched by phone or created) or declines with a reason. Only an acceptance changes
A: the open enrolment ends the day before the transfer date and the student becomes "transferred".

What A may learn: only the request's status and a decline's reason. No service run for A reads B's rows,
so no error A sees can depend on them; B's errors (code or national ID taken, class gone) are shown to B.
A student who leaves A otherwise (withdrawn) takes its pending request with it. Every step is audited in
both schools. The request row is locked for a decision, so a second accept or a
decline racing an accept finds it decided and changes nothing."""

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from accounts.services import user_get_or_create
from schoolbook.audit.services import audit_record
from students.models import (
    Enrolment,
    Guardian,
    SchoolClass,
    Student,
    StudentGuardian,
    StudentStatus,
)
from students.services import _end_enrolment, _open_enrolment
from tenants.models import School, TransferRequest
from tenants.services import affiliation_add


class TransferError(ValueError):
    pass


def _audit_in(school: School, **event) -> None:
    with schema_context(school.schema_name):
        audit_record(**event)


def _snapshot_after(transfer: TransferRequest, **extra) -> dict:
    return {"from_school": transfer.from_school.code, "to_school": transfer.to_school.code,
            "on": transfer.on_date.isoformat(), **extra}  # fmt: skip


@transaction.atomic
def transfer_request_create(
    *, actor, from_school: School, student: Student, to_school: School, on_date: date, reason: str,
) -> TransferRequest:  # fmt: skip
    """Ask `to_school` to take `student` of `from_school` from `on_date`. Call inside A's schema. Reads
    nothing of B but that it is an active school; refuses only for reasons of A's own data."""
    if to_school.pk == from_school.pk or not to_school.is_active:
        raise TransferError(gettext("Chọn một trường khác đang hoạt động trên Schoolbook."))
    student = Student.objects.select_for_update().get(pk=student.pk)
    if student.status != StudentStatus.STUDYING:
        raise TransferError(gettext("Chỉ chuyển trường được cho học sinh đang học."))
    current = _open_enrolment(student)
    if current is not None and on_date <= current.starts_on:
        raise TransferError(
            gettext("Ngày chuyển trường phải sau ngày vào lớp hiện tại (%(date)s).")
            % {"date": current.starts_on.strftime("%d/%m/%Y")}
        )
    if TransferRequest.objects.filter(
        from_school=from_school, student_id=student.pk, status=TransferRequest.Status.PENDING
    ).exists():
        raise TransferError(gettext("Học sinh đã có một yêu cầu chuyển trường đang chờ xử lý."))
    guardians = [
        {
            "full_name": link.guardian.full_name,
            "phone": link.guardian.phone,
            "email": link.guardian.email,
            "user_id": link.guardian.user_id,
            "relationship": link.relationship,
            "is_primary_contact": link.is_primary_contact,
            "receives_notifications": link.receives_notifications,
        }
        for link in student.guardian_links.select_related("guardian").order_by("-is_primary_contact", "pk")
    ]
    transfer = TransferRequest.objects.create(
        from_school=from_school, to_school=to_school, student_id=student.pk,
        student_code=student.student_code, full_name=student.full_name, date_of_birth=student.date_of_birth,
        gender=student.gender, national_id=student.national_id, sector_id=student.sector_id,
        guardians=guardians,
        reason=reason, on_date=on_date, requested_by=actor,
    )  # fmt: skip
    after = _snapshot_after(transfer, reason=reason)
    audit_record(actor=actor, action="transfer.request", obj=student, after=after)
    _audit_in(to_school, actor=actor, action="transfer.incoming", obj=transfer, after=after)
    return transfer


def _locked_pending(transfer: TransferRequest) -> TransferRequest:
    """The request, locked; TransferError if someone decided it meanwhile (a second accept, a decline
    racing an accept, a withdrawal)."""
    locked = (
        TransferRequest.objects.select_for_update()
        .select_related("from_school", "to_school")
        .get(pk=transfer.pk)
    )
    if not locked.is_pending:
        raise TransferError(
            gettext("Yêu cầu này đã được xử lý (%(status)s).") % {"status": locked.get_status_display()}
        )
    return locked


def _decide(transfer: TransferRequest, *, actor, status, decline_reason="") -> None:
    transfer.status = status
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.decline_reason = decline_reason
    transfer.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])


@transaction.atomic
def transfer_request_withdraw(*, actor, transfer: TransferRequest) -> TransferRequest:
    """The sending school takes its pending request back."""
    transfer = _locked_pending(transfer)
    _decide(transfer, actor=actor, status=TransferRequest.Status.WITHDRAWN)
    after = _snapshot_after(transfer)
    _audit_in(transfer.from_school, actor=actor, action="transfer.withdraw", obj=transfer, after=after)
    _audit_in(transfer.to_school, actor=actor, action="transfer.withdraw", obj=transfer, after=after)
    return transfer


def transfer_requests_withdraw_for(*, actor, student: Student) -> int:
    """The student leaves this school otherwise (students.people.services.student_withdraw): its pending
    request, if any, is withdrawn with it, so that no acceptance comes after. Call inside the school's
    schema and the caller's transaction."""
    pending = TransferRequest.objects.filter(
        from_school__schema_name=connection.schema_name,
        student_id=student.pk,
        status=TransferRequest.Status.PENDING,
    )
    for transfer in pending:
        transfer_request_withdraw(actor=actor, transfer=transfer)
    return len(pending)


@transaction.atomic
def transfer_decline(*, actor, transfer: TransferRequest, reason: str) -> TransferRequest:
    """The receiving school says no, with a reason the sending school sees. A is unchanged."""
    transfer = _locked_pending(transfer)
    _decide(transfer, actor=actor, status=TransferRequest.Status.DECLINED, decline_reason=reason)
    after = _snapshot_after(transfer, reason=reason)
    _audit_in(transfer.to_school, actor=actor, action="transfer.decline", obj=transfer, after=after)
    # In A's log the decision is the platform's ("Hệ thống"): who in B decided is B's business.
    _audit_in(transfer.from_school, actor=None, action="transfer.declined", obj=transfer, after=after)
    return transfer


@transaction.atomic
def transfer_accept(*, actor, transfer: TransferRequest, to_class: SchoolClass, student_code: str) -> Student:
    """The receiving school takes the student into `to_class` (one of its current classes) under its own
    `student_code`, from the request's date. Call inside B's schema. Guardians are matched by phone or
    created, each affiliated to B. Then A's enrolment ends and its student becomes transferred, in the same
    transaction. Returns B's new Student."""
    transfer = _locked_pending(transfer)
    if to_class.archived_at is not None or not to_class.year.is_current:
        raise TransferError(gettext("Chọn một lớp của năm học hiện tại."))
    if Student.objects.filter(student_code=student_code).exists():
        raise TransferError(gettext("Mã học sinh %(code)s đã có ở trường.") % {"code": student_code})
    if transfer.national_id and Student.objects.filter(national_id=transfer.national_id).exists():
        raise TransferError(
            gettext("Số định danh %(id)s đã có ở trường: kiểm tra lại hồ sơ trước khi nhận.")
            % {"id": transfer.national_id}
        )
    if transfer.sector_id and Student.objects.filter(sector_id=transfer.sector_id).exists():
        raise TransferError(
            gettext("Mã định danh %(id)s đã có ở trường: kiểm tra lại hồ sơ trước khi nhận.")
            % {"id": transfer.sector_id}
        )
    new = Student.objects.create(
        student_code=student_code, national_id=transfer.national_id, sector_id=transfer.sector_id,
        full_name=transfer.full_name,
        date_of_birth=transfer.date_of_birth, gender=transfer.gender, status=StudentStatus.STUDYING,
    )  # fmt: skip
    Enrolment.objects.create(student=new, school_class=to_class, starts_on=transfer.on_date)
    _guardians_link(actor=actor, student=new, guardians=transfer.guardians, school=transfer.to_school)
    _decide(transfer, actor=actor, status=TransferRequest.Status.ACCEPTED)
    audit_record(
        actor=actor, action="student.transfer_in", obj=new,
        after=_snapshot_after(transfer, **{"class": to_class.name,
                                           "guardians": [g["phone"] for g in transfer.guardians]}),
    )  # fmt: skip
    with schema_context(transfer.from_school.schema_name):
        _transfer_out(transfer=transfer)
    return new


def _guardians_link(*, actor, student, guardians, school) -> None:
    from accounts.models import User

    users = User.objects.in_bulk([g["user_id"] for g in guardians if g["user_id"]])
    by_phone = {user.phone: user for user in User.objects.filter(phone__in=[g["phone"] for g in guardians])}
    for item in guardians:
        # Every guardian has a user, so the parent logs in with a code and finds this school at home.
        user = (
            users.get(item["user_id"])
            or by_phone.get(item["phone"])
            or user_get_or_create(phone=item["phone"], full_name=item["full_name"], actor=actor)
        )
        guardian, created = Guardian.objects.get_or_create(
            phone=item["phone"],
            defaults={"full_name": item["full_name"], "email": item["email"], "user": user},
        )
        if not created and guardian.user_id is None:
            guardian.user = user
            guardian.save(update_fields=["user"])
        StudentGuardian.objects.create(
            student=student,
            guardian=guardian,
            relationship=item["relationship"],
            is_primary_contact=item["is_primary_contact"],
            receives_notifications=item["receives_notifications"],
        )
        affiliation_add(user=guardian.user, school=school, is_guardian=True)


def _transfer_out(*, transfer) -> None:
    """A's side of an acceptance, inside A's schema. A student A withdrew or graduated meanwhile keeps that
    status; the acceptance is recorded all the same. The event's actor is the platform ("Hệ thống"), not
    B's manager, whose name is B's business."""
    old = Student.objects.select_for_update().filter(pk=transfer.student_id).first()
    if old is None or old.status != StudentStatus.STUDYING:
        audit_record(actor=None, action="student.transfer_out", obj=transfer,
                     after=_snapshot_after(transfer))  # fmt: skip
        return
    current = _open_enrolment(old)
    if current is not None:
        _end_enrolment(current, max(transfer.on_date, current.starts_on + timedelta(days=1)))
    old.status = StudentStatus.TRANSFERRED
    old.save(update_fields=["status"])
    audit_record(
        actor=None, action="student.transfer_out", obj=old,
        before={"status": StudentStatus.STUDYING, "class": current.school_class.name if current else ""},
        after=_snapshot_after(transfer, status=StudentStatus.TRANSFERRED),
    )  # fmt: skip
