"""Reads for the people pages; the pages are for the school's managers, who see everyone in the school."""

from students.models import StaffMember, StudentGuardian, Subject


def staff_member(pk: int) -> StaffMember | None:
    return StaffMember.objects.select_related("user").prefetch_related("subjects").filter(pk=pk).first()


def teachable_subjects(school):
    """The active subjects of the school's levels, in the catalogue's order."""
    return Subject.objects.filter(is_active=True, level__in=school.levels).order_by("level", "order", "name")


def guardian_link(student, pk: int) -> StudentGuardian | None:
    """One of this student's guardian links (a link of another student is None)."""
    return StudentGuardian.objects.select_related("guardian").filter(student=student, pk=pk).first()


def other_children(link: StudentGuardian) -> list[str]:
    """Names of the guardian's other children in the school (they keep the guardian)."""
    return list(
        StudentGuardian.objects.filter(guardian_id=link.guardian_id)
        .exclude(student_id=link.student_id)
        .order_by("student__full_name_folded")
        .values_list("student__full_name", flat=True)
    )
