"""Found by a first click-through (issue 15): the progress region at a fair, the contact's own
Salesforce card, push controls for users who may not push, reasons in words, the push
dialog's forecast of certain failures, and the failed panel's wording."""

import ast
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import ExportState
from lemontaps.models import OrgDescribe
from lemontaps.models import Push
from lemontaps.pushes import progress
from lemontaps.pushes import states
from lemontaps.pushes.engine import contact_values
from lemontaps.pushes.reasons import NOTES
from lemontaps.pushes.reasons import REASONS
from lemontaps.pushes.reasons import note_text
from lemontaps.pushes.reasons import reason_text
from lemontaps.services.mapping import map_contact
from tests.helpers import HX
from tests.helpers import ORG
from tests.helpers import admin_of
from tests.helpers import allow_end_users
from tests.helpers import bulk_insert_contacts
from tests.helpers import connection_row
from tests.helpers import counted_statements
from tests.helpers import html_of
from tests.helpers import make_contact
from tests.helpers import make_user
from tests.helpers import put_in_state

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def people(app, account_a):
    admin = admin_of(account_a)
    rep = make_user(app, account_a, "rep@acme.test", name="Rüdiger O'Brien")
    connection_row(account_a)
    return admin, rep


# --- 1. automatic pushes in one line, manual bars fold ----------------------------------


def test_a_fair_of_automatic_pushes_is_one_line_and_manual_bars_fold(auth, people):
    admin, _rep = people
    for i in range(12):  # one automatic push per few new contacts, as at a fair
        contact = make_contact(admin, first_name=f"Besucher{i}", last_name="Groß", company="X")
        put_in_state(contact, "exported" if i % 3 else "failed", reason="missing_company")
    manual = []
    for i in range(5):
        contact = make_contact(admin, first_name=f"Hand{i}", last_name="Müller", company="Y")
        push = put_in_state(contact, "exported", by=admin).push
        states.finish_if_settled(push)
        db.session.commit()
        manual.append(push.id)
    client = auth.client(admin)
    html = html_of(client.get("/contacts/"))
    region = html[html.index('id="push-progress"') : html.index('id="new-contacts"')]
    assert region.count('id="push-auto"') == 1 and "Automatic push" in region
    assert "8 exported" in region and "4 failed" in region
    # manual pushes: the newest three as bars, the other two folded away
    folded = region[region.index("<details") :]
    bars = re.findall(r'id="push-bar-(\d+)"', region)
    assert [int(b) for b in bars] == sorted(manual, reverse=True)
    assert len(re.findall(r'id="push-bar-\d+"', folded)) == 2 and "2 more pushes" in folded
    # no automatic push has a bar of its own
    auto_ids = set(db.session.scalars(sa.select(Push.id).where(Push.kind == "automatic")))
    assert not auto_ids & {int(b) for b in bars}

    newest = max(auto_ids)
    answer = client.post("/exports/pushes/automatic/dismiss", data={"up_to": newest}, headers=HX)
    assert answer.status_code == 200 and "Automatic push" not in html_of(answer)
    assert 'id="push-auto"' in html_of(answer)  # the placeholder the poll fills later
    assert "Automatic push" not in html_of(client.get("/contacts/"))
    assert client.post("/exports/pushes/automatic/dismiss", data={"up_to": "x"}).status_code == 400
    # "Dismiss all finished pushes" clears the folded ones too
    client.post("/exports/pushes/dismiss-finished", headers=HX)
    assert "push-bar-" not in html_of(client.get("/contacts/"))


def test_an_end_user_cannot_dismiss_the_automatic_pushes(auth, people):
    admin, rep = people
    put_in_state(make_contact(admin, first_name="A", last_name="B", company="C"), "exported")
    newest = db.session.scalar(sa.select(sa.func.max(Push.id)))
    auth.client(rep).post("/exports/pushes/automatic/dismiss", data={"up_to": newest})
    assert db.session.get(Push, newest).dismissed_at is None


# --- 2. and 7. the contact's own page; the failed panel's words --------------------------


