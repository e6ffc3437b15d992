"""Issue 15's first click-through, in a real browser on a desktop and a 375 px phone: the
automatic line above the table, the contact's own Salesforce card (live, with "push again"),
no push controls for end users when only admins push, the forecast of certain failures, the
failed panel's words, and a wrong My Domain shown at its field (popup and popup blocked)."""

from datetime import date

import pytest
from playwright.sync_api import expect

from lemontaps.extensions import db
from tests.browser.helpers import DESKTOP
from tests.browser.helpers import PHONE
from tests.browser.helpers import connect_over_http
from tests.browser.helpers import fits_width
from tests.browser.helpers import log_in
from tests.browser.helpers import new_context
from tests.browser.helpers import screenshot
from tests.helpers import admin_of
from tests.helpers import make_account
from tests.helpers import make_contact
from tests.helpers import make_user
from tests.helpers import put_in_state

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ADMIN = "admin@acme.test"
REP = "rep@acme.test"
NEW_ADMIN = "admin@globex.test"  # an account that is not connected yet
DEVICES = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


def device_name(device) -> str:
    return "phone" if device is PHONE else "desktop"


@pytest.fixture(scope="module")
def seeded(live):
    account = make_account(live.app, "Acme AG", ADMIN)
    admin = admin_of(account)
    rep = make_user(live.app, account, REP, name="Rüdiger O'Brien")
    make_account(live.app, "Globex GmbH", NEW_ADMIN)
    org_id = connect_over_http(live, ADMIN)
    fair = []
    for i in range(10):  # ten visitors at a fair: ten automatic pushes
        contact = make_contact(
            admin,
            first_name=f"Besucher{i}",
            last_name="Groß",
            company="Messe AG",
            email=f"besucher{i}@messe.example",
            met_on=date(2026, 5, 4),
        )
        put_in_state(contact, "exported", org_id=org_id)
        fair.append(contact.id)
    by_hand = []
    for i in range(5):
        contact = make_contact(
            admin,
            first_name=f"Hand{i}",
            last_name="Müller",
            company="Hand & Co",
            email=f"hand{i}@hand.example",
            met_on=date(2026, 5, 3),
        )
        by_hand.append(put_in_state(contact, "exported", by=admin, org_id=org_id).push_id)
    # failed in an earlier push, but fixed since (it has a company now): "push again" works
    fixed = make_contact(
        admin,
        first_name="Zoë",
        last_name="D'Arcy",
        company="Café Zoë",
        email="zoe+fair@cafe.example",
        met_on=date(2026, 5, 2),
    )
    put_in_state(fixed, "failed", by=admin, reason="missing_company", org_id=org_id)
    no_company = make_contact(
        admin,
        first_name="Grace",
        last_name="Hopper",
        company="",
        email="grace@navy.example",
        met_on=date(2026, 5, 1),
    )
    nameless = make_contact(
        admin,
        first_name="",
        last_name="",
        company="Nobody GmbH",
        email="nobody@example.test",
        met_on=date(2026, 5, 1),
    )
    fine = make_contact(
        admin,
        first_name="Ada",
        last_name="Lovelace",
        company="Engines",
        email="ada@engines.example",
        met_on=date(2026, 5, 1),
    )
    rep_contact = make_contact(
        rep,
        first_name="Ana",
        last_name="Silva",
        company="Silva & Söhne",
        email="ana@silva.example",
        met_on=date(2026, 5, 1),
    )
    put_in_state(rep_contact, "failed", by=admin, reason="missing_company", org_id=org_id)
    ids = {
        "fixed": fixed.id,
        "no_company": no_company.id,
        "nameless": nameless.id,
        "fine": fine.id,
        "rep_contact": rep_contact.id,
        "by_hand": by_hand,
    }
    db.session.remove()
    return ids


@pytest.mark.parametrize("device", DEVICES)
def test_automatic_pushes_are_one_line_and_manual_bars_fold(live, browser, seeded, device):
    context = new_context(browser, live, device)
    page = log_in(context, live, ADMIN, device_name(device))
    page.goto("/contacts/")
    region = page.locator("#push-progress")
    expect(region.locator("#push-auto-line")).to_have_count(1)
    expect(region.locator("#push-auto-line")).to_contain_text("Automatic push")
    expect(region.locator("#push-auto-line")).to_contain_text("10 exported")
    # three manual bars in view, the other four (five by hand, two failed) folded away
    expect(region.locator(":scope > section.push-bar")).to_have_count(3)
    more = region.locator("details.push-more")
    expect(more.locator("summary")).to_have_text("4 more pushes")
    expect(more.locator("section.push-bar").first).to_be_hidden()
    # the table starts right below: the region is no taller than a few bars
    box = region.bounding_box()
    assert box["height"] < (600 if device is DESKTOP else 700), box
    assert fits_width(page)
    screenshot(page, f"click-through-progress-{device_name(device)}")
    more.locator("summary").click()
    expect(more.locator("section.push-bar")).to_have_count(4)
    expect(more.locator("section.push-bar").first).to_be_visible()
    context.close()


@pytest.mark.parametrize("device", DEVICES)
def test_end_users_see_no_push_controls_when_only_admins_push(live, browser, seeded, device):
    context = new_context(browser, live, device)
    page = log_in(context, live, REP, device_name(device))
    page.goto("/contacts/")
    expect(page.locator("#push-permission-note")).to_have_text(
        "Only admins can push contacts to Salesforce."
    )
    expect(page.locator("input.row-select")).to_have_count(0)
    expect(page.locator("#push-open")).to_have_count(0)
    expect(page.locator("#select-page")).to_have_count(0)
    assert fits_width(page)
    screenshot(page, f"click-through-end-user-{device_name(device)}")
    # the contact's own page: the state and why, but no push button
    page.goto(f"/contacts/{seeded['rep_contact']}")
    card = page.locator("#export-panel-body")
    expect(card.locator(".export-state-text")).to_have_text("Export failed")
    expect(card.locator(".export-reason")).to_contain_text("Leads need a company")
    expect(card.locator("#push-again")).to_have_count(0)
    expect(card).to_contain_text("Only admins can push contacts to Salesforce.")
    context.close()


