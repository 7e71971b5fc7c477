"""Reads of conversations, each scoped to the person asking: who may talk about a child, a child's
conversations, a person's inbox (unread first), one conversation with its messages and read receipts, and
the reported messages a manager reviews."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from conversations import rules
from conversations.models import Conversation, Message, MessageRead, OfficeHours, Participant, Report
from students.models import SchoolClass, StaffMember, Student, StudentGuardian, TeachingAssignment
from students.selectors import current_enrolments, days_off_between


@dataclass
class Teacher:
    """A staff member who teaches the child now, with what they are to the child: "Giáo viên chủ nhiệm",
    subjects."""

    staff: StaffMember
    homeroom: bool = False
    subjects: list[str] = field(default_factory=list)


@dataclass
class Contacts:
    """Who may talk about one child: its teachers now and its guardians with a login (StudentGuardian rows
    with the guardian)."""

    teachers: list[Teacher]
    guardian_links: list[StudentGuardian]

    @property
    def rule(self) -> rules.ChildContacts:
        return rules.ChildContacts(
            guardians=frozenset(link.guardian.user_id for link in self.guardian_links),
            teachers=frozenset(teacher.staff.user_id for teacher in self.teachers),
        )

    def teacher_of(self, user_id: int) -> Teacher | None:
        return next((t for t in self.teachers if t.staff.user_id == user_id), None)

    def guardian_link_of(self, user_id: int) -> StudentGuardian | None:
        return next((link for link in self.guardian_links if link.guardian.user_id == user_id), None)


def child_contacts(student: Student) -> Contacts:
    """The homeroom teacher of the child's current class and that class's subject teachers (active staff
    only), then its guardians who can sign in. Three queries."""
    enrolment = current_enrolments().filter(student=student).order_by("-starts_on").first()
    teachers: dict[int, Teacher] = {}
    if enrolment is not None:
        school_class = SchoolClass.objects.select_related("homeroom_teacher").get(
            pk=enrolment.school_class_id
        )
        homeroom = school_class.homeroom_teacher
        if homeroom is not None and homeroom.is_active:
            teachers[homeroom.pk] = Teacher(staff=homeroom, homeroom=True)
        assignments = (
            TeachingAssignment.objects.filter(school_class=school_class, teacher__is_active=True)
            .select_related("teacher", "subject")
            .order_by("teacher__sort_key", "subject__name")
        )
        for assignment in assignments:
            teacher = teachers.setdefault(assignment.teacher_id, Teacher(staff=assignment.teacher))
            teacher.subjects.append(assignment.subject.name)
    links = list(
        StudentGuardian.objects.filter(student=student, guardian__user__isnull=False)
        .select_related("guardian")
        .order_by("-is_primary_contact", "guardian__sort_key")
    )
    ordered = sorted(teachers.values(), key=lambda t: (not t.homeroom, t.staff.sort_key))
    return Contacts(teachers=ordered, guardian_links=links)


def guardian_user_ids(student_id: int) -> set[int]:
    return set(
        StudentGuardian.objects.filter(student_id=student_id, guardian__user__isnull=False).values_list(
            "guardian__user_id", flat=True
        )
    )


def with_unread(conversations, user):
    """Annotates `unread`: a message from someone else after the user's last reading (or never read)."""
    mine = Participant.objects.filter(conversation=OuterRef("conversation"), user=user)
    newer = Message.objects.filter(conversation=OuterRef("pk"), hidden_at__isnull=True).exclude(
        sender__user=user
    )
    newer = newer.filter(
        Q(Exists(mine.filter(last_read_at__isnull=True)))
        | Q(Exists(mine.filter(last_read_at__lt=OuterRef("created_at"))))
    )
    return conversations.annotate(unread=Exists(newer))


def _listed(conversations, user):
    people = Participant.objects.select_related("staff", "guardian").order_by("pk")
    return (
        with_unread(conversations, user)
        .select_related("student")
        .prefetch_related(Prefetch("participants", queryset=people))
        .order_by("-unread", "-last_message_at", "-pk")
    )


def inbox(user, guardian=None):
    """The user's conversations in this school, unread first, then the latest: those they take part in and,
    for a guardian, every conversation about their children (the child's record)."""
    visible = Q(participants__user=user)
    if guardian is not None:
        visible |= Q(student__guardian_links__guardian=guardian)
    ids = Conversation.objects.filter(visible).values("pk")
    return _listed(Conversation.objects.filter(pk__in=ids), user)


