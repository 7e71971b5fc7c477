"""Checks a browser test runs on any page it visits (Playwright's sync API)."""

# Every shown element whose content is wider than its box and whose overflow is not `visible` (auto, scroll,
# hidden, clip): what a phone user would have to swipe sideways, or could not read at all. Content spilling
# out of a `visible` box widens the page instead, which the page check catches.
_SIDEWAYS = """() => {
    const found = [];
    for (const element of document.querySelectorAll("body *")) {
        const style = getComputedStyle(element);
        if (style.display === "none" || element.clientWidth === 0) continue;
        if (element.scrollWidth > element.clientWidth + 1 && style.overflowX !== "visible") {
            const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
                + (element.className && typeof element.className === "string"
                    ? "." + element.className.trim().split(/\\s+/).join(".") : "");
            found.push(`${name}: ${element.scrollWidth} px inside ${element.clientWidth}`);
        }
    }
    return {
        page: document.documentElement.scrollWidth,
        width: window.innerWidth,
        elements: found,
    };
}"""


def assert_no_sideways_scroll(page) -> None:
    """Nothing on the page scrolls sideways: not the page itself (scrollWidth <= innerWidth) and not any
    element in it (scrollWidth > clientWidth with overflow other than visible). The message names them."""
    found = page.evaluate(_SIDEWAYS)
    assert found["page"] <= found["width"], (
        f"{page.url}: the page is {found['page']} px wide on a {found['width']} px screen"
    )
    assert not found["elements"], f"{page.url}: elements scroll sideways: {found['elements']}"
