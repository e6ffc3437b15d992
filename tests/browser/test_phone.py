"""The phone view (375 px, touch): an end user sees only their own contacts as a readable list
with no sideways scrolling, with the export icons, the details panel and the push dialog as
full-screen sheets, selection by tapping, and the progress of their push."""

from datetime import date

import pytest
from playwright.sync_api import expect

from lemontaps.extensions import db
from lemontaps.models import IntegrationSettings
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

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ADMIN = "admin@acme.test"
REP = "rep@acme.test"
WIDTH, HEIGHT = PHONE["viewport"]["width"], PHONE["viewport"]["height"]
MINE = [  # long words on purpose: nothing may push the page wider than the screen
    (
        "Maximiliane",
        "Mustermann-Oberhausen",
        "Donaudampfschifffahrtsgesellschaft mbH",
        "maximiliane.mustermann-oberhausen@donaudampfschifffahrtsgesellschaft.example",
    ),
    ("Jo", "Lee", "Lee & Partners", "jo@lee.example"),
    ("Sam", "Ortiz", "Ortiz Logistics", "sam@ortiz.example"),
    ("Ana", "Silva", "", "ana@silva.example"),  # no company: the Lead is refused (failed)
]


@pytest.fixture(scope="module")
def people(live):
    account = make_account(live.app, "Acme AG", ADMIN)
    rep = make_user(live.app, account, REP, name="Robin Rep")
    db.session.add(IntegrationSettings(account_id=account.id, push_permission="everyone"))
    mine = [
        make_contact(
            rep,
            first_name=first,
            last_name=last,
            company=company,
            email=mail,
            position="Head of Procurement and Strategic Partnerships",
            met_on=date(2026, 5, 4),
        )
        for first, last, company, mail in MINE
    ]
    theirs = make_contact(
        admin_of(account),
        first_name="Not",
        last_name="Yours",
        company="Admin's",
        met_on=date(2026, 5, 4),
    )
    ids = {"mine": [c.id for c in mine], "theirs": theirs.id}
    db.session.commit()
    db.session.remove()
    connect_over_http(live, ADMIN)
    return ids


@pytest.fixture(scope="module")
def phone(live, browser):
    context = new_context(browser, live, PHONE)
    yield context
    context.close()


def is_sheet(locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert (round(box["x"]), round(box["y"])) == (0, 0), box
    assert (round(box["width"]), round(box["height"])) == (WIDTH, HEIGHT), box


def inside_screen(locator) -> None:
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box


def test_own_contacts_as_a_readable_list(live, phone, people):
    page = log_in(phone, live, REP, "phone")
    page.goto("/contacts/")
    rows = page.locator("table.contacts tbody tr")
    expect(rows).to_have_count(len(MINE))
    expect(page.locator(f"#contact-{people['theirs']}")).to_have_count(0)
    assert fits_width(page)
    for contact_id in people["mine"]:
        row = page.locator(f"#contact-{contact_id}")
        inside_screen(row)
        inside_screen(page.locator(f"#export-link-{contact_id}"))
        expect(page.locator(f"#export-link-{contact_id}")).to_be_visible()
        box = row.locator(".name-cell").bounding_box()
        assert box["width"] > 150, box  # the name gets a readable width, not a sliver
    first = page.locator(f"#contact-{people['mine'][0]}")
    expect(first.locator(".email-cell")).to_be_visible()
    expect(page.locator("label.select-page-label")).to_be_visible()
    # The icon cell carries no "Export:" caption; the icon and its text alternative suffice.
    assert page.evaluate(
        "getComputedStyle(document.querySelector('td.export-cell'), '::before').content"
    ) in ("none", "normal")
    screenshot(page, "phone-contacts")


def test_details_as_a_sheet(live, phone, people):
    page = log_in(phone, live, REP, "phone")
    page.goto("/contacts/")
    contact_id = people["mine"][0]
    page.locator(f"#export-link-{contact_id}").tap()
    panel = page.locator("dialog#export-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#export-panel-title")).to_contain_text("Maximiliane")
    is_sheet(panel)
    assert fits_width(page)
    panel.locator(".panel-close").tap()
    expect(panel).to_be_hidden()
    expect(page.locator(f"#export-link-{contact_id}")).to_be_focused()


def test_select_push_and_progress(live, phone, people):
    page = log_in(phone, live, REP, "phone")
    page.goto("/contacts/")
    expect(page.locator("#push-open")).to_be_disabled()
    for contact_id in people["mine"]:
        page.locator(f"#contact-{contact_id} input.row-select").tap()
    expect(page.locator("#push-open")).to_be_enabled()
    page.locator("#push-open").tap()
    dialog = page.locator("dialog#push-dialog")
    expect(dialog.locator(".push-summary")).to_contain_text("Push 4 contacts as Leads to")
    is_sheet(dialog)
    assert fits_width(page)
    page.wait_for_timeout(600)  # let the tap highlight fade before the picture
    screenshot(page, "phone-push-dialog")
    page.locator("#push-confirm").tap()
    expect(dialog).to_be_hidden()
    bar = page.locator("#push-progress section.push-bar")
    expect(bar).to_have_count(1)
    inside_screen(bar)
    expect(bar).to_have_attribute("data-finished", "true", timeout=60_000)
    expect(bar.locator(".push-bar-counts")).to_contain_text("3 exported")
    expect(bar.locator(".push-bar-counts")).to_contain_text("1 failed")
    for contact_id in people["mine"][:3]:
        expect(page.locator(f"#export-status-{contact_id}")).to_have_attribute(
            "data-state", "exported"
        )
    expect(page.locator(f"#export-status-{people['mine'][3]}")).to_have_attribute(
        "data-state", "failed"
    )
    expect(page.locator("#export-filters [data-filter=exported] .filter-count")).to_have_text("3")
    assert fits_width(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "phone-progress")
    bar.locator("button.push-dismiss").tap()
    expect(page.locator("#push-progress section.push-bar")).to_have_count(0)