def test_the_contact_page_shows_the_export_and_push_again(auth, people):
    admin, _rep = people
    contact = make_contact(admin, first_name="Zoë", last_name="D'Arcy")
    put_in_state(contact, "failed", by=admin, reason="missing_company")
    client = auth.client(admin)
    html = html_of(client.get(f"/contacts/{contact.id}"))
    card = html[html.index('id="export-panel-body"') :]
    assert "Export failed" in card and "open for the reason" not in card
    assert "Leads need a company" in card and 'id="push-again"' in card
    assert 'name="in" value="contact"' in card and "data-close-dialog" not in card
    # the table's icon keeps its hint; its panel states the failure without it
    table = html_of(client.get("/contacts/"))
    assert "Export failed: open for the reason" in table
    panel = html_of(client.get(f"/exports/contacts/{contact.id}", headers=HX))
    assert "open for the reason" not in panel and "Leads need a company" in panel

    # push again from the contact page comes back to the contact page, embedded
    answer = client.post(f"/exports/contacts/{contact.id}/push", data={"in": "contact"}, headers=HX)
    text = html_of(answer)
    assert answer.status_code == 200 and "Pushed again." in text
    assert "data-close-dialog" not in text and 'name="in" value="contact"' in text
    plain = client.post(f"/exports/contacts/{contact.id}/push", data={"in": "contact"})
    assert plain.status_code == 302 and plain.headers["Location"].endswith(
        f"/contacts/{contact.id}"
    )


def test_the_contact_page_updates_itself_until_the_export_settles(auth, people):
    admin, _rep = people
    contact = make_contact(admin, first_name="Jörg", last_name="Weiß", company="Bäckerei")
    item = put_in_state(contact, "pushing", by=admin)
    client = auth.client(admin)
    html = html_of(client.get(f"/contacts/{contact.id}"))
    assert re.search(r'data-state="pushing" hx-get="[^"]*in=contact"[^>]*load delay:2s', html)
    states.settle(item, ExportState.EXPORTED, sf_object="Lead", sf_id="00Q0000000000AAAAA")
    db.session.commit()
    again = html_of(client.get(f"/exports/contacts/{contact.id}?in=contact", headers=HX))
    assert "Exported to Salesforce as Lead" in again and "load delay" not in again
    assert "data-close-dialog" not in again


def test_a_never_pushed_contact_can_be_pushed_from_its_page(auth, people):
    admin, _rep = people
    contact = make_contact(admin, first_name="Jörg", last_name="Weiß", company="Bäckerei")
    html = html_of(auth.client(admin).get(f"/contacts/{contact.id}"))
    assert "Not exported" in html and "Push to Salesforce" in html
    assert "Never pushed to Salesforce yet." in html


# --- 3. admins only: no push controls for end users ------------------------------------------


def test_admins_only_hides_push_controls_and_says_who_can_push(auth, people):
    admin, rep = people
    mine = make_contact(rep, first_name="Ana", last_name="Silva", company="Silva & Söhne")
    put_in_state(mine, "failed", by=admin, reason="missing_company")
    rep_client = auth.client(rep)
    html = html_of(rep_client.get("/contacts/"))
    assert "Only admins can push contacts to Salesforce." in html
    for control in ('class="row-select"', 'id="select-page"', 'id="push-open"', 'id="push-failed"'):
        assert control not in html, control
    page = html_of(rep_client.get(f"/contacts/{mine.id}"))
    assert 'id="push-again"' not in page and "Only admins can push" in page
    # the server still refuses, whatever the browser sends
    before = db.session.scalar(sa.select(sa.func.count(Push.id)))
    rep_client.post("/exports/push", data={"contact_ids": str(mine.id)})
    assert db.session.scalar(sa.select(sa.func.count(Push.id))) == before

    allow_end_users(rep.account)
    html = html_of(rep_client.get("/contacts/"))
    assert 'class="row-select"' in html and 'id="push-open"' in html
    assert "Only admins can push" not in html
    admin_html = html_of(auth.client(admin).get("/contacts/"))
    assert 'id="push-open"' in admin_html and "Only admins can push" not in admin_html


