"""The installable app on the server's side (schoolbook/pwa): the manifest and the service worker as browsers
need them (types, headers, fields, icons), the offline page, which pages are marked for the worker to keep
(a signed-in parent's own, never staff's, never a POST's) and what a parent's page carries (the offline
banner, the bottom bar with its current item, the iPhone hint). The worker itself is walked in a browser in
test_browser_pwa.py."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.test import Client, RequestFactory
from django_tenants.utils import schema_context
from PIL import Image

from accounts.models import User
from schoolbook.pwa.middleware import OWNER_HEADER
from students.models import Student
from tenants.services import affiliation_add
from tests.conftest import signed_in
from tests.factories import guardian_link, staff_make

SCHEMA_A = "school_test_a"


@pytest.fixture
def world_child(world):
    with schema_context(SCHEMA_A):
        return Student.objects.get(student_code="W-PH-A")


def test_the_manifest_is_served_as_a_manifest_with_what_installing_needs(db):
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert response["Cache-Control"] == "no-cache"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Sổ liên lạc Schoolbook" and manifest["short_name"] == "Schoolbook"
    assert manifest["lang"] == "vi" and manifest["description"].startswith("Sổ liên lạc điện tử")
    assert manifest["start_url"] == "/home/" and manifest["scope"] == "/" and manifest["id"] == "/home/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b6bcb" and manifest["background_color"] == "#f5f7fb"
    css = finders.find("css/app.css")
    with open(css, encoding="utf-8") as sheet:
        colours = sheet.read()
    assert "--brand:#0b6bcb" in colours and "--bg:#f5f7fb" in colours  # the colours match the pages'
    icons = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for (sizes, _), src in icons.items():
        assert src.startswith("/static/icons/app-1/") and src.endswith(".png")
        with Image.open(finders.find(src.removeprefix("/static/"))) as image:
            assert f"{image.width}x{image.height}" == sizes and image.format == "PNG"


def test_every_page_links_the_manifest_and_the_iphone_icon(db):
    page = Client().get("/login/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<link rel="apple-touch-icon" href="/static/icons/app-1/apple-touch-icon-180.png">' in page
    assert finders.find("icons/app-1/apple-touch-icon-180.png")


def test_the_worker_is_served_for_the_whole_origin_never_cached_with_its_shell(db):
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    shell = json.loads(re.search(r"^const SHELL = (.*);$", script, re.M).group(1))
    assert {"/static/css/app.css", "/static/js/pwa.js", "/static/icons/app-1/icon-192.png"} <= set(shell)
    assert "/offline/" in shell and 'const OFFLINE_URL = "/offline/";' in script
    for path in shell:
        if path.startswith("/static/"):
            assert finders.find(path.removeprefix("/static/")), path
    assert re.search(r'^const SHELL_CACHE = "shell-[0-9a-f]{12}";$', script, re.M)
    # Installable: a fetch handler; the push handlers are still there (test_push_subscriptions).
    assert 'self.addEventListener("fetch"' in script and 'self.addEventListener("push"' in script
    assert 'const LOGOUT_URL = "/logout/";' in script


def test_the_offline_page_names_nobody_and_offers_a_next_step(world):
    for client in (Client(), signed_in(world.parent)):
        page = client.get("/offline/")
        assert page.status_code == 200 and page["Cache-Control"] == "no-cache"
        html = page.content.decode()
        assert "Bạn đang ngoại tuyến" in html and "Thử lại" in html and 'href="/home/"' in html
        assert "data-reload" in html
        assert world.parent.full_name not in html and "Đăng xuất" not in html and "Đăng nhập" not in html
        assert "data-owner" not in html  # its script must not forget the kept pages (pwa.js)
        assert "bottom-bar" not in html and OWNER_HEADER not in page


def test_a_parents_pages_are_marked_for_the_worker_under_one_owner(world, world_child):
    client = signed_in(world.parent)
    pages = ["/home/", "/notices/", f"/s/test-a/grades/students/{world_child.pk}/", "/s/test-a/"]
    owners = set()
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        owners.add(response[OWNER_HEADER])
        html = response.content.decode()
        assert f'data-owner="{response[OWNER_HEADER]}"' in html
        banner = re.search(
            r'<p class="offline-banner" role="status" data-offline-banner hidden>([^<]*)</p>', html
        )
        assert re.fullmatch(r"Bạn đang ngoại tuyến — dữ liệu lúc \d\d:\d\d \d\d/\d\d", banner.group(1)), path
    assert len(owners) == 1
    owner = owners.pop()
    assert re.fullmatch(r"[0-9a-f]{20}", owner) and str(world.parent.pk) != owner

    other = signed_in(world.outsider_parent).get("/home/")
    assert other[OWNER_HEADER] not in ("", owner)


def test_nothing_else_is_marked(world, world_child):
    parent = signed_in(world.parent)
    # Not a GET, not a success, not a page of base.html: never kept.
    assert OWNER_HEADER not in parent.post("/home/password-offer/dismiss/")
    assert OWNER_HEADER not in parent.get("/s/test-a/grades/students/999999/")
    assert OWNER_HEADER not in parent.get("/account/push/")
    # Nobody signed in: not marked, and the page's script forgets whatever is kept (data-owner="").
    login = Client().get("/login/")
    assert OWNER_HEADER not in login and 'data-owner=""' in login.content.decode()
    assert "data-offline-banner" not in login.content.decode()
    # Staff, on the school's pages and on the platform's: not marked, no bar, no banner.
    teacher = signed_in(world.teacher_a)
    for response in (teacher.get("/s/test-a/"), teacher.get("/notices/")):
        assert response.status_code == 200
        html = response.content.decode()
        assert OWNER_HEADER not in response and 'data-owner=""' in html
        assert "bottom-bar" not in html and "data-offline-banner" not in html


def test_a_staff_member_who_is_also_a_parent_is_staff_here(world, world_child):
    with schema_context(SCHEMA_A):
        staff = staff_make(world, "0912000871", "Cô Giáo Cũng Là Mẹ")
        guardian_link(world_child, "0912000871", user=staff.user)
    affiliation_add(user=staff.user, school=world.school_a, is_guardian=True)
    client = signed_in(staff.user)
    for path in ("/home/", f"/s/test-a/grades/students/{world_child.pk}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert OWNER_HEADER not in response and "bottom-bar" not in response.content.decode()


def _bar(html: str) -> str:
    return re.search(r'<nav class="bottom-bar" aria-label="Điều hướng chính">(.*?)</nav>', html, re.S).group(
        1
    )


def _current(bar: str) -> list[str]:
    return re.findall(r'aria-current="page"><svg[^>]*><path d="[^"]*"/></svg><span>([^<]*)</span>', bar)


def test_a_parents_bottom_bar_marks_the_part_of_the_app_they_are_in(world, world_child):
    client = signed_in(world.parent)
    for path, current in (
        ("/home/", ["Trang chủ"]),
        ("/notices/", ["Thông báo"]),
        (f"/s/test-a/grades/students/{world_child.pk}/", ["Con"]),
        ("/s/test-a/conversations/", ["Tin nhắn"]),
        ("/account/devices/", []),
    ):
        html = client.get(path).content.decode()
        assert 'class="with-bottom-bar"' in html
        bar = _bar(html)
        links = ["/home/", "/notices/", "/messages/", "/home/#children"]
        assert re.findall(r'<a href="([^"]*)"', bar) == links
        assert _current(bar) == current, path
    assert '<h1 class="hub-title" id="children">' in client.get("/home/").content.decode()  # "Con" lands here


def test_a_fourth_item_is_one_line_and_the_first_match_is_current():
    bar = """{% load parent_bar %}{% bar_item "/home/" _("Trang chủ") "home" "^/home/$" %}
    {% bar_item "/messages/" "Tin nhắn" "chat" "/messages/" %}
    {% bar_item "/home/#children" "Con" "child" "^/s/" %}"""
    for path, current in (
        ("/s/a/messages/3/", ["Tin nhắn"]),
        ("/s/a/grades/", ["Con"]),
        ("/home/", ["Trang chủ"]),
    ):
        html = Template(bar).render(Context({"request": RequestFactory().get(path)}))
        assert _current(html) == current, path


def test_the_parents_home_has_the_iphone_hint_hidden_before_the_push_card(world):
    html = signed_in(world.parent).get("/home/").content.decode()
    hint = html.index('<section class="card install-hint" data-install-hint hidden')
    assert hint < html.index("data-push-card") and "Thêm vào Màn hình chính" in html


def test_a_user_with_no_school_is_not_a_parent(db):
    nobody = User.objects.create_user("0912000872", full_name="Chưa Thuộc Trường")
    response = signed_in(nobody).get("/home/")
    assert OWNER_HEADER not in response and "bottom-bar" not in response.content.decode()
