"""Reads of notices, scoped to what the person may see (None / nothing for what they may not: 404)."""

from django.db.models import Count, Exists, OuterRef, Q
from django_tenants.utils import schema_context

from notices.models import Notice, NoticeRecipient, Status
from notices.permissions import is_notice_manager
from students.models import Guardian, StaffMember
from tenants.models import School

TABS = ("mine", "inbox", "approve", "all")
MANAGER_TABS = ("approve", "all")
INBOX_PER_SCHOOL = 200  # the newest of each school; older notices stay on the school's pages


def notice_visible(pk: int, *, staff: StaffMember | None, guardian: Guardian | None) -> Notice | None:
    """The notice if the person may open it: its author and the principal or school admin always; once
    published, anyone it was addressed to (as a guardian or a staff member). Otherwise None."""
    notice = (
        Notice.objects.select_related("author", "decided_by")
        .prefetch_related("attachments", "grades", "classes", "students")
        .filter(pk=pk)
        .first()
    )
    if notice is None:
        return None
    if staff is not None and (notice.author_id == staff.pk or is_notice_manager(staff)):
        return notice
    if notice.status != Status.PUBLISHED or (staff is None and guardian is None):
        return None
    person = Q(pk__in=[])
    if guardian is not None:
        person |= Q(guardian=guardian)
    if staff is not None:
        person |= Q(staff=staff)
    return notice if NoticeRecipient.objects.filter(person, notice=notice).exists() else None


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


def inbox_across_schools(user) -> list[NoticeRecipient]:
    """A guardian's notices in every school where they are a guardian (the public index of affiliations),
    one query per school in its schema, newest first; each row carries `school` and its notice, `read_at`
    None when unread."""
    schools = School.objects.filter(
        affiliations__user=user, affiliations__is_guardian=True, is_active=True
    ).order_by("name")
    rows = []
    for school in schools:
        with schema_context(school.schema_name):
            found = list(
                NoticeRecipient.objects.filter(guardian__user=user, notice__status=Status.PUBLISHED)
                .select_related("notice")
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


def notice_read_receipts(notice: Notice, page_messages=None):
    """When each message's person read the notice, as a function of the message (None: not read), from
    one query over the notice's recipients (only those of `page_messages` when given). A message is tied
    to its recipient by the platform user when there is one, else by the guardian's phone number
    (publishing writes both from the same person)."""
    reads = NoticeRecipient.objects.filter(notice=notice, read_at__isnull=False)
    if page_messages is not None:
        users = {m.user_id for m in page_messages if m.user_id}
        phones = {m.phone for m in page_messages if not m.user_id and m.phone}
        reads = reads.filter(Q(user_id__in=users) | Q(guardian__phone__in=phones))
    by_user, by_phone = {}, {}
    for user_id, phone, when in reads.values_list("user_id", "guardian__phone", "read_at"):
        if user_id:
            by_user[user_id] = when
        if phone:
            by_phone[phone] = when
    return lambda m: by_user.get(m.user_id) if m.user_id else by_phone.get(m.phone)


def notice_attach_read_receipts(notice: Notice, page_messages) -> None:
    read_at = notice_read_receipts(notice, page_messages)
    for message in page_messages:
        message.read_at = read_at(message)
