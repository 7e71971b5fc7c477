"""Reads of notices, scoped to what the person may see (None / nothing for what they may not: 404)."""

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django_tenants.utils import schema_context

from notices.models import Notice, NoticeAttachment, NoticeRecipient, Status
from notices.permissions import is_notice_manager
from schoolbook.caching import cached_part, qualified_table, rows_version, rows_versions
from students.models import Enrolment, Guardian, StaffMember, StudentGuardian
from tenants.models import School
from tenants.selectors import affiliations_of_user

TABS = ("mine", "inbox", "approve", "all")
MANAGER_TABS = ("approve", "all")
INBOX_PER_SCHOOL = 200  # the newest of each school; older notices stay on the school's pages


def notice_visible(pk: int, *, staff: StaffMember | None, guardian: Guardian | None) -> Notice | None:
    """The notice if the person may open it: its author and the principal or school admin always; once
    published, anyone it was addressed to (as a guardian or a staff member). Otherwise None.

    `unread` on the notice: whether one of the person's recipient rows is still unread (None when they
    see it as its author or a manager, without looking), so that opening it writes only the first time.
    Whom it went to (grades, classes, students) is loaded for staff only: the sender's pages show it.

    A guardian who is not staff here (a parent, most of the readers) gets it from the cache, kept per
    school, viewer and version of the rows it is made of: the notice, its attachments, its author and the
    guardian's recipient row (whose read_at changes when it is read: `unread` follows)."""
    if staff is None and guardian is not None:
        return cached_part(
            "notice",
            schemas=[connection.schema_name],
            viewer=guardian.user_id,
            version=(pk, guardian.pk, _guardian_notice_version(pk, guardian)),
            build=lambda: (_notice_visible(pk, staff=None, guardian=guardian), None),
        )
    return _notice_visible(pk, staff=staff, guardian=guardian)


def _guardian_notice_version(pk: int, guardian: Guardian) -> str:
    notice = f"SELECT author_id FROM {Notice._meta.db_table} WHERE id = %s"
    return rows_version(
        (Notice._meta.db_table, "id = %s", [pk]),
        (NoticeAttachment._meta.db_table, "notice_id = %s", [pk]),
        (StaffMember._meta.db_table, f"id IN ({notice})", [pk]),
        (NoticeRecipient._meta.db_table, "notice_id = %s AND guardian_id = %s", [pk, guardian.pk]),
    )


def _notice_visible(pk: int, *, staff: StaffMember | None, guardian: Guardian | None) -> Notice | None:
    # Its questions (notices.polls) come along: frozen once sent, so a guardian's cached copy keeps them.
    notices = Notice.objects.select_related("author", "decided_by").prefetch_related(
        "attachments", "questions"
    )
    if staff is not None:
        notices = notices.prefetch_related("grades", "classes", "students")
    notice = notices.filter(pk=pk).first()
    if notice is None:
        return None
    notice.unread = None
    if staff is not None and (notice.author_id == staff.pk or is_notice_manager(staff)):
        return notice
    if notice.status != Status.PUBLISHED or (staff is None and guardian is None):
        return None
    person = Q(pk__in=[])
    if guardian is not None:
        person |= Q(guardian=guardian)
    if staff is not None:
        person |= Q(staff=staff)
    reads = list(NoticeRecipient.objects.filter(person, notice=notice).values_list("read_at", flat=True))
    if not reads:
        return None
    notice.unread = None in reads
    return notice


def notice_list(staff: StaffMember, *, tab: str, status: str = "", category: str = ""):
    """A tab of the staff list, each notice with its author, recipients and how many have read it (one
    query per page whatever the number of notices). Managers' tabs give nothing to others."""
    notices = Notice.objects.select_related("author").annotate(
        recipient_count=Count("recipients"),
        read_count=Count("recipients", filter=Q(recipients__read_at__isnull=False)),
    )
    if tab in MANAGER_TABS and not is_notice_manager(staff):
        return notices.none()
    if tab == "mine":
        notices = notices.filter(author=staff)
    elif tab == "inbox":
        notices = notices.filter(
            Exists(NoticeRecipient.objects.filter(notice=OuterRef("pk"), staff=staff)),
            status=Status.PUBLISHED,
        )
    elif tab == "approve":
        notices = notices.filter(status=Status.PENDING_APPROVAL)
    if status:
        notices = notices.filter(status=status)
    if category:
        notices = notices.filter(category=category)
    return notices.order_by("-created_at", "-pk")


def pending_count() -> int:
    return Notice.objects.filter(status=Status.PENDING_APPROVAL).count()


def inbox_schools(user) -> list[School]:
    """The active schools where the user is a guardian (the public index of affiliations), by name."""
    return [affiliation.school for affiliation in affiliations_of_user(user) if affiliation.is_guardian]


