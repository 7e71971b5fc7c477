"""Whom "Mời phụ huynh" (parent_invite) would invite, and what each would read. Reads only."""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from messaging.outbox.selectors import Recipient, guardian_recipient, items_estimate
from schoolbook.phones import format_national
from students.models import Guardian, GuardianInvite, StudentStatus


class Whom(models.TextChoices):
    NOT_INVITED = "not_invited", gettext_lazy("Phụ huynh chưa được mời lần nào")
    NOT_SIGNED_IN = "not_signed_in", gettext_lazy("Phụ huynh chưa từng đăng nhập")
    ALL = "all", gettext_lazy("Tất cả phụ huynh")


@dataclass
class InviteSelection:
    """The guardians to invite now, and how many of the chosen group were left out because they were
    already invited today (one invitation a day: a second one the same day is refused)."""

    guardians: list[Guardian]
    invited_today: int
    items: list[tuple[Recipient, str]] = field(default_factory=list)

    @cached_property
    def estimate(self) -> dict:
        return items_estimate(self.items, None)


def login_url() -> str:
    """The platform's sign-in page as an absolute URL (a parent signs in once for every school)."""
    return settings.SITE_URL + settings.LOGIN_URL


def invite_text(school_name: str, guardian: Guardian) -> str:
    """Short, for SMS: who invites, the number to sign in with, and where."""
    return gettext(
        "%(school)s mời anh/chị dùng sổ liên lạc điện tử: đăng nhập bằng số %(phone)s tại %(link)s"
    ) % {
        "school": school_name,
        "phone": format_national(guardian.phone),
        "link": login_url(),
    }


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def invite_selection(whom: str, school_name: str, *, today: date | None = None) -> InviteSelection:
    """The guardians of students studying now, narrowed by `whom` (Whom), in name order, minus those
    invited today; each with their message."""
    today = today or timezone.localdate()
    studying = Q(student_links__student__status=StudentStatus.STUDYING)
    chosen = Guardian.objects.filter(pk__in=Guardian.objects.filter(studying).values("pk"))
    if whom == Whom.NOT_INVITED:
        chosen = chosen.exclude(Exists(GuardianInvite.objects.filter(guardian=OuterRef("pk"))))
    elif whom == Whom.NOT_SIGNED_IN:
        chosen = chosen.filter(Q(user__isnull=True) | Q(user__last_login__isnull=True))
    elif whom != Whom.ALL:
        raise ValueError(f"not a choice: {whom}")
    today_invite = GuardianInvite.objects.filter(guardian=OuterRef("pk"), invited_at__gte=_start_of(today))
    chosen = chosen.annotate(invited_today=Exists(today_invite)).order_by("full_name", "pk")
    guardians, skipped = [], 0
    for guardian in chosen:
        if guardian.invited_today:
            skipped += 1
        else:
            guardians.append(guardian)
    items = [(guardian_recipient(g), invite_text(school_name, g)) for g in guardians]
    return InviteSelection(guardians, skipped, items)


def invite_counts() -> dict:
    """For the page's choices: guardians of studying students, those ever invited, those who signed in."""
    guardians = Guardian.objects.filter(
        pk__in=Guardian.objects.filter(student_links__student__status=StudentStatus.STUDYING).values("pk")
    )
    return {
        "guardians": guardians.count(),
        "invited": guardians.filter(Exists(GuardianInvite.objects.filter(guardian=OuterRef("pk")))).count(),
        "signed_in": guardians.filter(user__last_login__isnull=False).count(),
    }
