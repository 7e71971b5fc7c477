"""In a real browser: axe-core (WCAG 2.1 A/AA) finds nothing on the main page of each role, and the
gradebook grid is usable on a tablet (its header row and names column stay in view while it scrolls inside
its own focusable, labelled region; cells a finger can hit)."""

import pytest
from playwright.sync_api import expect

from grades.rules.circular27 import Checkpoint
from tests.attendance.roll_call.test_browser_roll_call import roll_call_world  # noqa: F401 (a fixture)
from tests.browser_checks import accessibility_violations, assert_accessible, violations_text
from tests.conftest import ARTIFACTS, sign_in
from tests.gradebook_world import grid_cell
from tests.grades.entry.test_browser_gradebook import published_world  # noqa: F401 (a fixture)
from tests.grades.primary import test_primary_entry
from tests.grades.primary.test_primary_entry import _complete_year, _qualities, _rate

pytestmark = pytest.mark.browser
pr = test_primary_entry.pr  # the fixture, shared rather than copied
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _signed_in(browser, live_server_url, phone, viewport=LAPTOP, **options):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport, **options)
    page = context.new_page()
    if phone:
        sign_in(page, phone)
        expect(page.locator("h1").first).to_be_visible()
    return context, page


def test_the_check_finds_what_it_should(browser, live_server_url):
    """The three violations the first accessibility review found, rebuilt in a blank page: the check names
    each of them."""
    context, page = _signed_in(browser, live_server_url, None)
    page.goto("/login/")
    page.set_content(
        """<!doctype html><html lang="vi"><head><title>Thử</title></head><body><main><h1>Thử</h1>
        <label for="x">Mã</label><input id="x" aria-describedby="x_helptext">
        <button style="background:#f79009;color:#fff;border:0">Muộn</button>
        <div style="overflow:auto;width:100px"><table><tr><td style="white-space:nowrap">
        Một hàng rất dài của bảng điểm không vừa khung</td></tr></table></div></main></body></html>"""
    )
    violations = {v["id"] for v in accessibility_violations(page)}
    assert {"color-contrast", "scrollable-region-focusable"} <= violations
    with pytest.raises(AssertionError, match="color-contrast"):
        assert_accessible(page)
    context.close()


def test_no_axe_violations_on_each_roles_main_pages(
    browser,
    live_server_url,
    published_world,  # noqa: F811
    roll_call_world,  # noqa: F811
):
    f = published_world
    roll_class, roll_students, _ = roll_call_world
    found = {}

    def check(page, name):
        violations = accessibility_violations(page)
        if violations:
            found[f"{name} ({page.url})"] = violations_text(violations)

    anonymous, page = _signed_in(browser, live_server_url, None, viewport=PHONE, is_mobile=True)
    page.goto("/login/")
    check(page, "login")
    anonymous.close()

    for phone, role in (("0900000011", "admin"), ("0900000012", "principal")):
        context, page = _signed_in(browser, live_server_url, phone)
        page.goto("/s/test-a/")
        check(page, f"school home, {role}")
        if role == "principal":
            page.goto("/s/test-a/grades/dashboard/")
            check(page, "dashboard")
            page.goto("/s/test-a/grades/dashboard/primary/")
            check(page, "primary dashboard")
            page.goto("/account/2fa/")
            expect(page.locator("figure.two-factor-qr svg")).to_be_visible()
            check(page, "two-factor setup")
        context.close()

    teacher, page = _signed_in(browser, live_server_url, "0900000013")
    page.goto("/s/test-a/")
    check(page, "school home, teacher")
    page.goto(f"/s/test-a/grades/assignments/{f.math.pk}/terms/{f.term.pk}/")
    expect(page.locator("#entry-grid")).to_be_visible()
    check(page, "grade grid")
    # A published score, so that the parent's grades page has its table.
    cell = grid_cell(page, f.students[0], "TX1")
    cell.click()
    page.keyboard.type("8,5")
    page.keyboard.press("Enter")
    expect(cell).to_have_attribute("data-version", "1")
    page.locator("#publish-TX1").get_by_role("button", name="Công bố").click()
    dialog = page.locator("#publish-dialog dialog")
    expect(dialog).to_contain_text("phụ huynh sẽ nhận một tin nhắn")
    check(page, "grade grid, the publish confirmation")
    dialog.get_by_role("button", name="Xác nhận công bố").click()
    expect(page.locator("#publish-TX1")).to_contain_text("Đã công bố cột TX1")
    check(page, "grade grid, after publishing")
    page.goto("/s/test-a/notices/new/")
    check(page, "notices compose")
    page.goto("/s/test-a/attendance/")
    page.locator(".rc-class", has_text=roll_class.name).get_by_role("link", name="Buổi sáng").click()
    row = page.locator(".rc-row", has_text=roll_students[0].full_name)
    row.get_by_role("radio", name="Muộn").click()  # the selected "Muộn" button: its contrast is checked
    expect(row.locator('input[value="late"]')).to_be_checked()
    check(page, "roll call")
    teacher.close()

    parent, page = _signed_in(browser, live_server_url, f.parent_phone, viewport=PHONE, is_mobile=True)
    page.goto("/home/")
    check(page, "parent home")
    page.goto(f"/s/test-a/grades/students/{f.students[0].pk}/")
    expect(page.locator("body")).to_contain_text("8,5")
    check(page, "parent grades")
    parent.close()

    assert not found, "axe-core (WCAG 2.1 A/AA) violations:\n" + "\n\n".join(
        f"== {page}\n{text}" for page, text in found.items()
    )


