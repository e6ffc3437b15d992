"""The live export UI in a real browser, with a real worker pushing to the emulator: icons
change without a reload, the progress bar finishes and is dismissed, and the details panel
opens and closes by mouse and by keyboard (focus back on the icon)."""

import email
import re
from datetime import date
from email.policy import default as default_policy

import pytest
from playwright.sync_api import expect

from lemontaps.extensions import db
from tests.browser.helpers import connect_over_http
from tests.browser.helpers import log_in
from tests.browser.helpers import new_context
from tests.browser.helpers import screenshot
from tests.e2e.helpers import wait_until
from tests.helpers import admin_of
from tests.helpers import make_account
from tests.helpers import make_contact

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ADMIN = "admin@acme.test"
PEOPLE = [  # (first, last, company, e-mail); no company: the Lead is refused (failed)
    ("Ada", "Lovelace", "Analytical Engines", "ada@engines.example"),
    ("Grace", "Hopper", "Navy Computing", "grace@navy.example"),
    ("Alan", "Turing", "Bletchley Park", "alan@bletchley.example"),
    ("Katherine", "Johnson", "NASA Langley", "katherine@nasa.example"),
    ("Edsger", "Dijkstra", "", "edsger@eindhoven.example"),
]
WATCH_STATES = """() => {
  window.__seen = {};
  const note = () => document.querySelectorAll(".export-status[data-state]").forEach((el) => {
    const seen = window.__seen[el.id] || (window.__seen[el.id] = []);
    if (seen[seen.length - 1] !== el.dataset.state) seen.push(el.dataset.state);
  });
  note();
  new MutationObserver(note).observe(document.body,
    { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });
}"""


@pytest.fixture(scope="module")
def contacts(live):
    account = make_account(live.app, "Acme AG", ADMIN)
    admin = admin_of(account)
    made = [
        make_contact(
            admin,
            first_name=first,
            last_name=last,
            company=company,
            email=email,
            position="CTO",
            met_on=date(2026, 5, 4),
        )
        for first, last, company, email in PEOPLE
    ]
    ids = [c.id for c in made]
    db.session.remove()
    org_id = connect_over_http(live, ADMIN)
    # Slow creates, so "queued" and "pushing" stay on screen long enough to be seen.
    live.control.add_fault(
        org_id, kind="latency", ms=2000, method="POST", path="/services/data/*/composite*"
    )
    return ids


@pytest.fixture(scope="module")
def desktop(live, browser):
    context = new_context(browser, live)
    yield context
    context.close()


