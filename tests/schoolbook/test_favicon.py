"""/favicon.ico: browsers ask for it on every site whatever the page links to; it is served, not a 404."""

from schoolbook.views import FAVICON


def test_favicon_is_served_with_a_long_cache(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age=86400" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body == FAVICON.read_bytes() and body[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_pages_link_the_icon(client, db):
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/login/").content.decode()