@pytest.mark.parametrize("device", DEVICES)
def test_the_failed_panel_says_why_while_it_is_open(live, browser, seeded, device):
    context = new_context(browser, live, device)
    page = log_in(context, live, ADMIN, device_name(device))
    page.goto("/contacts/?state=failed")
    link = page.locator(f"#export-link-{seeded['rep_contact']}")
    expect(link).to_have_attribute("title", "Export failed: open for the reason")
    link.click()
    panel = page.locator("dialog#export-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".export-state-text")).to_have_text("Export failed")
    expect(panel.locator(".export-reason")).to_contain_text("Leads need a company")
    expect(panel).not_to_contain_text("open for the reason")
    screenshot(page, f"click-through-failed-panel-{device_name(device)}")
    context.close()


@pytest.mark.parametrize("device", DEVICES)
def test_the_push_dialog_forecasts_certain_failures(live, browser, seeded, device):
    context = new_context(browser, live, device)
    page = log_in(context, live, ADMIN, device_name(device))
    # the dialog as a page of its own (a link without JavaScript lands here)
    query = "&".join(f"contact_ids={seeded[k]}" for k in ("no_company", "nameless", "fine"))
    page.goto(f"/exports/push/dialog?{query}")
    dialog = page.locator("#push-dialog-body")
    expect(dialog.locator(".forecast-send")).to_have_text("1 will be sent")
    expect(dialog.locator("[data-reason=missing_company]")).to_contain_text(
        "1 will fail: Leads need a company"
    )
    expect(dialog.locator("[data-reason=missing_name]")).to_contain_text(
        "1 will fail: The contact has no name"
    )
    assert fits_width(page)
    screenshot(page, f"click-through-forecast-{device_name(device)}")
    context.close()


def test_the_forecast_in_the_table_dialog(live, browser, seeded):
    context = new_context(browser, live, PHONE)
    page = log_in(context, live, ADMIN, "phone")
    page.goto("/contacts/?sort=oldest")
    for key in ("no_company", "nameless", "fine"):
        page.locator(f"#contact-{seeded[key]} input.row-select").check()
    page.click("#push-open")
    dialog = page.locator("dialog#push-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".forecast-send")).to_have_text("1 will be sent")
    expect(dialog.locator(".forecast-fail")).to_have_count(2)
    screenshot(page, "click-through-forecast-dialog-phone")
    context.close()


def test_the_contact_page_pushes_again_and_follows_the_export(live, browser, seeded):
    context = new_context(browser, live, PHONE)
    page = log_in(context, live, ADMIN, "phone")
    page.goto(f"/contacts/{seeded['fixed']}")
    card = page.locator("#export-panel-body")
    expect(card.locator(".export-state-text")).to_have_text("Export failed")
    expect(card.locator(".export-reason")).to_contain_text("Leads need a company")
    assert fits_width(page)
    screenshot(page, "click-through-contact-page-failed-phone")
    page.evaluate("window.__sameDocument = true")
    card.locator("#push-again").click()
    expect(card).to_contain_text("Pushed again.")
    # the worker pushes it; the card follows without a reload
    expect(card.locator(".export-state-text")).to_have_text(
        "Exported to Salesforce as Lead", timeout=60_000
    )
    expect(card.locator("a.record-link")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    assert page.url.endswith(f"/contacts/{seeded['fixed']}")
    screenshot(page, "click-through-contact-page-exported-phone")
    context.close()


@pytest.mark.parametrize("device", DEVICES)
def test_a_wrong_my_domain_closes_the_popup_and_shows_at_the_field(live, browser, seeded, device):
    context = new_context(browser, live, device)
    page = log_in(context, live, NEW_ADMIN, device_name(device))
    page.goto("/integrations/salesforce")
    page.check("input[name=environment][value=my_domain]")
    page.fill("#my_domain", "acme.example.com")
    page.evaluate("window.__sameDocument = true")
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Authorize Salesforce").click()
    popup = opened.value
    popup.wait_for_event("close", timeout=15_000)
    error = page.locator("#my_domain-error")
    expect(error).to_contain_text("Enter your org's My Domain")
    expect(page.locator("#my_domain")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#my_domain")).to_be_focused()
    expect(page.locator("#my_domain")).to_have_value("acme.example.com")
    assert page.evaluate("window.__sameDocument") is True
    page.wait_for_timeout(6000)  # the panel's 5 s refresh does not wipe the error
    expect(error).to_be_visible()
    assert fits_width(page)
    screenshot(page, f"click-through-my-domain-{device_name(device)}")
    assert len(context.pages) == 1
    context.close()


def test_a_wrong_my_domain_with_the_popup_blocked(live, browser, seeded):
    context = new_context(browser, live)
    context.add_init_script("window.open = function () { return null; };")
    page = log_in(context, live, NEW_ADMIN)
    page.goto("/integrations/salesforce")
    page.check("input[name=environment][value=my_domain]")
    page.fill("#my_domain", "https://evil.example")
    page.get_by_role("button", name="Authorize Salesforce").click()
    expect(page.locator("#my_domain-error")).to_contain_text("Enter your org's My Domain")
    assert page.url.endswith("/integrations/salesforce/authorize")
    expect(page.locator("#my_domain")).to_have_value("https://evil.example")
    assert len(context.pages) == 1
    context.close()