def test_push_icons_change_live_and_the_progress_bar_finishes(live, desktop, contacts):
    page = log_in(desktop, live, ADMIN)
    page.goto("/contacts/")
    for contact_id in contacts:
        expect(page.locator(f"#export-status-{contact_id}")).to_have_attribute(
            "data-state", "not_exported"
        )
    page.evaluate("window.__sameDocument = true")
    page.evaluate(WATCH_STATES)
    expect(page.locator("#push-open")).to_be_disabled()
    for contact_id in contacts:
        page.check(f"#contact-{contact_id} input.row-select")
    page.click("#push-open")
    dialog = page.locator("dialog#push-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".push-summary")).to_contain_text("Push 5 contacts as Leads to")
    # Dijkstra has no company: the dialog says so before anything is sent
    expect(dialog.locator(".forecast-send")).to_contain_text("4 will be sent")
    expect(dialog.locator("[data-reason=missing_company]")).to_contain_text("1 will fail")
    page.click("#push-confirm")
    expect(dialog).to_be_hidden()  # closes itself once the push started

    bar = page.locator("#push-progress section.push-bar")
    expect(bar).to_have_count(1)
    expect(bar).to_have_attribute("data-finished", "false")
    expect(bar.locator("progress")).to_be_visible()
    screenshot(page.locator("#push-progress"), "progress-bar")
    expect(bar).to_have_attribute("data-finished", "true", timeout=60_000)
    expect(bar.locator(".push-bar-counts")).to_contain_text("4 exported")
    expect(bar.locator(".push-bar-counts")).to_contain_text("1 failed")
    expect(bar.locator("a.push-failures")).to_be_visible()
    for contact_id in contacts[:4]:
        expect(page.locator(f"#export-status-{contact_id}")).to_have_attribute(
            "data-state", "exported"
        )
        expect(page.locator(f"#export-link-{contact_id}")).to_have_attribute(
            "title", "Exported to Salesforce as Lead"
        )
    expect(page.locator(f"#export-status-{contacts[4]}")).to_have_attribute("data-state", "failed")
    seen = page.evaluate("window.__seen")
    for contact_id in contacts[:4]:
        states = seen[f"export-status-{contact_id}"]
        assert states[0] == "not_exported" and states[-1] == "exported", states
        assert set(states[1:-1]) & {"queued", "pushing"}, states  # seen in between
    assert seen[f"export-status-{contacts[4]}"][-1] == "failed"
    # The filter counts follow once the push is finished.
    filters = page.locator("#export-filters")
    expect(filters.locator("[data-filter=exported] .filter-count")).to_have_text("4")
    expect(filters.locator("[data-filter=failed] .filter-count")).to_have_text("1")
    expect(filters.locator("[data-filter=in_progress] .filter-count")).to_have_text("0")
    assert page.evaluate("window.__sameDocument") is True  # all without a page load
    screenshot(page, "contact-table")

    panel = page.locator("dialog#export-panel")
    page.click(f"#export-link-{contacts[0]}")
    expect(panel.locator(".export-history li")).to_have_count(1)
    expect(panel.locator("a.record-link")).to_contain_text("Open the Lead in Salesforce")
    page.keyboard.press("Escape")
    details_by_mouse(page, contacts[0], "Ada Lovelace", shot="details-panel")
    page.click(f"#export-link-{contacts[4]}")  # the failed one says why, and what to do
    expect(panel.locator(".export-reason")).to_be_visible()
    expect(panel.locator("#push-again")).to_be_visible()
    panel.locator("[data-close-dialog]").first.click()
    expect(panel).to_be_hidden()

    page.locator("#push-progress button.push-dismiss").click()
    expect(page.locator("#push-progress section.push-bar")).to_have_count(0)
    page.reload()  # dismissed for good (the state lives in the database)
    expect(page.locator("#push-progress section.push-bar")).to_have_count(0)

    # The worker mailed the summary of this browser-started push; its link (from BASE_URL)
    # opens this push's failures.
    wait_until(lambda: summary_mails(live), 30, "the summary e-mail")
    (message,) = summary_mails(live)
    body = message.get_body(("plain",)).get_content()
    assert "Exported: 4" in body and "Failed: 1" in body
    (link,) = re.findall(r"\S+state=failed\S*", body)
    assert link.startswith(live.url + "/contacts/?push="), link
    page.goto(link)
    main = page.locator("main")
    expect(main).to_contain_text("Edsger Dijkstra")
    expect(main).not_to_contain_text("Ada Lovelace")


def summary_mails(live) -> list:
    messages = [
        email.message_from_bytes(m.content, policy=default_policy) for m in live.smtp.messages
    ]
    return [m for m in messages if "Salesforce push finished" in m["Subject"]]


def details_by_mouse(page, contact_id: int, name: str, shot: str | None = None):
    panel = page.locator("dialog#export-panel")
    expect(panel).to_be_hidden()
    page.click(f"#export-link-{contact_id}")
    expect(panel).to_be_visible()
    expect(panel.locator("#export-panel-title")).to_contain_text(name)
    assert page.url.endswith("/contacts/")  # htmx filled the panel; no navigation
    if shot:
        screenshot(page, shot)
    panel.locator(".panel-close").click()
    expect(panel).to_be_hidden()
    expect(page.locator(f"#export-link-{contact_id}")).to_be_focused()
    # The backdrop closes it too.
    page.click(f"#export-link-{contact_id}")
    expect(panel).to_be_visible()
    page.mouse.click(10, 400)
    expect(panel).to_be_hidden()


def test_details_panel_by_mouse(live, desktop, contacts):
    page = log_in(desktop, live, ADMIN)
    page.goto("/contacts/")
    details_by_mouse(page, contacts[2], "Alan Turing")


def test_details_panel_by_keyboard(live, desktop, contacts):
    page = log_in(desktop, live, ADMIN)
    page.goto("/contacts/")
    link = f"export-link-{contacts[1]}"
    panel = page.locator("dialog#export-panel")
    page.focus(f"#{link}")
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(panel.locator("#export-panel-title")).to_contain_text("Grace Hopper")
    expect(panel.locator("#export-panel-title")).to_be_focused()
    page.keyboard.press("Tab")  # the focus stays in the modal panel
    assert page.evaluate("document.activeElement.closest('dialog#export-panel') !== null")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.locator(f"#{link}")).to_be_focused()
    # Again, to close with Enter on the close button.
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    panel.locator(".panel-close").focus()
    page.keyboard.press("Enter")
    expect(panel).to_be_hidden()
    expect(page.locator(f"#{link}")).to_be_focused()
    assert re.search(r"/contacts/$", page.url)