# --- 5. every reason code has words -----------------------------------------------------------

# Calls whose argument at this position (or keyword) is a reason code.
REASON_ARGS = {
    "settle": (2, "reason_code"),
    "_settle_all": (2, "reason"),
    "_settle_rest": (1, "reason"),
    "StopBatch": (1, "reason_code"),
    "revert_to_not_exported": (1, "reason"),
    "MappingFailure": (0, "code"),
    "PushRefused": (0, "code"),
}
# Functions whose returned strings are reason codes.
REASON_RETURNS = {"_skip_reason", "_connection_problem"}
SOURCES = [
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "lemontaps" / "pushes").glob("*.py")),
    "lemontaps/services/mapping.py",
    "lemontaps/jobs/export.py",
    "lemontaps/jobs/sweeper.py",
]


def _constants(node) -> set[str]:
    """String constants a reason expression can take (`code or "salesforce_refused"`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.BoolOp | ast.IfExp):
        parts = node.values if isinstance(node, ast.BoolOp) else [node.body, node.orelse]
        return set().union(*(_constants(p) for p in parts))
    if isinstance(node, ast.Tuple):
        return set().union(*(_constants(p) for p in node.elts))
    return set()


def produced_codes() -> tuple[set[str], set[str]]:
    """(reason codes, note codes) the engine, mapping and jobs can store, read from the code."""
    reasons, notes = set(), set()
    for source in SOURCES:
        tree = ast.parse((ROOT / source).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in REASON_ARGS:
                    position, keyword = REASON_ARGS[name]
                    if len(node.args) > position:
                        reasons |= _constants(node.args[position])
                    for kw in node.keywords:
                        if kw.arg == keyword:
                            reasons |= _constants(kw.value)
                if name == "append" and getattr(node.func.value, "id", None) == "notes":
                    arg = node.args[0]
                    if isinstance(arg, ast.JoinedStr):  # f"not_sent:{name}"
                        notes.add(arg.values[0].value.split(":")[0])
                    else:
                        notes |= _constants(arg)
            if isinstance(node, ast.FunctionDef) and node.name in REASON_RETURNS:
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and ret.value is not None:
                        reasons |= _constants(ret.value)
            # a conditional naming the reason before settle (duplicate_contact / _lead)
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Tuple) and any(getattr(e, "id", "") == "reason" for e in t.elts)
                for t in node.targets
            ):
                reasons |= {c for c in _constants(node.value) if c.islower() and "_" in c}
    return reasons, notes


def test_every_reason_the_engine_can_store_has_words(app):
    reasons, notes = produced_codes()
    # the scan really reads the code (it would find nothing if a name above went stale)
    assert {
        "missing_name",
        "missing_company",
        "too_long",
        "duplicate_lead",
        "duplicate_contact",
        "duplicate_in_push",
        "already_in_salesforce",
        "automatic_off",
        "org_changed_dropped",
        "api_limit",
        "salesforce_refused",
    } <= reasons, reasons
    assert {"country_not_recognised", "not_sent"} <= notes, notes
    with app.test_request_context():
        for code in reasons - {"nothing_selected"}:  # a refusal, shown by its own message
            assert code in REASONS, f"no words for the reason {code!r}"
            text = reason_text(code, field="Company", limit=80, length=81)
            assert text and code not in text, code
        for code in notes:
            assert code in NOTES, f"no words for the note {code!r}"
            text = note_text(f"{code}:Salutation")
            assert text and code not in text, code
        assert note_text("not_sent:Salutation").startswith("Salutation was not sent")


def test_notes_show_in_words_in_the_details(auth, people):
    admin, _rep = people
    contact = make_contact(admin, first_name="Émile", last_name="Zola", company="L'Assommoir")
    item = put_in_state(contact, "exported", by=admin)
    item.details = {"notes": ["country_not_recognised", "not_sent:Salutation"]}
    db.session.commit()
    html = html_of(auth.client(admin).get(f"/exports/contacts/{contact.id}", headers=HX))
    assert "country_not_recognised" not in html and "not_sent" not in html
    assert "Salesforce&#39;s country list has no such country" in html
    assert "Salutation was not sent" in html


# --- 6. the forecast runs the engine's own checks ---------------------------------------------


def test_the_push_dialog_forecasts_certain_failures(auth, people):
    admin, _rep = people
    db.session.add(
        OrgDescribe(
            account_id=admin.account_id,
            org_id=ORG,
            sobject="Lead",
            fields={"Email": {"type": "email", "length": 40}},
        )
    )
    made = [
        make_contact(
            admin,
            first_name="Ada",
            last_name="Lovelace",
            company="Engines",
            email="ada+fair@engines.example",
        ),
        make_contact(
            admin,
            first_name="Ada",
            last_name="Lovelace",
            company="Engines",
            email="ADA+fair@engines.example ",
        ),  # the same e-mail: not created twice
        make_contact(
            admin, first_name="Grace", last_name="Hopper", company="", email="grace@navy.example"
        ),
        make_contact(
            admin, first_name="Alan", last_name="Turing", company="", email="alan@bletchley.example"
        ),
        make_contact(
            admin, first_name="", last_name="", company="Nobody GmbH", email="nobody@example.test"
        ),
        make_contact(
            admin,
            first_name="Maximiliane",
            last_name="Müller",
            company="Donau AG",
            email="maximiliane.mueller-oberhausen@donau.example",
        ),
        make_contact(
            admin,
            first_name="Jo",
            last_name="Lee",
            company="Lee & Partners",
            email="jo@lee.example",
        ),
    ]
    put_in_state(made[6], "exported", by=admin)
    query = "&".join(f"contact_ids={c.id}" for c in made)
    dialog = html_of(auth.client(admin).get(f"/exports/push/dialog?{query}", headers=HX))
    assert "Push 7 contacts as Leads" in dialog
    assert "1 will be sent" in dialog
    assert re.search(r'data-reason="missing_company">2 will fail: Leads need a company', dialog)
    assert re.search(r'data-reason="missing_name">1 will fail: The contact has no name', dialog)
    assert re.search(r'data-reason="too_long">1 will fail: Too long', dialog)
    assert "1 not sent: the same e-mail as another contact" in dialog
    assert "1 skipped: already exported" in dialog

    # the engine decides the same for each of them (one implementation of the checks)
    describe = {"Email": {"type": "email", "length": 40}}
    codes = sorted(
        r.code
        for c in made[:6]
        if not hasattr(r := map_contact(contact_values(c), "Lead", describe), "fields")
    )
    assert codes == ["missing_company", "missing_company", "missing_name", "too_long"]


def test_the_forecast_of_10000_contacts_stays_cheap(app, people):
    admin, _rep = people
    bulk_insert_contacts(admin.account_id, [admin.id], 10_000, 0)
    db.session.commit()
    selection = progress.filtered_contacts(admin, progress.ListFilter())
    with counted_statements() as statements:
        forecast = progress.forecast(selection, ORG, progress.SELECT_ALL_LIMIT)
    assert forecast.selected == 10_000
    assert forecast.to_send + forecast.will_fail + forecast.same_email == 10_000
    assert len(statements) <= 4, statements


# --- 4. a wrong My Domain: the popup reports back; without a popup, the page shows it --------


@pytest.mark.parametrize("my_domain", ["https://evil.example", "acme.my.salesforce.com/path", ""])
def test_a_wrong_my_domain_inside_the_popup_reports_back(auth, account_a, my_domain):
    client = auth.client(admin_of(account_a).email)
    data = {"environment": "my_domain", "my_domain": my_domain}
    popup = client.post("/integrations/salesforce/authorize", data={**data, "popup": "1"})
    html = html_of(popup)
    assert popup.status_code == 422
    assert 'data-status="invalid"' in html and 'data-field="my_domain"' in html
    assert 'data-message="Enter your org&#39;s My Domain' in html
    assert "<nav" not in html  # not a whole app page in the popup
    page = client.post("/integrations/salesforce/authorize", data=data)
    text = html_of(page)
    assert page.status_code == 422 and 'id="my_domain-error"' in text and "<nav" in text
