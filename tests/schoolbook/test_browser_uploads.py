"""In a real browser: a principal uploads a decompression bomb to the roster import and is
told at once, in Vietnamese, why it is refused; nothing is kept for confirmation. On a phone and a laptop."""

import time

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, sign_in
from tests.schoolbook.test_uploads_hardening import bomb  # noqa: F401 (the fixture that builds the file)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("name", "viewport"), [("phone", (390, 844)), ("laptop", (1366, 900))])
def test_a_bomb_is_refused_with_the_reason(browser, live_server_url, bomb, name, viewport):  # noqa: F811
    width, height = viewport
    context = browser.new_context(
        base_url=live_server_url, locale="vi-VN", viewport={"width": width, "height": height}
    )
    page = context.new_page()
    sign_in(page, "0900000012")
    page.goto("/s/test-a/students/import/")
    page.get_by_label("Tệp danh sách (.xlsx hoặc .csv)").set_input_files(
        files=[{"name": "danh-sach.xlsx", "mimeType": "application/octet-stream", "buffer": bomb}]
    )
    started = time.perf_counter()
    page.get_by_role("button", name="Kiểm tra tệp").click()
    expect(page.get_by_text("Tệp bảng tính khi giải nén quá lớn")).to_be_visible()
    assert time.perf_counter() - started < 5
    expect(page.get_by_role("button", name="Xác nhận nhập")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"uploads-bomb-refused-{name}.png"), full_page=True)
    context.close()
