"""htmx from the CDN with SRI, and the local copy: with the CDN unreachable the local copy
works; with the CDN serving an altered file the browser refuses it (SRI), the altered code
never runs, and the local copy takes over. The CDN is intercepted (page routes), never asked."""

import time
from datetime import date

import pytest
from playwright.sync_api import expect

from lemontaps.extensions import db
from tests.browser.helpers import CDN
from tests.browser.helpers import DESKTOP
from tests.browser.helpers import PHONE
from tests.browser.helpers import log_in
from tests.browser.helpers import new_context
from tests.helpers import admin_of
from tests.helpers import make_account
from tests.helpers import make_contact

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ADMIN = "admin@acme.test"
LOCAL = "/static/vendor/htmx.min.js"


@pytest.fixture(scope="module")
def contact_id(live):
    account = make_account(live.app, "Acme AG", ADMIN)
    contact = make_contact(admin_of(account), company="Acme", met_on=date(2026, 5, 4))
    contact_id = contact.id
    db.session.remove()
    return contact_id


def open_contacts(browser, live, cdn: CDN, device=DESKTOP):
    context = new_context(browser, live, device, cdn=cdn)
    page = log_in(context, live, ADMIN, "phone" if device is PHONE else "desktop")
    local, errors, htmx_requests = [], [], []
    page.on("request", lambda r: local.append(r.url) if r.url.endswith(LOCAL) else None)
    page.on(
        "request",
        lambda r: htmx_requests.append(r.url) if r.headers.get("hx-request") == "true" else None,
    )
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/contacts/")
    # Polled through page.evaluate (the debugging protocol): wait_for_function's in-page
    # predicate counts as eval and the page's CSP (no unsafe-eval) may refuse it.
    deadline = time.monotonic() + 10
    while not page.evaluate("window.htmx !== undefined"):
        assert time.monotonic() < deadline, "htmx never loaded"
        page.wait_for_timeout(50)
    return context, page, local, errors, htmx_requests


def an_hx_request_works(page, contact_id, htmx_requests) -> None:
    """htmx is alive, with the page's configuration: the icon opens the details panel
    through an hx-get."""
    config = page.evaluate(
        "({eval: htmx.config.allowEval, styles:"
        " htmx.config.includeIndicatorStyles,"
        " scripts: htmx.config.allowScriptTags})"
    )
    assert config == {"eval": False, "styles": False, "scripts": False}
    # htmx may still be processing the page right after it loaded: wait until the icon link
    # has its handlers (htmx keeps them on the element).
    link = f"#export-link-{contact_id}"
    deadline = time.monotonic() + 10
    while not page.evaluate(f"!!document.querySelector('{link}')['htmx-internal-data']"):
        assert time.monotonic() < deadline, "htmx never processed the page"
        page.wait_for_timeout(50)
    page.click(link)
    expect(page.locator("dialog#export-panel")).to_be_visible()
    expect(page.locator("#export-details")).to_have_attribute("data-contact-id", str(contact_id))
    assert any(f"/exports/contacts/{contact_id}" in url for url in htmx_requests)
    assert page.url.endswith("/contacts/")


def test_the_cdn_copy_is_used_when_it_is_served(live, browser, contact_id):
    cdn = CDN("serve")
    context, page, local, errors, htmx_requests = open_contacts(browser, live, cdn)
    assert cdn.requests >= 1
    assert local == []  # the fallback did not load anything
    assert page.evaluate("htmx.version").startswith("2.")
    assert page.locator("[hx-on], [data-hx-on]").count() == 0
    an_hx_request_works(page, contact_id, htmx_requests)
    assert errors == []
    context.close()


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_with_the_cdn_blocked_the_local_copy_works(live, browser, contact_id, device):
    cdn = CDN("block")
    context, page, local, _errors, htmx_requests = open_contacts(browser, live, cdn, device)
    assert cdn.requests >= 1  # the CDN was tried and failed
    assert len(local) == 1
    assert page.evaluate("htmx.version").startswith("2.")
    an_hx_request_works(page, contact_id, htmx_requests)
    context.close()


def test_an_altered_cdn_file_is_blocked_by_sri(live, browser, contact_id):
    cdn = CDN("tamper")
    context, page, local, errors, htmx_requests = open_contacts(browser, live, cdn)
    assert cdn.requests >= 1
    assert page.evaluate("window.__tampered") is None  # the altered code never ran
    assert any("integrity" in e and "htmx" in e for e in errors), errors
    assert len(local) == 1  # the local copy took over
    an_hx_request_works(page, contact_id, htmx_requests)
    context.close()
