"""Contact table, capture form, edit and delete, for admins and end users."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import User
from tests.helpers import BOUNDARIES
from tests.helpers import admin_of
from tests.helpers import make_contact
from tests.helpers import make_user


@pytest.fixture
def people(app, account_a, account_b):
    """Admin and two end users of account A, and the admin of account B."""
    return {
        "admin": admin_of(account_a),
        "anna": make_user(app, account_a, "anna@acme.test"),
        "ben": make_user(app, account_a, "ben@acme.test"),
        "other_admin": admin_of(account_b),
    }


def row_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="contact-(\d+)"', response.get_data(as_text=True))]


def contact_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Contact.id)))


class TestTable:
    def test_admin_sees_every_contact_of_the_account_only(self, auth, people):
        mine = make_contact(people["admin"])
        annas = make_contact(people["anna"])
        bens = make_contact(people["ben"])
        make_contact(people["other_admin"])
        response = auth.client(people["admin"]).get("/contacts/")
        assert response.status_code == 200
        assert sorted(row_ids(response)) == sorted([mine.id, annas.id, bens.id])

    def test_end_user_sees_only_the_contacts_they_met(self, auth, people):
        make_contact(people["admin"])
        annas = make_contact(people["anna"])
        make_contact(people["ben"])
        response = auth.client(people["anna"]).get("/contacts/")
        assert row_ids(response) == [annas.id]
        assert "1 contact" in response.get_data(as_text=True)

    def test_columns_checkboxes_and_export_cell(self, auth, people):
        contact = make_contact(
            people["anna"], company="Globex", position="CTO", email="e@example.com"
        )
        html = auth.client(people["admin"]).get("/contacts/").get_data(as_text=True)
        for header in ("Name", "Company", "Position", "E-mail", "Met on", "Met by", "Export"):
            assert f">{header}</th>" in html
        assert f'<td class="export-cell" id="export-{contact.id}"' in html
        assert f'name="contact_ids" value="{contact.id}"' in html
        assert 'class="select-page"' in html
        assert "Anna" in html and "Globex" in html and "CTO" in html and "e@example.com" in html
        assert "contacts.js" in html
        # The CSP forbids inline code: every script is a file.
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
        assert 'hx-history="false"' in html and "hx-disable" in html

    def test_empty_table(self, auth, people):
        html = auth.client(people["anna"]).get("/contacts/").get_data(as_text=True)
        assert "No contacts yet." in html and "0 contacts" in html

    def test_start_page_and_menu_lead_to_the_table(self, auth, people):
        client = auth.client(people["anna"])
        response = client.get("/")
        assert response.status_code == 302 and response.headers["Location"].endswith("/contacts/")
        assert 'href="/contacts/"' in client.get("/profile").get_data(as_text=True)

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get("/contacts/")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]

    def test_sort_newest_first_by_default_oldest_on_request_ties_by_id(self, auth, people):
        admin = people["admin"]
        first = make_contact(admin, met_on=date(2025, 3, 1))
        tie_a = make_contact(admin, met_on=date(2025, 6, 1))
        tie_b = make_contact(admin, met_on=date(2025, 6, 1))
        last = make_contact(admin, met_on=date(2026, 1, 1))
        client = auth.client(admin)
        assert row_ids(client.get("/contacts/")) == [last.id, tie_b.id, tie_a.id, first.id]
        oldest = client.get("/contacts/?sort=oldest")
        assert row_ids(oldest) == [first.id, tie_a.id, tie_b.id, last.id]
        assert row_ids(client.get("/contacts/?sort=nonsense")) == [
            last.id,
            tie_b.id,
            tie_a.id,
            first.id,
        ]


class TestSearch:
    @pytest.mark.parametrize(
        "stored, query",
        [
            ({"last_name": "MÜLLER"}, "müller"),
            ({"last_name": "müller"}, "MÜLLER"),
            ({"last_name": "Straße"}, "STRASSE"),
            ({"last_name": "STRASSE"}, "straße"),
            ({"last_name": "Straßer"}, "strasser"),
            ({"first_name": "José"}, "jose"),
            ({"first_name": "ZOË"}, "zoë"),
            ({"company": "Bäckerei Groß"}, "GROSS"),
            ({"email": "Jörg.Ünal@Example.com"}, "jörg.ünal@example"),
            ({"first_name": "Anna", "last_name": "Müller"}, "anna müller"),
            ({"first_name": "Anna", "last_name": "Müller"}, "müller ANNA"),
            ({"first_name": "山田"}, "山田"),
        ],
    )
    def test_search_ignores_case_and_accents(self, auth, people, stored, query):
        wanted = make_contact(people["admin"], **{"first_name": "", "last_name": "", **stored})
        make_contact(people["admin"], first_name="Someone", last_name="Else", company="Other")
        response = auth.client(people["admin"]).get("/contacts/", query_string={"q": query})
        assert row_ids(response) == [wanted.id]

    def test_search_covers_name_company_and_email_only(self, auth, people):
        make_contact(people["admin"], city="Hamburg", notes="hamburg")
        by_company = make_contact(people["admin"], company="Hamburg Süd")
        response = auth.client(people["admin"]).get("/contacts/?q=hamburg")
        assert row_ids(response) == [by_company.id]

    def test_wildcards_are_literal(self, auth, people):
        make_contact(people["admin"], company="Acme")
        percent = make_contact(people["admin"], company="100% Bio")
        client = auth.client(people["admin"])
        assert row_ids(client.get("/contacts/?q=%25")) == [percent.id]
        assert row_ids(client.get("/contacts/?q=_")) == []

    def test_end_user_searches_own_contacts_only(self, auth, people):
        make_contact(people["ben"], last_name="Müller")
        annas = make_contact(people["anna"], last_name="Müller")
        response = auth.client(people["anna"]).get("/contacts/?q=muller")
        assert row_ids(response) == [annas.id]

    def test_no_match_message(self, auth, people):
        make_contact(people["anna"])
        html = auth.client(people["anna"]).get("/contacts/?q=zzz").get_data(as_text=True)
        assert "No contact matches your search." in html
        assert 'value="zzz"' in html

    def test_search_text_follows_edits(self, auth, people):
        contact = make_contact(people["admin"], last_name="Alt")
        client = auth.client(people["admin"])
        client.post(f"/contacts/{contact.id}/edit", data=form_data(last_name="Neumänn"))
        assert row_ids(client.get("/contacts/?q=NEUMANN")) == [contact.id]
        assert row_ids(client.get("/contacts/?q=alt")) == []


def form_data(**overrides):
    data = {"first_name": "Erika", "last_name": "Musterfrau", "met_on": "2026-01-15"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class TestCreate:
    def test_form_renders_every_field(self, auth, people):
        html = auth.client(people["admin"]).get("/contacts/new").get_data(as_text=True)
        for name in (
            "name_prefix first_name last_name position role department company email work_email "
            "work_phone mobile_phone website addressee address_line1 address_line2 postcode city "
            "country gdpr_consent language notes met_on met_by_id"
        ).split():
            assert f'name="{name}"' in html, name
        assert f'value="{date.today().isoformat()}"' in html

    def test_end_user_form_has_no_met_by_choice(self, auth, people):
        html = auth.client(people["anna"]).get("/contacts/new").get_data(as_text=True)
        assert 'name="met_by_id"' not in html

    def test_end_user_creates_a_contact_met_by_themselves(self, auth, people):
        client = auth.client(people["anna"])
        response = client.post(
            "/contacts/new",
            data=form_data(
                name_prefix="Dr.",
                company="Müller & Söhne",
                email="erika@example.com",
                work_phone="+49 (0)30 / 123-45.6",
                website="example.com/path",
                gdpr_consent="y",
                language="de",
                notes="Line 1\nLine 2",
                country="Germany",
            ),
        )
        assert response.status_code == 302
        contact = db.session.scalar(sa.select(Contact))
        assert response.headers["Location"].endswith(f"/contacts/{contact.id}")
        assert contact.met_by_id == people["anna"].id
        assert contact.account_id == people["anna"].account_id
        assert contact.website == "https://example.com/path"
        assert contact.gdpr_consent is True and contact.language == "de"
        assert contact.notes == "Line 1\nLine 2"
        assert contact.source == "form" and len(contact.uuid) == 36
        assert contact.search_text == "erika musterfrau muller & sohne erika@example.com"
        view = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Müller &amp; Söhne" in view and 'href="https://example.com/path"' in view

    def test_end_user_cannot_pick_met_by(self, auth, people):
        client = auth.client(people["anna"])
        response = client.post("/contacts/new", data=form_data(met_by_id=str(people["ben"].id)))
        assert response.status_code == 302
        assert db.session.scalar(sa.select(Contact.met_by_id)) == people["anna"].id

    def test_admin_picks_another_user_of_the_account(self, auth, people):
        client = auth.client(people["admin"])
        response = client.post("/contacts/new", data=form_data(met_by_id=str(people["ben"].id)))
        assert response.status_code == 302
        assert db.session.scalar(sa.select(Contact.met_by_id)) == people["ben"].id

    def test_admin_met_by_defaults_to_themselves(self, auth, people):
        client = auth.client(people["admin"])
        assert client.post("/contacts/new", data=form_data()).status_code == 302
        assert db.session.scalar(sa.select(Contact.met_by_id)) == people["admin"].id

    def test_admin_cannot_pick_a_user_of_another_account(self, auth, people):
        client = auth.client(people["admin"])
        data = form_data(met_by_id=str(people["other_admin"].id))
        response = client.post("/contacts/new", data=data)
        assert response.status_code == 422
        assert contact_count() == 0

    def test_admin_cannot_pick_a_deactivated_user(self, auth, people):
        people["ben"].active = False
        db.session.commit()
        client = auth.client(people["admin"])
        html = client.get("/contacts/new").get_data(as_text=True)
        select = re.search(r'<select[^>]*name="met_by_id".*?</select>', html, re.S).group(0)
        assert ">Ben</option>" not in select and ">Anna</option>" in select
        response = client.post("/contacts/new", data=form_data(met_by_id=str(people["ben"].id)))
        assert response.status_code == 422 and contact_count() == 0

    def test_service_refuses_met_by_of_another_account(self, app, people):
        from lemontaps.services import contacts

        with pytest.raises(contacts.ContactRuleError):
            contacts.create_contact(people["admin"].account_id, people["other_admin"], {})

    def test_needs_a_name_company_or_email(self, auth, people):
        client = auth.client(people["anna"])
        response = client.post("/contacts/new", data={"met_on": "2026-01-15", "city": "Köln"})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "Enter at least a name, a company or an e-mail." in html
        assert 'value="Köln"' in html
        for only in ({"first_name": "Cher"}, {"company": "Acme"}, {"email": "a@example.com"}):
            data = {"met_on": "2026-01-15", **only}
            assert client.post("/contacts/new", data=data).status_code == 302


class TestLimits:
    @pytest.mark.parametrize("field, ok, too_much", BOUNDARIES)
    def test_boundaries_on_create(self, auth, people, field, ok, too_much):
        client = auth.client(people["anna"])
        good = client.post("/contacts/new", data=form_data(**{field: ok}))
        assert good.status_code == 302, good.get_data(as_text=True)[:2000]
        kept = "department" if field != "department" else "position"
        bad = client.post("/contacts/new", data=form_data(**{kept: "Kept Ö", field: too_much}))
        assert bad.status_code == 422
        html = bad.get_data(as_text=True)
        assert f'id="{field}-error"' in html
        assert 'value="Kept Ö"' in html  # nothing typed is lost
        if field not in ("met_on", "language"):
            assert too_much.replace("<", "&lt;").replace(">", "&gt;") in html
        assert contact_count() == 1

    @pytest.mark.parametrize("field, ok, too_much", BOUNDARIES[::3])
    def test_boundaries_on_edit(self, auth, people, field, ok, too_much):
        contact = make_contact(people["anna"])
        client = auth.client(people["anna"])
        url = f"/contacts/{contact.id}/edit"
        assert client.post(url, data=form_data(**{field: ok})).status_code == 302
        bad = client.post(url, data=form_data(**{field: too_much}))
        assert bad.status_code == 422 and f'id="{field}-error"' in bad.get_data(as_text=True)

    def test_met_on_is_required(self, auth, people):
        client = auth.client(people["anna"])
        response = client.post("/contacts/new", data=form_data(met_on=""))
        assert response.status_code == 422 and "Enter the date you met." in response.get_data(
            as_text=True
        )

    def test_values_are_trimmed_and_control_characters_dropped(self, auth, people):
        client = auth.client(people["anna"])
        data = form_data(first_name="  Erika\x00 ", company="A\tB", notes="x\x00y\n\tz")
        assert client.post("/contacts/new", data=data).status_code == 302
        contact = db.session.scalar(sa.select(Contact))
        assert (contact.first_name, contact.company, contact.notes) == ("Erika", "A B", "xy\n\tz")

    def test_emoji_and_long_unicode_values_fit(self, auth, people):
        client = auth.client(people["anna"])
        company = "🍋" * 255
        assert client.post("/contacts/new", data=form_data(company=company)).status_code == 302
        assert db.session.scalar(sa.select(Contact.company)) == company


class TestEditAndDelete:
    def test_edit_form_shows_current_values(self, auth, people):
        contact = make_contact(people["anna"], company="Globex", language="pt-BR")
        html = (
            auth.client(people["anna"]).get(f"/contacts/{contact.id}/edit").get_data(as_text=True)
        )
        assert 'value="Globex"' in html and 'value="2026-01-15"' in html
        assert '<option selected value="pt-BR">' in html

    def test_end_user_edits_own_contact(self, auth, people):
        contact = make_contact(people["anna"])
        client = auth.client(people["anna"])
        response = client.post(f"/contacts/{contact.id}/edit", data=form_data(last_name="Neu"))
        assert response.status_code == 302
        db.session.refresh(contact)
        assert contact.last_name == "Neu" and contact.met_by_id == people["anna"].id

    def test_admin_edits_and_reassigns_any_contact_of_the_account(self, auth, people):
        contact = make_contact(people["anna"])
        client = auth.client(people["admin"])
        data = form_data(position="CFO", met_by_id=str(people["ben"].id))
        assert client.post(f"/contacts/{contact.id}/edit", data=data).status_code == 302
        db.session.refresh(contact)
        assert contact.position == "CFO" and contact.met_by_id == people["ben"].id

    def test_admin_keeps_a_deactivated_met_by_when_editing(self, auth, people):
        contact = make_contact(people["ben"])
        people["ben"].active = False
        db.session.commit()
        client = auth.client(people["admin"])
        data = form_data(position="CFO", met_by_id=str(people["ben"].id))
        assert client.post(f"/contacts/{contact.id}/edit", data=data).status_code == 302

    def test_admin_cannot_reassign_to_another_account(self, auth, people):
        contact = make_contact(people["anna"])
        client = auth.client(people["admin"])
        data = form_data(met_by_id=str(people["other_admin"].id))
        assert client.post(f"/contacts/{contact.id}/edit", data=data).status_code == 422
        db.session.refresh(contact)
        assert contact.met_by_id == people["anna"].id

    def test_delete_confirmation_and_delete(self, auth, people):
        contact = make_contact(people["anna"], company="Globex")
        client = auth.client(people["anna"])
        page = client.get(f"/contacts/{contact.id}/delete")
        assert page.status_code == 200
        assert "Deleting here never deletes anything in Salesforce." in page.get_data(as_text=True)
        assert client.get(f"/contacts/{contact.id}/delete").status_code == 200
        response = client.post(f"/contacts/{contact.id}/delete")
        assert response.status_code == 302 and response.headers["Location"].endswith("/contacts/")
        assert contact_count() == 0
        assert client.post(f"/contacts/{contact.id}/delete").status_code == 404

    def test_view_page(self, auth, people):
        contact = make_contact(people["anna"], company="Globex", notes="Hallo\nWelt")
        html = auth.client(people["admin"]).get(f"/contacts/{contact.id}").get_data(as_text=True)
        assert "Globex" in html and "Hallo\nWelt" in html
        # the Salesforce card says where the contact stands (issue 15: it was empty)
        assert f'data-contact-id="{contact.id}"' in html and "Not exported" in html

    def test_view_does_not_link_a_non_http_website(self, auth, people):
        contact = make_contact(people["anna"], website="javascript:alert(1)")
        html = auth.client(people["anna"]).get(f"/contacts/{contact.id}").get_data(as_text=True)
        assert 'href="javascript' not in html


ACTIONS = [
    ("get", "/contacts/{id}"),
    ("get", "/contacts/{id}/edit"),
    ("post", "/contacts/{id}/edit"),
    ("get", "/contacts/{id}/delete"),
    ("post", "/contacts/{id}/delete"),
]


class TestNotFound:
    @pytest.mark.parametrize("method, path", ACTIONS)
    def test_end_user_gets_404_for_another_end_users_contact(self, auth, people, method, path):
        bens = make_contact(people["ben"], last_name="Bens")
        client = auth.client(people["anna"])
        response = getattr(client, method)(path.format(id=bens.id), data=form_data(last_name="X"))
        assert response.status_code == 404
        db.session.refresh(bens)
        assert bens.last_name == "Bens"

    @pytest.mark.parametrize("method, path", ACTIONS)
    def test_end_user_gets_404_for_the_admins_contact(self, auth, people, method, path):
        admins = make_contact(people["admin"])
        client = auth.client(people["anna"])
        assert getattr(client, method)(path.format(id=admins.id)).status_code == 404

    @pytest.mark.parametrize("who", ["admin", "anna"])
    @pytest.mark.parametrize("method, path", ACTIONS)
    def test_every_contact_of_another_account_is_404(self, auth, people, who, method, path):
        foreign = make_contact(people["other_admin"], last_name="Foreign")
        client = auth.client(people[who])
        response = getattr(client, method)(path.format(id=foreign.id), data=form_data())
        assert response.status_code == 404
        assert "Foreign" not in response.get_data(as_text=True)
        db.session.refresh(foreign)
        assert foreign.last_name == "Foreign"

    def test_unknown_id_is_404(self, auth, people):
        assert auth.client(people["admin"]).get("/contacts/999999").status_code == 404

    @pytest.mark.parametrize("method, path", ACTIONS)
    def test_admin_reaches_every_contact_of_the_account(self, auth, people, method, path):
        annas = make_contact(people["anna"])
        client = auth.client(people["admin"])
        response = getattr(client, method)(path.format(id=annas.id), data=form_data())
        assert response.status_code in (200, 302)


class TestEscaping:
    NASTY = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')

    def test_user_data_is_escaped_everywhere(self, auth, people):
        contact = make_contact(
            people["anna"],
            first_name=self.NASTY[0],
            last_name=self.NASTY[1],
            company=self.NASTY[1],
            position=self.NASTY[0],
            email="x@example.com",
            notes=self.NASTY[0],
            website='https://example.com/"><script>alert(1)</script>',
        )
        people["anna"].name = self.NASTY[0]
        db.session.commit()
        client = auth.client(people["admin"])
        for path in (
            "/contacts/",
            "/contacts/?q=" + self.NASTY[0],
            f"/contacts/{contact.id}",
            f"/contacts/{contact.id}/edit",
            f"/contacts/{contact.id}/delete",
            "/contacts/new",
        ):
            html = client.get(path).get_data(as_text=True)
            for nasty in self.NASTY:
                assert nasty not in html, path
            assert "<script>alert" not in html and "<img src=x" not in html, path
        html = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @staticmethod
    def _token(client, path):
        html = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)

    def test_create_needs_the_token(self, auth, client, people):
        auth.login(people["anna"], csrf_token=self._token(client, "/auth/login"))
        assert client.post("/contacts/new", data=form_data()).status_code == 400
        assert contact_count() == 0
        token = self._token(client, "/contacts/new")
        assert client.post("/contacts/new", data=form_data(csrf_token=token)).status_code == 302
        assert contact_count() == 1

    def test_edit_and_delete_need_the_token(self, auth, client, people):
        contact = make_contact(people["anna"])
        auth.login(people["anna"], csrf_token=self._token(client, "/auth/login"))
        url = f"/contacts/{contact.id}"
        assert client.post(url + "/edit", data=form_data(last_name="Evil")).status_code == 400
        assert client.post(url + "/delete").status_code == 400
        db.session.refresh(contact)
        assert contact.last_name == "Musterfrau"
        token = self._token(client, url + "/delete")
        assert client.post(url + "/delete", data={"csrf_token": token}).status_code == 302
        assert contact_count() == 0


def test_users_are_untouched_by_contact_changes(app, people):
    make_contact(people["anna"])
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 4
