"""The installable app in a real browser on a 390×844 phone (Debian's chromium): a signed-in parent's page
registers the service worker and links a manifest that meets Chrome's installability criteria, checked by
hand (Lighthouse is not installed): name, short_name, icons of 192 and 512 px that load, start_url in scope,
display standalone, a worker with a fetch handler controlling the page, a secure context (loopback counts);
and by Chrome itself (DevTools' Page.getInstallabilityErrors: nothing but "a private window").
The parent opens a child's grades, loses the network, reloads and sees the same grades under the offline
banner; a page never seen gives the offline page; signing out deletes the kept pages. On an iPhone that has
not installed the app, the home shows the "add to home screen" hint before the notification card, until
dismissed. The bottom bar is on a parent's phone only: not on a laptop, not for staff."""

import random
import re
from decimal import Decimal
from uuid import uuid4

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import HomeVisit, User
from grades.models import AssessmentPlan, Score, regular_columns
from students.models import (
    Enrolment,
    GradeLevel,
    Guardian,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    Subject,
    TeachingAssignment,
)
from tenants.models import School, SchoolAffiliation
from tenants.services import affiliation_add
from tests.browser_checks import ARTIFACTS, look
from tests.conftest import sign_in, with_password
from tests.factories import guardian_link, student_enrol
from tests.gradebook_world import plans_generate_undoable

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
BANNER = re.compile(r"^Bạn đang ngoại tuyến — dữ liệu lúc \d\d:\d\d \d\d/\d\d$")


@pytest.fixture
def family(django_db_blocker):
    """Committed (the live server must see it): a parent with a password and a child in a class of school A
    with published maths scores. Removed afterwards (the account stays, its affiliation goes)."""
    tag = uuid4().hex[:6]
    now = timezone.now()
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        while True:
            phone = "0913" + "".join(random.choices("0123456789", k=6))
            if not User.objects.filter(phone=f"+84{phone[1:]}").exists():
                break
        parent = with_password(User.objects.create_user(phone, full_name="Phụ Huynh Ngoại Tuyến"))
        affiliation_add(user=parent, school=school, is_guardian=True)
        with schema_context(school.schema_name):
            year = SchoolYear.objects.get(is_current=True)
            grade = GradeLevel.objects.get(number=6)
            teacher = StaffMember.objects.get(user__phone="+84900000013")
            school_class = SchoolClass.objects.create(
                name=f"6N-{tag}", grade=grade, year=year, homeroom_teacher=teacher
            )
            child = student_enrol(f"PN-{tag}", school_class, "Trần Thu Hà")
            guardian = guardian_link(child, phone, full_name=parent.full_name, user=parent)
            subject = Subject.objects.get(level="lower_secondary", code="toan")
            _, undo = plans_generate_undoable(year, grade, subject)
            TeachingAssignment.objects.create(teacher=teacher, school_class=school_class, subject=subject)
            plan = AssessmentPlan.objects.get(year=year, grade=grade, subject=subject)
            term = year.terms.get(number=1)
            for n, column in enumerate([*regular_columns(plan.regular_count), "GK", "CK"]):
                value = Decimal(7 + n % 3)
                Score.objects.create(
                    student=child, subject=subject, term=term, column=column, value=value, updated_at=now,
                    published_value=value, published_at=now,
                )  # fmt: skip
    yield parent, child
    with django_db_blocker.unblock():
        with schema_context(school.schema_name):
            Score.objects.filter(student=child).delete()
            TeachingAssignment.objects.filter(school_class=school_class).delete()
            Guardian.objects.filter(pk=guardian.pk).delete()
            Enrolment.objects.filter(student=child).delete()
            Student.objects.filter(pk=child.pk).delete()
            school_class.delete()
            undo()
        HomeVisit.objects.filter(user=parent).delete()
        SchoolAffiliation.objects.filter(user=parent).delete()


