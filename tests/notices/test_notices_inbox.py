"""The parents' inbox: notices from every school where they are a guardian, newest first,
unread marked; opening a notice marks it read once; a parent never sees a notice not addressed to them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from notices.models import Audience, Notice, NoticeRecipient
from notices.selectors import inbox_across_schools
from notices.services import notice_save
from students.models import GradeLevel, SchoolClass, SchoolYear, StaffMember
from tenants.selectors import affiliations_of_user
from tenants.services import affiliation_add
from tests.factories import guardian_account, guardian_link, student_enrol
from tests.notices.test_notices import SITE, build, data, reads

INBOX = "/notices/"


@pytest.fixture
def box(world, settings, tmp_path):
    """School A's notice world, the mother signed up; in school B she has a child too (class 6B1, whose
    homeroom teacher is Đỗ Người Ngoài)."""
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path
    settings.GATEWAYS = {}
    with schema_context(world.school_a.schema_name):
        n = build(world)
        n.parent = guardian_account(world, n.mother)
        n.other_parent = guardian_account(world, n.dung_parent)
    with schema_context(world.school_b.schema_name):
        n.teacher_b = StaffMember.objects.get(user=world.staff_b)
        b1 = SchoolClass.objects.create(
            name="6B1",
            grade=GradeLevel.objects.get(number=6),
            year=SchoolYear.objects.get(is_current=True),
            homeroom_teacher=n.teacher_b,
        )
        n.guardian_b = guardian_link(student_enrol("NB-EM", b1, "Nguyễn Văn Em"), "0912000001", user=n.parent)
        n.b1 = b1
    affiliation_add(user=n.parent, school=world.school_b, is_guardian=True)
    return n


def send_a(n, title, **choices):
    with schema_context(n.world.school_a.schema_name):
        return notice_save(actor_staff=n.principal, data=data(title=title, **choices), submit=True)


def send_b(n, title):
    with schema_context(n.world.school_b.schema_name):
        return notice_save(actor_staff=n.teacher_b, data=data(title=title, classes=[n.b1]), submit=True)


def age(notice, school, minutes):
    """Pretend it was published `minutes` ago (to order the inbox)."""
    with schema_context(school.schema_name):
        Notice.objects.filter(pk=notice.pk).update(published_at=timezone.now() - timedelta(minutes=minutes))


def test_the_inbox_gathers_every_school_newest_first(box, client):
    a_old = send_a(box, "Lịch thi trường A", audience=Audience.SCHOOL)
    b_new = send_b(box, "Họp lớp 6B1")
    a_new = send_a(box, "Nghỉ học trường A", classes=[box.a1])
    send_a(box, "Chỉ cho khối 7", audience=Audience.GRADES, grades=[box.g7])
    age(a_old, box.world.school_a, 30)
    age(b_new, box.world.school_b, 20)
    age(a_new, box.world.school_a, 10)
    client.force_login(box.parent)
    page = client.get(INBOX).content.decode()
    titles = ["Nghỉ học trường A", "Họp lớp 6B1", "Lịch thi trường A"]
    assert [page.index(title) for title in titles] == sorted(page.index(title) for title in titles)
    assert "Chỉ cho khối 7" not in page
    assert page.count("Mới") == 3
    assert "Trường THCS Thử Nghiệm B" in page
    assert f'href="/s/test-b/notices/{b_new.pk}/"' in page


def test_opening_a_notice_marks_it_read_once(box, client):
    notice = send_a(box, "Nghỉ học trường A", classes=[box.a1])
    client.force_login(box.parent)
    url = f"/s/test-a/notices/{notice.pk}/"
    page = client.get(url).content.decode()
    assert "Nghỉ học trường A" in page and "Kính mời phụ huynh dự họp." in page
    with schema_context(box.world.school_a.schema_name):
        first = NoticeRecipient.objects.get(notice=notice, guardian=box.mother).read_at
        assert first is not None
        with CaptureQueriesContext(connection) as again:
            client.get(url)
        assert not [q for q in again.captured_queries if q["sql"].startswith("UPDATE")]  # no write again
        assert NoticeRecipient.objects.get(notice=notice, guardian=box.mother).read_at == first
        assert NoticeRecipient.objects.filter(notice=notice, read_at__isnull=True).count() == 0
    assert "Mới" not in client.get(INBOX).content.decode()


def test_a_notice_page_is_kept_under_a_version_of_its_rows(box, client):
    """A parent's notice comes from the cache (notices.selectors.notice_visible) under a version of the
    notice, its attachments, its author and the parent's recipient row: a repeated view reads one version
    and writes nothing, and any change of those rows, even one that sends no signal, shows at once."""
    notice = send_a(box, "Nghỉ học trường A", classes=[box.a1])
    client.force_login(box.parent)
    url = f"/s/test-a/notices/{notice.pk}/"
    assert client.get(url).status_code == 200  # first view: marks it read, so the next one builds again
    client.get(url)
    with CaptureQueriesContext(connection) as kept:
        assert "Nghỉ học trường A" in client.get(url).content.decode()
    assert reads(kept) == 1 and not [q for q in kept.captured_queries if q["sql"].startswith("UPDATE")]
    with schema_context(box.world.school_a.schema_name):
        Notice.objects.filter(pk=notice.pk).update(title="Lịch nghỉ học mới")
        StaffMember.objects.filter(pk=notice.author_id).update(full_name="Hiệu Trưởng Đổi Tên")
    page = client.get(url).content.decode()
    assert "Lịch nghỉ học mới" in page and "Hiệu Trưởng Đổi Tên" in page
    with schema_context(box.world.school_a.schema_name):
        NoticeRecipient.objects.filter(notice=notice, guardian=box.mother).update(read_at=None)
        client.get(url)  # unread again: this view marks it read again
        assert NoticeRecipient.objects.get(notice=notice, guardian=box.mother).read_at is not None
        NoticeRecipient.objects.filter(notice=notice, guardian=box.mother).delete()
    assert client.get(url).status_code == 404  # no longer addressed to her


def test_a_parent_never_sees_what_was_not_addressed_to_them(box, client):
    grade7 = send_a(box, "Chỉ cho khối 7", audience=Audience.GRADES, grades=[box.g7])
    b_notice = send_b(box, "Họp lớp 6B1")
    client.force_login(box.parent)
    assert client.get(f"/s/test-a/notices/{grade7.pk}/").status_code == 404
    assert client.get(f"/s/test-b/notices/{b_notice.pk}/").status_code == 200  # her child in B
    client.force_login(box.other_parent)  # Dũng's guardian, school A only
    assert client.get(f"/s/test-a/notices/{grade7.pk}/").status_code == 200
    assert client.get(f"/s/test-b/notices/{b_notice.pk}/").status_code == 404  # not a guardian in B
    page = client.get(INBOX).content.decode()
    assert "Chỉ cho khối 7" in page and "Họp lớp 6B1" not in page
    client.logout()
    response = client.get(INBOX)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_empty_inbox(box, client):
    client.force_login(box.parent)
    assert "Chưa có thông báo nào gửi cho bạn." in client.get(INBOX).content.decode()


def test_the_inbox_takes_one_query_per_school_whatever_the_number_of_notices(box, client):
    send_a(box, "Thông báo A0", classes=[box.a1])
    send_b(box, "Thông báo B0")
    client.force_login(box.parent)
    client.get("/home/")  # the user is read once, then kept in the cache
    affiliations_of_user(box.parent)  # and the user's schools (home keeps them in a part of its own)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INBOX).status_code == 200
        return reads(captured)

    few = queries()
    for n in range(1, 7):
        send_a(box, f"Thông báo A{n}", classes=[box.a1])
        send_b(box, f"Thông báo B{n}")
    # The version of the user's schools, then per school its versions, its rows and what was read.
    assert queries() == few == 7
    assert queries() == 3  # unchanged since: the page is kept, only the versions are read
    with schema_context(box.world.school_a.schema_name):
        NoticeRecipient.objects.filter(guardian=box.mother).update(read_at=timezone.now())
    assert queries() == 5  # only what was read changed: the list is kept, the reads are read again
    rows = inbox_across_schools(box.parent)
    assert len(rows) == 14 and {row.school.code for row in rows} == {"test-a", "test-b"}
