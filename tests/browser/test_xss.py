"""Stored XSS is inert in a real browser: contacts named `<script>…` and `"><img onerror=…>`,
pushed by a user whose own name is such a payload, show as plain text in the table, the
details panel, the push dialog and the progress bars (the pusher's and an admin's view), and
in the summary e-mail. Escaping alone stops them: `window.__xss` stays undefined, no dialog
opens, no request for the bogus image goes out."""

import email
from datetime import date

import pytest
from playwright.sync_api import expect

from lemontaps.extensions import db
from lemontaps.models import IntegrationSettings
from tests.browser.helpers import connect_over_http
from tests.browser.helpers import log_in
from tests.browser.helpers import new_context
from tests.e2e.helpers import wait_until
from tests.helpers import admin_of
from tests.helpers import make_account
from tests.helpers import make_contact
from tests.helpers import make_user

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ADMIN = "admin@acme.test"
REP = "rep@acme.test"
SCRIPT = "<script>window.__xss=1</script>"
IMG = '"><img src=x onerror="window.__xss=2">'
COMPANY = "<img src=x onerror=window.__xss=4>"
REP_NAME = '"><img src=x onerror="window.__xss=3">Rep'


@pytest.fixture(scope="module")
def contacts(live):
    account = make_account(live.app, "Acme AG", ADMIN)
    rep = make_user(live.app, account, REP, name=REP_NAME)
    db.session.add(IntegrationSettings(account_id=account.id, push_permission="everyone"))
    made = {
        # no company: Salesforce refuses the Lead, so both show up as failures in the mail
        "script": make_contact(
            rep,
            first_name=SCRIPT,
            last_name="Script",
            company="",
            email="script@xss.example",
            met_on=date(2026, 5, 4),
        ),
        "img": make_contact(
            rep,
            first_name=IMG,
            last_name="Img",
            company="",
            email="img@xss.example",
            met_on=date(2026, 5, 4),
        ),
        "company": make_contact(
            rep,
            first_name="Carla",
            last_name="Company",
            company=COMPANY,
            email="carla@xss.example",
            position=SCRIPT,
            met_on=date(2026, 5, 4),
        ),
    }
    ids = {key: contact.id for key, contact in made.items()}
    assert admin_of(account).email == ADMIN
    db.session.commit()
    db.session.remove()
    connect_over_http(live, ADMIN)
    return ids


class Watch:
    """Everything an injected payload could do that we can see."""

    def __init__(self, page):
        self.page = page
        self.dialogs, self.bogus = [], []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: self.bogus.append(r.url) if r.url.endswith("/x") else None)

    def assert_inert(self):
        assert self.page.evaluate("typeof window.__xss") == "undefined"
        assert self.dialogs == [] and self.bogus == []
        assert self.page.locator("main img").count() == 0


def test_payloads_are_text_everywhere(live, browser, contacts):
    context = new_context(browser, live)
    page = log_in(context, live, REP)
    watch = Watch(page)
    page.goto("/contacts/")
    expect(page.locator(".topbar .who")).to_have_text(REP_NAME)
    for key, payload in [("script", SCRIPT), ("img", IMG)]:
        expect(page.locator(f"#contact-{contacts[key]} .name-cell")).to_contain_text(payload)
    row = page.locator(f"#contact-{contacts['company']}")
    expect(row).to_contain_text(COMPANY)
    expect(row).to_contain_text(SCRIPT)
    expect(row).to_contain_text(REP_NAME)  # Met by
    watch.assert_inert()

    panel = page.locator("dialog#export-panel")
    for key, payload in [("script", SCRIPT), ("img", IMG)]:
        page.click(f"#export-link-{contacts[key]}")
        expect(panel.locator("#export-panel-title")).to_contain_text(payload)
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        watch.assert_inert()

    page.check("#select-page")
    page.click("#push-open")
    dialog = page.locator("dialog#push-dialog")
    expect(dialog.locator(".push-summary")).to_contain_text("Push 3 contacts")
    watch.assert_inert()
    page.click("#push-confirm")
    bar = page.locator("#push-progress section.push-bar")
    expect(bar).to_have_attribute("data-finished", "true", timeout=60_000)
    expect(bar.locator(".push-bar-counts")).to_contain_text("2 failed")
    watch.assert_inert()

    for key in ("script", "img"):
        page.click(f"#export-link-{contacts[key]}")
        expect(panel.locator(".export-reason")).to_be_visible()
        expect(panel.locator(".export-history")).to_contain_text(REP_NAME)
        page.keyboard.press("Escape")
        watch.assert_inert()
    page.click(f"#export-link-{contacts['company']}")
    expect(panel.locator(".export-state-line")).to_contain_text("Exported")
    expect(panel.locator("#export-details")).to_contain_text(REP_NAME)  # "by <name>"
    page.keyboard.press("Escape")
    watch.assert_inert()
    context.close()

    # The admin sees the rep's push labelled with the rep's name.
    context = new_context(browser, live)
    page = log_in(context, live, ADMIN)
    watch = Watch(page)
    page.goto("/contacts/")
    expect(page.locator(".push-bar-title").first).to_contain_text(f"Push by {REP_NAME}")
    expect(page.locator(f"#contact-{contacts['img']} .name-cell")).to_contain_text(IMG)
    watch.assert_inert()

    # The summary e-mail: escaped in the HTML part, and inert when a browser renders it.
    wait_until(lambda: [m for m in live.smtp.messages if REP in m.rcpt_tos], 30, "the mail")
    (mail,) = [m for m in live.smtp.messages if REP in m.rcpt_tos]
    message = email.message_from_bytes(mail.content)
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode(p.get_content_charset())
        for p in message.walk()
        if not p.is_multipart()
    }
    html = parts["text/html"]
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "<script" not in html and "<img" not in html
    assert SCRIPT in parts["text/plain"]  # the plain part is plain text: no escaping needed
    mail_page = context.new_page()
    watch = Watch(mail_page)
    mail_page.set_content(f"<main>{html}</main>")
    expect(mail_page.locator("main")).to_contain_text(SCRIPT)
    expect(mail_page.locator("main")).to_contain_text(IMG)
    watch.assert_inert()
    context.close()