# Chrome's installability criteria, checked in the page: the manifest linked and parsed, its required fields,
# icons of 192 and 512 px that load as PNG images of those sizes, start_url inside scope, a secure context,
# a worker controlling the page. Returns what failed (empty when installable).
INSTALLABILITY = """async () => {
    const failed = [];
    if (!window.isSecureContext) failed.push("not a secure context");
    const link = document.querySelector('link[rel="manifest"]');
    if (!link) return ["no manifest link"];
    const response = await fetch(link.href);
    const type = response.headers.get("Content-Type");
    if (!response.ok || !type.startsWith("application/manifest+json")) failed.push(`manifest: ${type}`);
    const manifest = await response.json();
    if (!manifest.name || !manifest.short_name) failed.push("name or short_name");
    if (!["standalone", "fullscreen", "minimal-ui"].includes(manifest.display)) failed.push("display");
    const start = new URL(manifest.start_url, link.href);
    const scope = new URL(manifest.scope || "/", link.href);
    if (start.origin !== location.origin || !start.pathname.startsWith(scope.pathname)) {
        failed.push("start_url");
    }
    for (const size of [192, 512]) {
        const icon = manifest.icons.find((i) => i.sizes === `${size}x${size}` && i.type === "image/png"
            && (i.purpose || "any").split(" ").includes("any"));
        if (!icon) { failed.push(`no ${size} icon`); continue; }
        const image = await fetch(new URL(icon.src, link.href));
        const bitmap = await createImageBitmap(await image.blob());
        if (!image.ok || bitmap.width !== size || bitmap.height !== size) failed.push(`${size} icon`);
    }
    const registration = await navigator.serviceWorker.ready;
    if (!registration.active || !navigator.serviceWorker.controller) failed.push("no controlling worker");
    return failed;
}"""

KEPT = """async () => {
    const names = (await caches.keys()).filter((name) => name.startsWith("pages-"));
    const kept = {};
    for (const name of names) {
        kept[name] = (await (await caches.open(name)).keys()).map((request) => new URL(request.url).pathname);
    }
    return kept;
}"""


def _kept(page) -> dict:
    return page.evaluate(KEPT)


def _wait_kept(page, owner: str, path: str) -> None:
    """The worker keeps a page after answering it (waitUntil): wait until it is in the owner's cache."""
    page.wait_for_function(
        """async ([name, path]) => {
            const keys = await (await caches.open(name)).keys();
            return keys.some((request) => new URL(request.url).pathname === path);
        }""",
        arg=[f"pages-{owner}", path],
    )


def test_a_parent_installs_sees_the_last_grades_offline_and_signing_out_forgets_them(
    browser, live_server_url, family
):
    parent, child = family
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE)
    page = context.new_page()
    sign_in(page, parent.phone)
    expect(page).to_have_url(f"{live_server_url}/home/")
    scope = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)")
    assert scope == f"{live_server_url}/"
    page.wait_for_function("navigator.serviceWorker.controller !== null")  # clients.claim()
    assert page.evaluate(INSTALLABILITY) == []
    # And Chrome's own check (what Lighthouse asks too), through DevTools: the manifest parses without an
    # error, and the only objection is that a Playwright context is a private window, where nothing installs.
    devtools = context.new_cdp_session(page)
    assert devtools.send("Page.getAppManifest")["errors"] == []
    errors = devtools.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [error["errorId"] for error in errors] == ["in-incognito"], errors
    shell = page.evaluate("""caches.keys().then((names) => names.find((name) => name.startsWith("shell-")))
        .then((name) => caches.open(name)).then((cache) => cache.keys())
        .then((keys) => keys.map((request) => new URL(request.url).pathname))""")
    assert {"/static/css/app.css", "/offline/", "/static/icons/app-1/icon-512.png"} <= set(shell)

    # The bottom bar: a landmark, the current item, and nothing under it at the end of the page.
    bar = page.get_by_role("navigation", name="Điều hướng chính")
    expect(bar).to_be_visible()
    expect(bar.get_by_role("link")).to_have_text(["Trang chủ", "Thông báo", "Tin nhắn", "Con"])
    expect(bar.get_by_role("link", name="Trang chủ")).to_have_attribute("aria-current", "page")
    look(page, "pwa-parent-home")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    footer, bar_box = page.locator("footer").bounding_box(), bar.bounding_box()
    assert footer["y"] + footer["height"] <= bar_box["y"] + 0.5, (footer, bar_box)
    page.screenshot(path=ARTIFACTS / "pwa-bottom-bar-at-the-end-390.png")  # the screen, not the full page

    owner = page.locator("script[data-owner]").get_attribute("data-owner")
    assert re.fullmatch(r"[0-9a-f]{20}", owner)
    page.get_by_role("link", name="Kết quả học tập").click()
    grades = f"/s/test-a/grades/students/{child.pk}/"
    expect(page).to_have_url(f"{live_server_url}{grades}")
    expect(page.locator("h1")).to_contain_text("Kết quả học tập · Trần Thu Hà")
    expect(bar.get_by_role("link", name="Con")).to_have_attribute("aria-current", "page")
    expect(page.locator("[data-offline-banner]")).to_be_hidden()
    _wait_kept(page, owner, grades)
    assert set(_kept(page)) == {f"pages-{owner}"} and "/home/" in _kept(page)[f"pages-{owner}"]

    # No network: the same grades, from the device, under the banner with the time they were shown.
    context.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_contain_text("Kết quả học tập · Trần Thu Hà")
    expect(page.locator("details", has_text="Toán").first).to_be_visible()
    banner = page.get_by_role("status").filter(has_text="Bạn đang ngoại tuyến")
    expect(banner).to_be_visible()
    assert BANNER.match(banner.inner_text()), banner.inner_text()
    look(page, "pwa-offline-grades")

    # A page never seen: the offline page, which says what to do; home, seen before, still opens.
    page.goto(f"/s/test-a/attendance/students/{child.pk}/")
    expect(page.locator("h1")).to_have_text("Bạn đang ngoại tuyến")
    expect(page.get_by_role("button", name="Thử lại")).to_be_visible()
    look(page, "pwa-offline-page")
    page.get_by_role("link", name="Về trang chủ").click()
    expect(page).to_have_url(f"{live_server_url}/home/")
    expect(page.locator(".child-card")).to_contain_text("Trần Thu Hà")
    expect(page.locator("[data-offline-banner]")).to_be_visible()
    assert f"pages-{owner}" in _kept(page)  # the offline page's script kept them

    # Back online, signing out deletes the kept pages (the shell stays: it names nobody).
    context.set_offline(False)
    page.goto("/home/")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(f"{live_server_url}/login/")
    page.wait_for_function("caches.keys().then((names) => !names.some((name) => name.startsWith('pages-')))")
    assert _kept(page) == {}
    assert page.evaluate("caches.keys()") != []
    context.set_offline(True)
    page.goto("/home/")  # the next person of this phone, offline: nothing of the parent's
    expect(page.locator("h1")).to_have_text("Bạn đang ngoại tuyến")
    expect(page.locator("body")).not_to_contain_text("Trần Thu Hà")
    context.close()