def child_conversations(student: Student, user, *, whole_record: bool):
    """A child's conversations the user may read: all of them for the child's guardians and the board by the
    school's policy (`whole_record`), else those the user takes part in."""
    conversations = Conversation.objects.filter(student=student)
    if not whole_record:
        conversations = conversations.filter(
            pk__in=Participant.objects.filter(user=user).values("conversation")
        )
    return _listed(conversations, user)


def conversation_visible(pk: int, user, *, board_reads: bool) -> Conversation | None:
    """The conversation if the user may read it (conversations.rules.may_read), with its student and
    participants, else None."""
    conversation = (
        Conversation.objects.select_related("student")
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.select_related("staff", "guardian"))
        )
        .filter(pk=pk)
        .first()
    )
    if conversation is None:
        return None
    participants = {p.user_id for p in conversation.participants.all()}
    if not rules.may_read(user.pk, participants, guardian_user_ids(conversation.student_id), board_reads):
        return None
    return conversation


def participant_of(conversation: Conversation, user) -> Participant | None:
    return next((p for p in conversation.participants.all() if p.user_id == user.pk), None)


def thread_messages(conversation: Conversation) -> list[Message]:
    """Its messages, newest last, each with its sender and read receipts (`seen`: (participant, time) of
    everyone else who has seen it, in the order they did). Two queries."""
    participants = {p.pk: p for p in conversation.participants.all()}
    reads = Prefetch("reads", queryset=MessageRead.objects.order_by("read_at", "pk"))
    messages = list(
        Message.objects.filter(conversation=conversation).select_related("hidden_by").prefetch_related(reads)
    )
    for message in messages:
        message.sender_participant = participants[message.sender_id]
        message.seen = [
            (participants[read.participant_id], read.read_at)
            for read in message.reads.all()
            if read.participant_id != message.sender_id
        ]
    return messages


@dataclass
class Hours:
    staff: StaffMember
    text: str  # "T2–T6, 7:00–17:00"
    next_opening: object  # aware datetime, or None when within the hours now


def days_off_ahead(today) -> set:
    """The school's days off from `today` as far as an office-hours opening is looked for (one query)."""
    return set(days_off_between(today, today + timedelta(days=rules.OPENING_SEARCH_DAYS)))


def office_hours_of(staff_members) -> list[Hours]:
    """Each staff member's office hours and, when outside them now, their next opening."""
    now = timezone.localtime()
    days_off = days_off_ahead(now.date())
    found = {hours.staff_id: hours for hours in OfficeHours.objects.filter(staff__in=staff_members)}
    result = []
    for staff in staff_members:
        hours = found.get(staff.pk) or OfficeHours.of(staff)
        if not hours.weekdays or hours.opens >= hours.closes:
            continue  # no office hours: always reached at once
        result.append(
            Hours(
                staff=staff,
                text=rules.hours_text(hours.weekdays, hours.opens, hours.closes),
                next_opening=rules.next_opening(now, hours.weekdays, hours.opens, hours.closes, days_off),
            )
        )
    return result


def reported_messages():
    """Messages reported by a participant, the newest report first, with their conversation and reports:
    what a manager reviews (the reporter brought them to the school's attention, whatever the policy)."""
    latest = Report.objects.filter(message=OuterRef("pk")).order_by("-created_at")
    return (
        Message.objects.filter(Exists(latest))
        .annotate(reported_at=latest.values("created_at")[:1])
        .select_related("conversation__student", "sender__staff", "sender__guardian", "hidden_by")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=Report.objects.select_related("reported_by__staff", "reported_by__guardian"),
            )
        )
        .order_by("hidden_at", "-reported_at")
    )


def taught_classes(staff: StaffMember) -> list[SchoolClass]:
    """The classes of the current year a teacher teaches now (homeroom or an assignment), each with
    `pupils`: its students enrolled today, by name. What a teacher picks a child from to write to the
    guardians. Two queries."""
    classes = list(
        SchoolClass.objects.filter(year__is_current=True, archived_at__isnull=True)
        .filter(Q(homeroom_teacher=staff) | Q(assignments__teacher=staff))
        .distinct()
        .order_by("grade__number", "name")
    )
    enrolments = (
        current_enrolments()
        .filter(school_class__in=classes)
        .select_related("student")
        .order_by("student__sort_key", "student__student_code")
    )
    by_class = {school_class.pk: school_class for school_class in classes}
    for school_class in classes:
        school_class.pupils = []
    for enrolment in enrolments:
        by_class[enrolment.school_class_id].pupils.append(enrolment.student)
    return classes
