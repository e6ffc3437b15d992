"""The local copy of htmx (static/vendor/, fetched and hash-checked at install time) is the very
file the pages pin: its sha384 equals the rendered `integrity` attribute of the CDN script and
of the fallback loader. (The browser side of the fallback: tests/browser/test_htmx_cdn.py.)"""

import re
from pathlib import Path

from lemontaps.vendor import TARGET
from lemontaps.vendor import sri_of


def test_the_local_copy_has_the_hash_the_page_pins(app, client):
    assert TARGET == Path(app.static_folder).resolve() / "vendor" / "htmx.min.js"
    assert TARGET.exists(), "static/vendor/htmx.min.js is missing: run python -m lemontaps.vendor"
    page = client.get("/auth/login").get_data(as_text=True)
    cdn_tag = re.search(
        r'<script src="(https://[^"]+)" integrity="([^"]+)" '
        r'crossorigin="anonymous" defer></script>',
        page,
    )
    assert cdn_tag, page
    url, integrity = cdn_tag.groups()
    assert url == app.config["HTMX_CDN_URL"] and f"htmx.org@{app.config['HTMX_VERSION']}" in url
    assert integrity.startswith("sha384-")
    assert sri_of(TARGET.read_bytes()) == integrity
    fallback = re.search(
        r'<script src="/static/js/htmx-fallback.js" '
        r'data-local-src="([^"]+)" data-integrity="([^"]+)"',
        page,
    )
    assert fallback.groups() == ("/static/vendor/htmx.min.js", integrity)