def test_an_iphone_not_installed_first_shows_how_to_add_to_the_home_screen(browser, live_server_url, family):
    parent, _ = family
    context = browser.new_context(
        base_url=live_server_url, locale="vi-VN", viewport=PHONE, user_agent=IPHONE_SAFARI, has_touch=True
    )
    page = context.new_page()
    sign_in(page, parent.phone)
    hint = page.locator("[data-install-hint]")
    expect(hint).to_be_visible()
    expect(hint.get_by_role("heading")).to_have_text("Thêm vào Màn hình chính")
    expect(hint).to_contain_text("Chia sẻ")
    expect(page.locator("[data-push-card]")).to_be_hidden()
    look(page, "pwa-iphone-hint")
    hint.get_by_role("button", name="Đã hiểu").click()
    expect(hint).to_be_hidden()
    expect(page.locator("[data-push-card]")).to_be_visible()
    page.reload()  # remembered on this device
    expect(page.locator("[data-push-card]")).to_be_visible()
    expect(hint).to_be_hidden()
    context.close()

    # Anywhere else, the notification card as it was, no hint.
    context = browser.new_context(
        base_url=live_server_url, locale="vi-VN", viewport=PHONE, user_agent=ANDROID_CHROME
    )
    page = context.new_page()
    sign_in(page, parent.phone)
    expect(page.locator("[data-push-card]")).to_be_visible()
    expect(page.locator("[data-install-hint]")).to_be_hidden()
    context.close()


def test_the_bottom_bar_is_for_a_parents_phone_only(browser, live_server_url, family):
    parent, _ = family
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, parent.phone)
    expect(page).to_have_url(f"{live_server_url}/home/")
    expect(page.locator(".bottom-bar")).to_be_hidden()
    look(page, "pwa-parent-home-laptop")
    context.close()

    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE)
    page = context.new_page()
    sign_in(page, "0900000013")  # Vũ Giáo Viên, a teacher of school A
    expect(page).to_have_url(f"{live_server_url}/s/test-a/")
    expect(page.locator(".bottom-bar")).to_have_count(0)
    assert page.locator("script[data-owner]").get_attribute("data-owner") == ""
    context.close()
