"""Writes for people one by one: staff edited, deactivated, removed from the school; students
added, edited, withdrawn; guardians added, corrected, removed, made the primary contact. Each service is
atomic and audited, checks again what its form checked, and keeps the caches and the public user ↔ school
index (tenants.SchoolAffiliation) true. Call inside the school's schema."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.roles import Role
from accounts.services import user_get_or_create
from schoolbook.audit.services import audit_record
from schoolbook.phones import format_national
from students.models import (
    Enrolment,
    Guardian,
    SchoolClass,
    StaffMember,
    Student,
    StudentGuardian,
    StudentStatus,
    TeachingAssignment,
)
from students.services import StaffError, _end_enrolment, _open_enrolment
from students.transfers.services import transfer_requests_withdraw_for
from tenants.services import affiliation_add, affiliation_remove


class PeopleError(ValueError):
    pass


# --- staff ---------------------------------------------------------------------------------------------


def _keep_an_admin(staff: StaffMember, *, roles_after: list[str], active_after: bool) -> None:
    """A school never loses its last active school admin. The other admins' rows are locked, so two
    managers removing two admins at once cannot both succeed."""
    if not (staff.is_active and Role.SCHOOL_ADMIN in staff.roles):
        return
    if active_after and Role.SCHOOL_ADMIN in roles_after:
        return
    others = (
        StaffMember.objects.select_for_update()
        .filter(is_active=True, roles__contains=[Role.SCHOOL_ADMIN])
        .exclude(pk=staff.pk)
    )
    if not list(others.values_list("pk", flat=True)):
        raise PeopleError(
            gettext(
                "%(name)s là quản trị trường duy nhất đang làm việc: giao vai trò “Quản trị trường” cho "
                "một người khác trước."
            )
            % {"name": staff.full_name}
        )


def _not_yourself(actor, staff: StaffMember) -> None:
    if actor is not None and staff.user_id == actor.pk:
        raise PeopleError(gettext("Bạn không thể tự cho mình nghỉ hoặc rời trường."))


def _locked_staff(staff: StaffMember) -> StaffMember:
    return StaffMember.objects.select_for_update().get(pk=staff.pk)


@transaction.atomic
def staff_edit(
    *, actor, staff: StaffMember, full_name: str, roles: list[str], position: str, subjects
) -> StaffMember:
    """Name, roles (vice principal included), position and the subjects a teacher teaches."""
    staff = _locked_staff(staff)
    roles = sorted(set(roles))
    if not roles or any(role not in Role.values for role in roles):
        raise StaffError(gettext("Chọn ít nhất một vai trò hợp lệ."))
    _keep_an_admin(staff, roles_after=roles, active_after=staff.is_active)
    before = {
        "full_name": staff.full_name,
        "roles": staff.roles,
        "position": staff.position,
        "subjects": sorted(staff.subjects.values_list("code", flat=True)),
    }
    staff.full_name, staff.roles, staff.position = full_name, roles, position
    staff.save(update_fields=["full_name", "roles", "position"])
    staff.subjects.set(subjects)
    after = {
        "full_name": full_name,
        "roles": roles,
        "position": position,
        "subjects": sorted(subject.code for subject in subjects),
    }
    audit_record(actor=actor, action="staff.edit", obj=staff, before=before, after=after)
    return staff


@transaction.atomic
def staff_set_active(*, actor, school, staff: StaffMember, active: bool) -> StaffMember:
    """Deactivate (access ends at once: the cached staff lookup is forgotten by students.signals when the
    row is saved) or reactivate (also someone who had left the school)."""
    staff = _locked_staff(staff)
    if active == staff.is_active and not (active and staff.left_on):
        return staff
    if not active:
        _not_yourself(actor, staff)
        _keep_an_admin(staff, roles_after=staff.roles, active_after=False)
    before = {"is_active": staff.is_active, "left_on": staff.left_on and staff.left_on.isoformat()}
    staff.is_active = active
    if active:
        staff.left_on = None
    staff.save(update_fields=["is_active", "left_on"])
    if active:
        affiliation_add(user=staff.user, school=school, is_staff=True)
    else:
        affiliation_remove(user=staff.user, school=school, is_staff=True)
    audit_record(
        actor=actor,
        action="staff.reactivate" if active else "staff.deactivate",
        obj=staff,
        before=before,
        after={"is_active": active},
    )
    return staff


def staff_current_duties(staff: StaffMember, today: date | None = None):
    """The homeroom classes and teaching assignments of the staff member in school years not yet over:
    what a removal releases. Past years stay as they were (history)."""
    today = today or timezone.localdate()
    classes = SchoolClass.objects.filter(homeroom_teacher=staff, year__ends_on__gte=today).select_related(
        "year"
    )
    assignments = TeachingAssignment.objects.filter(
        teacher=staff, school_class__year__ends_on__gte=today
    ).select_related("school_class", "subject")
    return (
        classes.order_by("year__starts_on", "name"),
        assignments.order_by("school_class__name", "subject__order"),
    )


@transaction.atomic
def staff_remove(*, actor, school, staff: StaffMember) -> dict:
    """Someone leaves the school: their access ends at once (inactive, cached lookup forgotten, no longer
    staff in the public index), their homeroom classes and teaching assignments of the years not yet over
    are released for someone else, and everything they did stays under their name (grades, notices, the
    audit log keep pointing at the row, which is kept with `left_on`). The user account is not deleted.
    Returns the names of what was released."""
    staff = _locked_staff(staff)
    if staff.left_on is not None:
        raise PeopleError(gettext("%(name)s đã rời trường.") % {"name": staff.full_name})
    _not_yourself(actor, staff)
    _keep_an_admin(staff, roles_after=staff.roles, active_after=False)
    classes, assignments = staff_current_duties(staff)
    classes, assignments = list(classes.select_for_update(of=("self",))), list(assignments)
    released = {
        "homeroom": [school_class.name for school_class in classes],
        "assignments": [f"{a.subject.name} – {a.school_class.name}" for a in assignments],
    }
    SchoolClass.objects.filter(pk__in=[c.pk for c in classes]).update(homeroom_teacher=None)
    TeachingAssignment.objects.filter(pk__in=[a.pk for a in assignments]).delete()
    before = {"is_active": staff.is_active, "roles": staff.roles}
    staff.is_active, staff.left_on = False, timezone.localdate()
    staff.save(update_fields=["is_active", "left_on"])
    affiliation_remove(user=staff.user, school=school, is_staff=True)
    audit_record(
        actor=actor,
        action="staff.remove",
        obj=staff,
        before=before,
        after={"left_on": staff.left_on.isoformat(), **released},
    )
    return released


# --- students ------------------------------------------------------------------------------------------


def _check_student_unique(*, student_code: str, national_id: str, sector_id: str, exclude_pk=None) -> None:
    others = Student.objects.exclude(pk=exclude_pk)
    if others.filter(student_code=student_code).exists():
        raise PeopleError(gettext("Mã học sinh %(code)s đã có ở trường.") % {"code": student_code})
    if national_id and others.filter(national_id=national_id).exists():
        raise PeopleError(gettext("Số định danh %(id)s đã có ở trường.") % {"id": national_id})
    if sector_id and others.filter(sector_id=sector_id).exists():
        raise PeopleError(
            gettext("Mã định danh %(id)s đã có ở học sinh khác của trường.") % {"id": sector_id}
        )


STUDENT_FIELDS = ("student_code", "full_name", "date_of_birth", "gender", "national_id", "sector_id")


@transaction.atomic
def student_add(
    *, actor, school, profile: dict, school_class: SchoolClass, starts_on: date, guardian=None
) -> Student:
    """A new student (`profile`: the STUDENT_FIELDS) enrolled in a class of the current year from
    `starts_on`, with an optional first guardian (a dict of guardian_add's fields), the primary contact."""
    _check_student_unique(
        student_code=profile["student_code"],
        national_id=profile["national_id"],
        sector_id=profile["sector_id"],
    )
    year = school_class.year
    if not year.is_current:
        raise PeopleError(gettext("Chọn một lớp của năm học hiện tại."))
    if not year.starts_on <= starts_on <= year.ends_on:
        raise PeopleError(
            gettext("Ngày vào lớp phải trong năm học %(year)s (%(start)s – %(end)s).")
            % {
                "year": year.name,
                "start": year.starts_on.strftime("%d/%m/%Y"),
                "end": year.ends_on.strftime("%d/%m/%Y"),
            }
        )
    student = Student.objects.create(**{name: profile[name] for name in STUDENT_FIELDS})
    Enrolment.objects.create(student=student, school_class=school_class, starts_on=starts_on)
    audit_record(
        actor=actor,
        action="student.add",
        obj=student,
        after={"student_code": student.student_code, "class": school_class.name, "on": starts_on.isoformat()},
    )
    if guardian:
        guardian_add(actor=actor, school=school, student=student, is_primary=True, **guardian)
    return student


@transaction.atomic
def student_edit(*, actor, student: Student, profile: dict) -> Student:
    """Correct a student's profile fields (code, name, date of birth, gender, national ID)."""
    student = Student.objects.select_for_update().get(pk=student.pk)
    _check_student_unique(
        student_code=profile["student_code"],
        national_id=profile["national_id"],
        sector_id=profile["sector_id"],
        exclude_pk=student.pk,
    )
    changed = [name for name in STUDENT_FIELDS if getattr(student, name) != profile[name]]
    if not changed:
        return student
    before = {name: str(getattr(student, name)) for name in changed}
    for name in changed:
        setattr(student, name, profile[name])
    student.save()
    after = {name: str(getattr(student, name)) for name in changed}
    audit_record(actor=actor, action="student.edit", obj=student, before=before, after=after)
    return student


WITHDRAWAL_STATUSES = (StudentStatus.DROPPED_OUT, StudentStatus.TRANSFERRED)


@transaction.atomic
def student_withdraw(*, actor, student: Student, status: str, on_date: date, reason: str) -> Student:
    """The student leaves the school from `on_date` (dropped out, or moved to a school not on Schoolbook):
    the current enrolment ends the day before, the status and reason are kept; grades, attendance and the
    guardians stay as history."""
    student = Student.objects.select_for_update().get(pk=student.pk)
    if status not in WITHDRAWAL_STATUSES:
        raise PeopleError(gettext("Chọn tình trạng thôi học hoặc chuyển trường."))
    if student.status != StudentStatus.STUDYING:
        raise PeopleError(gettext("Chỉ cho thôi học được học sinh đang học."))
    current = _open_enrolment(student)
    if current is not None:
        if on_date <= current.starts_on:
            raise PeopleError(
                gettext("Ngày nghỉ học phải sau ngày vào lớp hiện tại (%(date)s).")
                % {"date": current.starts_on.strftime("%d/%m/%Y")}
            )
        _end_enrolment(current, on_date)
    student.status, student.withdrawal_reason = status, reason
    student.save(update_fields=["status", "withdrawal_reason"])
    transfer_requests_withdraw_for(actor=actor, student=student)
    audit_record(
        actor=actor,
        action="student.withdraw",
        obj=student,
        before={"status": StudentStatus.STUDYING, "class": current.school_class.name if current else ""},
        after={"status": status, "on": on_date.isoformat(), "reason": reason},
    )
    return student


# --- guardians -----------------------------------------------------------------------------------------


def _guardian_by_phone(*, school, phone: str, full_name: str, email: str, actor) -> tuple:
    """The school's guardian with this phone (given a user if it had none), or a new one; its user is
    affiliated to the school as a guardian, so the parent's home finds it. Returns (guardian, existed)."""
    user = user_get_or_create(phone=phone, full_name=full_name, actor=actor)
    guardian = Guardian.objects.select_for_update().filter(phone=phone).first()
    existed = guardian is not None
    if guardian is None:
        guardian = Guardian.objects.create(full_name=full_name, phone=phone, email=email, user=user)
    elif guardian.user_id != user.pk:
        guardian.user = user  # the signal forgets the cached guardian lookup of both users
        guardian.save(update_fields=["user"])
    affiliation_add(user=user, school=school, is_guardian=True)
    return guardian, existed


def _guardian_release_if_unlinked(guardian: Guardian, school) -> None:
    """A guardian left with no child here keeps its row (notices it received keep their recipient) but
    loses its user, so that person's access to the school ends at once; the public index follows."""
    if guardian.student_links.exists() or guardian.user_id is None:
        return
    user = guardian.user
    guardian.user = None
    guardian.save(update_fields=["user"])
    if not Guardian.objects.filter(user=user).exists():
        affiliation_remove(user=user, school=school, is_guardian=True)


def _make_primary(student: Student, link: StudentGuardian) -> None:
    StudentGuardian.objects.filter(student=student, is_primary_contact=True).exclude(pk=link.pk).update(
        is_primary_contact=False
    )
    if not link.is_primary_contact:
        link.is_primary_contact = True
        link.save(update_fields=["is_primary_contact"])


@transaction.atomic
def guardian_add(
    *, actor, school, student: Student, full_name: str, phone: str, relationship: str, email: str = "",
    is_primary: bool = False,
) -> tuple[StudentGuardian, bool]:  # fmt: skip
    """Link a guardian to the student, the one already at the school with that phone if there is one
    (linked, not duplicated: returns existed=True and its name is kept). The student's first guardian is
    the primary contact. Returns (link, existed)."""
    student = Student.objects.select_for_update().get(pk=student.pk)
    guardian, existed = _guardian_by_phone(
        school=school, phone=phone, full_name=full_name, email=email, actor=actor
    )
    if StudentGuardian.objects.filter(student=student, guardian=guardian).exists():
        raise PeopleError(
            gettext("%(name)s (%(phone)s) đã là phụ huynh của học sinh này.")
            % {"name": guardian.full_name, "phone": format_national(phone)}
        )
    link = StudentGuardian.objects.create(student=student, guardian=guardian, relationship=relationship)
    if is_primary or not StudentGuardian.objects.filter(student=student, is_primary_contact=True).exists():
        _make_primary(student, link)
    audit_record(
        actor=actor,
        action="guardian.add",
        obj=student,
        after={"phone": phone, "relationship": relationship, "existing_guardian": existed,
               "primary": link.is_primary_contact},
    )  # fmt: skip
    return link, existed


@transaction.atomic
def guardian_edit(
    *, actor, school, link: StudentGuardian, full_name: str, phone: str, relationship: str, email: str,
) -> StudentGuardian:  # fmt: skip
    """Correct a guardian seen from one student's profile. Name, phone and e-mail belong to the person (the
    correction holds for all their children here); the relationship belongs to this link.

    A new phone that no guardian here has: the guardian's phone and user change, so the old number stops
    seeing the children at once and the new one starts. A phone that another guardian here already has:
    this student is linked to that guardian instead (no duplicate), and the old guardian, if left with no
    child, loses access. Returns the link (its guardian changed in the second case)."""
    link = StudentGuardian.objects.select_for_update().select_related("guardian", "student").get(pk=link.pk)
    guardian = Guardian.objects.select_for_update().get(pk=link.guardian_id)
    before = {"phone": guardian.phone, "full_name": guardian.full_name, "email": guardian.email,
              "relationship": link.relationship}  # fmt: skip
    other = Guardian.objects.filter(phone=phone).exclude(pk=guardian.pk).first()
    if other is not None:
        if StudentGuardian.objects.filter(student=link.student, guardian=other).exists():
            raise PeopleError(
                gettext(
                    "Số %(phone)s là của %(name)s, đã là phụ huynh của học sinh này: hãy xoá dòng sai thay "
                    "vì sửa."
                )
                % {"phone": format_national(phone), "name": other.full_name}
            )
        other, _ = _guardian_by_phone(
            school=school, phone=phone, full_name=other.full_name, email=other.email, actor=actor
        )
        link.guardian, link.relationship = other, relationship
        link.save(update_fields=["guardian", "relationship"])
        _guardian_release_if_unlinked(guardian, school)
        after = {"phone": phone, "linked_to": other.pk, "relationship": relationship}
    else:
        old_user = guardian.user
        if phone != guardian.phone:
            guardian.user = user_get_or_create(phone=phone, full_name=full_name, actor=actor)
        guardian.full_name, guardian.phone, guardian.email = full_name, phone, email
        guardian.save(update_fields=["full_name", "phone", "email", "user"])
        if guardian.user_id is not None:
            affiliation_add(user=guardian.user, school=school, is_guardian=True)
        moved_away = old_user is not None and old_user.pk != guardian.user_id
        if moved_away and not Guardian.objects.filter(user=old_user).exists():
            affiliation_remove(user=old_user, school=school, is_guardian=True)
        link.relationship = relationship
        link.save(update_fields=["relationship"])
        after = {"phone": phone, "full_name": full_name, "email": email, "relationship": relationship}
    audit_record(actor=actor, action="guardian.edit", obj=link.student, before=before, after=after)
    return link


@transaction.atomic
def guardian_unlink(*, actor, school, link: StudentGuardian) -> None:
    """Remove a guardian from this student. Another guardian becomes the primary contact if this one was;
    the guardian row stays (for their other children, or as history without access)."""
    link = StudentGuardian.objects.select_for_update().select_related("guardian", "student").get(pk=link.pk)
    student, guardian = link.student, link.guardian
    link.delete()
    if link.is_primary_contact:
        successor = StudentGuardian.objects.filter(student=student).order_by("pk").first()
        if successor is not None:
            _make_primary(student, successor)
    _guardian_release_if_unlinked(guardian, school)
    audit_record(
        actor=actor,
        action="guardian.remove",
        obj=student,
        before={
            "phone": guardian.phone,
            "relationship": link.relationship,
            "primary": link.is_primary_contact,
        },
    )


@transaction.atomic
def guardian_set_primary(*, actor, link: StudentGuardian) -> StudentGuardian:
    """This guardian becomes the student's only primary contact."""
    link = StudentGuardian.objects.select_for_update().select_related("guardian", "student").get(pk=link.pk)
    previous = StudentGuardian.objects.filter(student=link.student, is_primary_contact=True).first()
    _make_primary(link.student, link)
    audit_record(
        actor=actor,
        action="guardian.primary",
        obj=link.student,
        before={"phone": previous.guardian.phone if previous else ""},
        after={"phone": link.guardian.phone},
    )
    return link