def inbox_versions(user, schema: str) -> tuple[str, str]:
    """In the school's `schema`, in one statement (schoolbook.caching.rows_versions): a version of the
    user's inbox there without what was read (their recipient rows and those notices' listed columns), and
    a version of what was read (inbox_reads). Reading a notice changes the second only."""
    recipients, notices = qualified_table(schema, NoticeRecipient), qualified_table(schema, Notice)
    guardians = f"SELECT id FROM {qualified_table(schema, Guardian)} WHERE user_id = %s"
    mine = f"guardian_id IN ({guardians})"
    theirs = f"id IN (SELECT notice_id FROM {recipients} WHERE {mine})"
    rows, listed, reads = rows_versions(
        (recipients, mine, [user.pk], "t.id, t.notice_id"),
        (notices, theirs, [user.pk], "t.id, t.title, t.category, t.status, t.published_at"),
        (recipients, mine, [user.pk], "t.id, t.read_at"),
    )
    return rows + listed, reads


def inbox_reads(user) -> dict[int, object]:
    """In a school's schema: when the user read each notice addressed to them there (None: not yet), by
    recipient row."""
    return dict(NoticeRecipient.objects.filter(guardian__user=user).values_list("pk", "read_at"))


def inbox_across_schools(user, schools=None) -> list[NoticeRecipient]:
    """A guardian's notices in every school where they are a guardian (inbox_schools unless given), one
    query per school in its schema, newest first; each row carries `school` and its notice (title, category
    and publication time only), `read_at` None when unread."""
    if schools is None:
        schools = inbox_schools(user)
    rows = []
    for school in schools:
        with schema_context(school.schema_name):
            found = list(
                NoticeRecipient.objects.filter(guardian__user=user, notice__status=Status.PUBLISHED)
                .select_related("notice")
                .only("read_at", "notice__title", "notice__category", "notice__published_at")
                .order_by("-notice__published_at", "-pk")[:INBOX_PER_SCHOOL]
            )
        for row in found:
            row.school = school
        rows.extend(found)
    rows.sort(key=lambda row: row.notice.published_at, reverse=True)
    return rows


def notice_read_counts(notice: Notice) -> dict:
    return NoticeRecipient.objects.filter(notice=notice).aggregate(
        total=Count("pk"), read=Count("pk", filter=Q(read_at__isnull=False))
    )


def _by_message(rows):
    """A function message → value from (user id, guardian phone, value) rows. A message is tied to its
    recipient by the platform user when there is one, else by the guardian's phone number (publishing
    writes both from the same person)."""
    by_user, by_phone = {}, {}
    for user_id, phone, value in rows:
        if user_id:
            by_user[user_id] = value
        if phone:
            by_phone[phone] = value
    return lambda m: by_user.get(m.user_id) if m.user_id else by_phone.get(m.phone)


def _recipients_of(notice: Notice, page_messages):
    """The notice's recipients, only those of `page_messages` when given."""
    recipients = NoticeRecipient.objects.filter(notice=notice)
    if page_messages is not None:
        users = {m.user_id for m in page_messages if m.user_id}
        phones = {m.phone for m in page_messages if not m.user_id and m.phone}
        recipients = recipients.filter(Q(user_id__in=users) | Q(guardian__phone__in=phones))
    return recipients


def notice_read_receipts(notice: Notice, page_messages=None):
    """When each message's person read the notice, as a function of the message (None: not read), from
    one query over the notice's recipients (only those of `page_messages` when given)."""
    reads = _recipients_of(notice, page_messages).filter(read_at__isnull=False)
    return _by_message(reads.values_list("user_id", "guardian__phone", "read_at"))


def notice_recipient_children(notice: Notice, page_messages=None):
    """Whose parent each message's person is, as a function of the message: "Nguyễn Văn An (6A1), …"
    (their children at this school, with the class of the current year; "" for staff), in one query."""
    current_class = Enrolment.objects.filter(
        student=OuterRef("student_id"), ends_on__isnull=True, school_class__year__is_current=True
    ).values("school_class__name")[:1]
    guardians = _recipients_of(notice, page_messages).filter(guardian__isnull=False).values("guardian_id")
    links = (
        StudentGuardian.objects.filter(guardian_id__in=guardians)
        .annotate(class_name=Subquery(current_class))
        .order_by("guardian_id", "student__full_name_folded")
        .values_list("guardian__user_id", "guardian__phone", "student__full_name", "class_name")
    )
    children = {}
    for user_id, phone, name, class_name in links:
        children.setdefault((user_id, phone), []).append(f"{name} ({class_name})" if class_name else name)
    return _by_message((user_id, phone, ", ".join(names)) for (user_id, phone), names in children.items())


def notice_attach_recipient_facts(notice: Notice, page_messages) -> None:
    """`read_at` and `children` on each message of a report page."""
    read_at = notice_read_receipts(notice, page_messages)
    children = notice_recipient_children(notice, page_messages)
    for message in page_messages:
        message.read_at = read_at(message)
        message.children = children(message) or ""
