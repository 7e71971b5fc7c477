"""Builders for the people pages' tests (students.people): school A's classes 6A1 (homeroom: teacher_a, who
also teaches Toán there) and 6A2, two children of one mother who can sign in, and a father for the first.
Call inside school A's schema (the conftest `school` fixture, which also makes 6A1 and 6A2)."""

from types import SimpleNamespace

from django_tenants.utils import schema_context

from schoolbook.audit.models import AuditEvent
from students.models import (
    Enrolment,
    Guardian,
    SchoolClass,
    StaffMember,
    Student,
    StudentGuardian,
    TeachingAssignment,
)
from tenants.models import SchoolAffiliation
from tests.factories import assignment_make, parent_make, student_enrol

MOTHER_PHONE = "+84981330001"
FATHER_PHONE = "+84981330002"


def people_world(world) -> SimpleNamespace:
    class_6a1 = SchoolClass.objects.get(name="6A1", year__is_current=True)
    class_6a2 = SchoolClass.objects.get(name="6A2", year__is_current=True)
    teacher = StaffMember.objects.get(user=world.teacher_a)
    class_6a1.homeroom_teacher = teacher
    class_6a1.save(update_fields=["homeroom_teacher"])
    assignment_make(teacher, class_6a1, "toan")
    an = student_enrol("PP001", class_6a1, "Nguyễn Văn An")
    binh = student_enrol("PP002", class_6a2, "Nguyễn Thị Bình", gender="female")
    mother = parent_make(world, an, MOTHER_PHONE, "Trần Thị Mẹ")
    father = parent_make(world, an, FATHER_PHONE, "Nguyễn Văn Bố")
    StudentGuardian.objects.filter(guardian__phone=MOTHER_PHONE).update(is_primary_contact=True)
    StudentGuardian.objects.filter(guardian__phone=FATHER_PHONE).update(relationship="father")
    mother_row = Guardian.objects.get(phone=MOTHER_PHONE)
    StudentGuardian.objects.create(
        student=binh, guardian=mother_row, relationship="mother", is_primary_contact=True
    )
    return SimpleNamespace(
        world=world, class_6a1=class_6a1, class_6a2=class_6a2, teacher=teacher, an=an, binh=binh,
        mother=mother, father=father, year=class_6a1.year,
    )  # fmt: skip


def school_state(world) -> tuple:
    """Everything the people pages could change in school A and the public index, to compare before and
    after a refused request."""
    with schema_context(world.school_a.schema_name):
        return (
            sorted(StaffMember.objects.values_list("pk", "full_name", "roles", "position", "is_active",
                                                   "left_on")),
            sorted(SchoolClass.objects.values_list("pk", "homeroom_teacher_id")),
            TeachingAssignment.objects.count(),
            sorted(Student.objects.values_list("student_code", "full_name", "date_of_birth", "gender",
                                               "national_id", "status", "withdrawal_reason")),
            sorted(Enrolment.objects.values_list("student_id", "school_class_id", "starts_on", "ends_on")),
            sorted(Guardian.objects.values_list("phone", "full_name", "email", "user_id")),
            sorted(StudentGuardian.objects.values_list("student_id", "guardian_id", "relationship",
                                                       "is_primary_contact")),
            AuditEvent.objects.count(),
            sorted(SchoolAffiliation.objects.filter(school=world.school_a).values_list(
                "user_id", "is_staff", "is_guardian")),
        )  # fmt: skip