@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768}, {"width": 768, "height": 1024}])
def test_the_grid_on_a_tablet(browser, live_server_url, published_world, viewport):  # noqa: F811
    f = published_world
    context, page = _signed_in(browser, live_server_url, "0900000013", viewport=viewport, has_touch=True)
    page.goto(f"/s/test-a/grades/assignments/{f.math.pk}/terms/{f.term.pk}/")
    region = page.get_by_role("region", name="Bảng nhập điểm")
    expect(region).to_be_visible()
    # The scroll region is reachable by keyboard: Tab stops on it and it is labelled.
    assert region.get_attribute("tabindex") == "0"
    region.focus()
    expect(region).to_be_focused()
    # Touch-sized cells: at least 44 px high.
    cell = page.locator("#entry-grid .cell").first
    assert cell.bounding_box()["height"] >= 44
    # Scrolled inside its region, the header row and the names column stay where they were.
    name = page.locator("#entry-grid tbody th").first
    header = page.locator("#entry-grid thead th").nth(2)
    before_name, before_header = name.bounding_box(), header.bounding_box()
    scrolled = region.evaluate(
        "el => { el.style.maxHeight = '12rem'; el.scrollTo(el.scrollWidth, el.scrollHeight);"
        " return [el.scrollLeft, el.scrollTop]; }"
    )
    assert scrolled[0] > 0 or scrolled[1] > 0, "the grid had nothing to scroll"
    after_name, after_header = name.bounding_box(), header.bounding_box()
    if scrolled[0]:
        assert after_name["x"] == pytest.approx(before_name["x"], abs=1)  # the names column stays
    if scrolled[1]:
        assert after_header["y"] == pytest.approx(before_header["y"], abs=1)  # the header row stays
    # The page itself does not scroll sideways: only the grid's own region does.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    region.evaluate("el => { el.style.maxHeight = ''; el.scrollTo(0, 0); el.blur(); }")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"grid-tablet-{viewport['width']}.png"))
    context.close()


def test_primary_dashboard_on_a_laptop_and_a_phone(browser, live_server_url, client, pr):
    """The page as the server renders it for the `pr` world (uncommitted, so the HTML is loaded into the
    browser on the live server's origin, which serves the styles): accessible, and on a phone its tables
    become cards with nothing to scroll sideways."""
    s0, s1, s2 = pr.students
    _complete_year(pr, s0)
    _complete_year(pr, s1, rating="H", score="5", quality="Đ")
    _rate(pr, [(s2, "rating", "C", None), (s2, "test", "4", None)], checkpoint=Checkpoint.END_OF_YEAR)
    _qualities(pr, [(s2, "cham-chi", "C", None)], checkpoint=Checkpoint.END_OF_YEAR)
    client.force_login(pr.world.principal_a)
    html = client.get("/s/test-a/grades/dashboard/primary/?checkpoint=end_of_year").content.decode()
    for viewport, name in ((LAPTOP, "laptop"), (PHONE, "phone")):
        context, page = _signed_in(browser, live_server_url, None, viewport=viewport)
        page.goto("/login/")
        page.set_content(html)
        expect(page.locator("#results")).to_be_visible()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / f"primary-dashboard-{name}.png"), full_page=True)
        wide = page.evaluate(
            "[...document.querySelectorAll('.table-wrap')].filter(el => el.scrollWidth > el.clientWidth + 1)"
            ".map(el => `${el.firstElementChild.id}: ${el.scrollWidth} in ${el.clientWidth}`)"
        )
        if name == "phone":
            assert not wide, f"tables scroll sideways on the phone: {wide}"
        context.close()


def test_two_factor_setup_page(browser, live_server_url):
    context, page = _signed_in(browser, live_server_url, "0900000012")
    page.goto("/account/2fa/")
    qr = page.locator("figure.two-factor-qr svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 150  # big enough to scan from a screen
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "two-factor-qr.png"), full_page=True)
    context.close()
