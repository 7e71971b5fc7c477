"""Who a notice goes to: the people behind an audience choice, each once, in a constant number of queries."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from messaging.outbox.selectors import Recipient
from notices.models import Audience
from students.models import Guardian, StaffMember, StudentGuardian, StudentStatus
from students.selectors import current_enrolments


@dataclass(frozen=True)
class Addressee:
    """A guardian or a staff member (one of the ids is set) and how to reach them."""

    guardian_id: int | None
    staff_id: int | None
    user_id: int | None
    name: str
    phone: str
    email: str

    @property
    def recipient(self) -> Recipient:
        return Recipient(phone=self.phone, email=self.email, user_id=self.user_id, name=self.name)


@dataclass(frozen=True)
class AudienceChoice:
    """What the compose form chose; a saved Notice gives the same with `of`."""

    audience: str
    grade_ids: frozenset = frozenset()
    class_ids: frozenset = frozenset()
    student_ids: frozenset = frozenset()
    emergency: bool = False

    @classmethod
    def of(cls, notice) -> "AudienceChoice":
        return cls(
            audience=notice.audience,
            grade_ids=frozenset(g.pk for g in notice.grades.all()),
            class_ids=frozenset(c.pk for c in notice.classes.all()),
            student_ids=frozenset(s.pk for s in notice.students.all()),
            emergency=notice.is_emergency,
        )


def audience_resolve(choice: AudienceChoice) -> list[Addressee]:
    """One query. Staff: every active staff member. Families: the guardians of the students studying and
    enrolled today (current school year) in the chosen grades, classes or among the chosen students, each
    guardian once however many of their children match; a guardian who turned notifications off for every
    matching child is skipped, except for an emergency."""
    if choice.audience == Audience.STAFF:
        staff = StaffMember.objects.filter(is_active=True).select_related("user").order_by("sort_key", "pk")
        return [Addressee(None, s.pk, s.user_id, s.full_name, s.user.phone, s.user.email) for s in staff]
    links = StudentGuardian.objects.filter(
        guardian=OuterRef("pk"), student_id__in=_enrolments(choice).values("student_id")
    )
    if not choice.emergency:
        links = links.filter(receives_notifications=True)
    guardians = Guardian.objects.filter(Exists(links)).order_by("sort_key", "pk")
    return [Addressee(g.pk, None, g.user_id, g.full_name, g.phone, g.email) for g in guardians]


def _enrolments(choice: AudienceChoice):
    """The current enrolments of the students studying whom a family audience is about."""
    enrolments = current_enrolments().filter(student__status=StudentStatus.STUDYING)
    if choice.audience == Audience.GRADES:
        enrolments = enrolments.filter(school_class__grade_id__in=choice.grade_ids)
    elif choice.audience == Audience.CLASSES:
        enrolments = enrolments.filter(school_class_id__in=choice.class_ids)
    elif choice.audience == Audience.STUDENTS:
        enrolments = enrolments.filter(student_id__in=choice.student_ids)
    return enrolments


def audience_children(choice: AudienceChoice, guardian_ids) -> dict[int, int]:
    """The students a family audience is about who have a guardian among `guardian_ids` (those it reaches),
    each with their current class: student id → class id, in one query. A student between two classes
    today (a move) counts in the newer one."""
    rows = (
        _enrolments(choice)
        .filter(student__guardian_links__guardian_id__in=list(guardian_ids))
        .order_by("student_id", "starts_on", "pk")
        .values_list("student_id", "school_class_id")
    )
    return dict(rows)
