"""Connecting Salesforce in a real browser: the popup opens the emulator's login, the admin
logs in and allows, the popup closes itself and the page shows the connection without a
reload; with the popup blocked the same tab goes there and comes back."""

import pytest
from playwright.sync_api import expect

from lemontaps.extensions import db
from salesforce_emulator import DEMO_ADMIN_USERNAME
from salesforce_emulator import DEMO_PASSWORD
from tests.browser.helpers import DESKTOP
from tests.browser.helpers import PHONE
from tests.browser.helpers import log_in
from tests.browser.helpers import new_context
from tests.helpers import make_account

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def org_id(live):
    for name, email in [
        ("Acme AG", "admin@acme.test"),
        ("Globex GmbH", "admin@globex.test"),
        ("Initech", "admin@initech.test"),
    ]:
        make_account(live.app, name, email)
    db.session.remove()
    return live.control.org_id("Lemontaps Demo")


def sf_login(page) -> None:
    page.fill("#username", DEMO_ADMIN_USERNAME)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#Login")


@pytest.mark.parametrize(
    ("device", "admin"),
    [
        pytest.param(DESKTOP, "admin@acme.test", id="desktop"),
        pytest.param(PHONE, "admin@globex.test", id="phone"),
    ],
)
def test_connect_through_the_popup(live, browser, org_id, device, admin):
    context = new_context(browser, live, device)
    page = log_in(context, live, admin, "phone" if device is PHONE else "desktop")
    page.goto("/integrations/salesforce")
    expect(page.locator("#connection-org-id")).to_have_count(0)
    page.evaluate("window.__sameDocument = true")
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Authorize Salesforce").click()
    popup = opened.value
    popup.wait_for_selector("#username")
    assert popup.url.startswith(live.emulator_urls["login"])
    sf_login(popup)
    with popup.expect_event("close", timeout=15_000):
        popup.click("#oaapprove")
    # The opener learns it through postMessage/BroadcastChannel and reloads only the panel.
    expect(page.locator("#connection-org-id")).to_have_text(org_id)
    expect(page.locator("#oauth-live-message")).to_contain_text("Connected")
    assert page.evaluate("window.__sameDocument") is True  # no page load happened
    assert page.url == live.url + "/integrations/salesforce"
    context.close()


def test_with_the_popup_blocked_the_same_tab_connects(live, browser, org_id):
    context = new_context(browser, live)
    context.add_init_script("window.open = function () { return null; };")  # a popup blocker
    page = log_in(context, live, "admin@initech.test")
    page.goto("/integrations/salesforce")
    page.get_by_role("button", name="Authorize Salesforce").click()
    page.wait_for_selector("#username")
    assert page.url.startswith(live.emulator_urls["login"])
    sf_login(page)
    page.click("#oaapprove")
    page.wait_for_url(live.callback_url + "?**")
    expect(page.locator("#oauth-result")).to_have_attribute("data-status", "connected")
    # The callback page goes back to the integration page by itself.
    page.wait_for_url(live.url + "/integrations/salesforce")
    expect(page.locator("#connection-org-id")).to_have_text(org_id)
    assert len(context.pages) == 1
    context.close()
