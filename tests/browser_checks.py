"""Checks a browser test can run on any page it visits (Playwright pages)."""

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
AXE_VERSION = "4.14.1"
AXE = Path(__file__).resolve().parent.parent / "static" / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
    const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
    const results = await axe.run(document, options);
    return results.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
    }));
}"""


def accessibility_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (axe is vendored for tests only and
    injected into the page, never served by the app's templates)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(_RUN, WCAG_21_AA)


def violations_text(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}  {node['html'][:120]}\n        {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Fail with a readable list when axe-core finds WCAG 2.1 A/AA violations on the page."""
    violations = accessibility_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{violations_text(violations)}"


# Every shown element whose content is wider than its box and whose overflow is not `visible` (auto, scroll,
# hidden, clip): what a phone user would have to swipe sideways, or could not read at all. Content spilling
# out of a `visible` box widens the page instead, which the page check catches. Text for screen readers only
# (.visually-hidden: a 1 px clipped box) is left out.
_SIDEWAYS = """() => {
    const found = [];
    for (const element of document.querySelectorAll("body *")) {
        const style = getComputedStyle(element);
        if (style.display === "none" || element.clientWidth === 0) continue;
        if (element.classList.contains("visually-hidden")) continue;  // clipped on purpose
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


def look(page, name: str, *, accessible: bool = True) -> None:
    """A journey's stop: the page's screenshot in artifacts/<name>-<width>.png (taken first, so a page
    that fails is there to look at), then nothing scrolls sideways and, unless told otherwise, axe finds
    nothing."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)
    assert_no_sideways_scroll(page)
    if accessible:
        assert_accessible(page)
