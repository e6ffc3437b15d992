"""The JSON API: tokens, every status code, visibility, validation and Idempotency-Key."""

from datetime import date
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from lemontaps.extensions import db
from lemontaps.models import ApiToken
from lemontaps.models import Contact
from lemontaps.models import IdempotencyRecord
from lemontaps.models import utcnow
from lemontaps.pushes import automatic
from lemontaps.services import api_tokens
from lemontaps.services import users
from tests.helpers import BOUNDARIES
from tests.helpers import admin_of
from tests.helpers import bearer
from tests.helpers import make_api_token
from tests.helpers import make_contact
from tests.helpers import make_user

API = "/api/v1/contacts"


@pytest.fixture
def people(app, account_a, account_b):
    return {
        "admin": admin_of(account_a),
        "anna": make_user(app, account_a, "anna@acme.test"),
        "ben": make_user(app, account_a, "ben@acme.test"),
        "other_admin": admin_of(account_b),
    }


@pytest.fixture
def tokens(people):
    return {name: make_api_token(user) for name, user in people.items()}


def contact_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Contact.id)))


def post(client, token, body, **headers):
    return client.post(API, json=body, headers={**bearer(token), **headers})


@pytest.fixture
def created_hook(monkeypatch):
    calls = []
    monkeypatch.setattr(
        automatic, "contacts_created", lambda account_id, ids: calls.append((account_id, ids))
    )
    return calls


class TestTokens:
    def test_only_the_hash_is_stored(self, app, people):
        plain = make_api_token(people["anna"])
        row = db.session.scalar(sa.select(ApiToken))
        assert plain.startswith("lt_") and len(plain) > 40
        assert row.token_hash == api_tokens.hash_token(plain) != plain
        assert plain.startswith(row.prefix) and len(row.prefix) < 12
        dumped = " ".join(
            str(v) for v in db.session.execute(sa.select(ApiToken)).one()[0].__dict__.values()
        )
        assert plain not in dumped

    def test_generate_on_the_profile_page_shows_the_token_once(self, auth, people, client):
        auth.login(people["anna"])
        page = client.post("/profile/api-token", data={})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        row = db.session.scalar(sa.select(ApiToken))
        shown = html.split('id="new-api-token">')[1].split("<")[0]
        assert api_tokens.hash_token(shown) == row.token_hash
        assert page.headers["Cache-Control"] == "no-store"
        again = client.get("/profile").get_data(as_text=True)
        assert shown not in again and row.prefix in again
        assert client.get(API, headers=bearer(shown)).status_code == 200

    def test_generate_needs_post(self, auth, people, client):
        auth.login(people["anna"])
        assert client.get("/profile/api-token").status_code == 405
        assert db.session.scalar(sa.select(ApiToken)) is None

    def test_regeneration_invalidates_the_old_token(self, app, people, client):
        old = make_api_token(people["anna"])
        new = make_api_token(people["anna"])
        assert client.get(API, headers=bearer(old)).status_code == 401
        assert client.get(API, headers=bearer(new)).status_code == 200
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1

    def test_revoked_token_is_refused(self, auth, people, client):
        token = make_api_token(people["anna"])
        auth.login(people["anna"])
        assert client.post("/profile/api-token/revoke", data={}).status_code == 302
        response = client.get(API, headers=bearer(token))
        assert response.status_code == 401 and response.json["error"] == "unauthorized"

    def test_deactivated_user_is_refused_at_once(self, app, people, client):
        token = make_api_token(people["anna"])
        assert client.get(API, headers=bearer(token)).status_code == 200
        users.deactivate(people["anna"])
        db.session.commit()
        assert client.get(API, headers=bearer(token)).status_code == 401
        users.reactivate(people["anna"])
        db.session.commit()
        # session_version plays no part: reactivation makes the same token work again.
        assert client.get(API, headers=bearer(token)).status_code == 200

    @pytest.mark.parametrize(
        "header",
        [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer lt_wrong", "Bearer " + "x" * 500],
    )
    def test_missing_or_wrong_credentials_are_401_json(self, app, people, client, header):
        headers = {"Authorization": header} if header is not None else {}
        response = client.get(API, headers=headers)
        assert response.status_code == 401
        assert response.json["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    def test_the_session_cookie_is_not_accepted(self, auth, people, client):
        assert auth.login(people["admin"]).status_code == 302
        assert client.get("/contacts/").status_code == 200  # the cookie works on the web
        for method in ("GET", "POST"):
            response = client.open(API, method=method, json={"first_name": "X"})
            assert response.status_code == 401, method
            assert response.is_json
        assert contact_count() == 0

    def test_api_needs_no_csrf_token(self, app, people):
        app.config["WTF_CSRF_ENABLED"] = True
        token = make_api_token(people["anna"])
        response = post(app.test_client(), token, {"first_name": "Erika"})
        assert response.status_code == 201

    def test_last_used_is_recorded(self, app, people, client):
        token = make_api_token(people["anna"])
        client.get(API, headers=bearer(token))
        assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None


class TestCreate:
    def test_201_with_the_contact_and_location(self, app, people, tokens, client, created_hook):
        response = post(
            client,
            tokens["anna"],
            {
                "first_name": "Jörg",
                "company": "Müller & Söhne",
                "gdpr_consent": True,
                "met_on": "2026-01-15",
            },
        )
        assert response.status_code == 201
        body = response.json
        assert body["first_name"] == "Jörg" and body["company"] == "Müller & Söhne"
        assert body["gdpr_consent"] is True and body["met_on"] == "2026-01-15"
        assert body["source"] == "api" and body["met_by"]["email"] == "anna@acme.test"
        assert response.headers["Location"] == f"{API}/{body['id']}"
        contact = db.session.get(Contact, body["id"])
        assert contact.account_id == people["anna"].account_id
        assert created_hook == [(people["anna"].account_id, [body["id"]])]

    def test_met_on_defaults_to_today(self, app, people, tokens, client):
        response = post(client, tokens["anna"], {"last_name": "Solo"})
        assert response.json["met_on"] == date.today().isoformat()

    def test_values_are_cleaned_like_the_form(self, app, people, tokens, client):
        body = {
            "first_name": "  Erika\x00 ",
            "company": "A\tB",
            "notes": "x\x00y\n\tz",
            "website": "example.com",
        }
        response = post(client, tokens["anna"], body)
        assert response.status_code == 201
        got = response.json
        assert (got["first_name"], got["company"], got["notes"]) == ("Erika", "A B", "xy\n\tz")
        assert got["website"] == "https://example.com"

    @pytest.mark.parametrize(
        "body",
        [
            {"first_name": "X", "account_id": 99},
            {"first_name": "X", "uuid": "00000000-0000-0000-0000-000000000000"},
            {"first_name": "X", "source": "form"},
            {"first_name": "X", "id": 5},
            {"first_name": "X", "created_at": "2020-01-01"},
        ],
    )
    def test_unknown_fields_are_422_no_mass_assignment(self, app, people, tokens, client, body):
        response = post(client, tokens["anna"], body)
        assert response.status_code == 422
        extra = next(k for k in body if k != "first_name")
        assert response.json["error"] == "validation_failed"
        assert extra in response.json["fields"]
        assert contact_count() == 0

    @pytest.mark.parametrize("field, ok, bad", BOUNDARIES)
    def test_the_form_rules_apply(self, app, people, tokens, client, field, ok, bad):
        base = {"first_name": "Erika", "met_on": "2026-01-15"}
        good = post(client, tokens["anna"], {**base, field: ok})
        assert good.status_code == 201, good.json
        response = post(client, tokens["anna"], {**base, field: bad})
        assert response.status_code == 422
        assert list(response.json["fields"]) == [field]
        assert contact_count() == 1

    def test_same_messages_as_the_form(self, auth, people, tokens, client):
        response = post(client, tokens["anna"], {"email": "not-an-email", "notes": "n" * 32_001})
        fields = response.json["fields"]
        assert fields["email"] == ["Invalid email address."]
        assert fields["notes"] == ["Field cannot be longer than 32000 characters."]
        nameless = post(client, tokens["anna"], {"notes": "hi"}).json["fields"]
        assert nameless == {"first_name": ["Enter at least a name, a company or an e-mail."]}
        web = auth.client("anna@acme.test")
        html = web.post("/contacts/new", data={"email": "not-an-email", "met_on": "2026-01-15"})
        assert "Invalid email address." in html.get_data(as_text=True)

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"first_name": 5}, "first_name"),
            ({"first_name": "X", "gdpr_consent": "yes"}, "gdpr_consent"),
            ({"first_name": "X", "met_on": "15.01.2026"}, "met_on"),
            ({"first_name": "X", "met_on": None}, "met_on"),
            ({"first_name": "X", "met_on": 20260115}, "met_on"),
            ({"first_name": None}, "first_name"),
            ({}, "first_name"),
        ],
    )
    def test_wrong_types_are_422(self, app, people, tokens, client, body, field):
        response = post(client, tokens["anna"], body)
        assert response.status_code == 422 and field in response.json["fields"]

    @pytest.mark.parametrize(
        "data, content_type",
        [
            (b"{not json", "application/json"),
            (b"[1, 2]", "application/json"),
            (b'"text"', "application/json"),
            (b"first_name=Erika", "application/x-www-form-urlencoded"),
            (b'{"first_name": "Erika"}', "text/plain"),
            (b"\xff\xfe", "application/json"),
        ],
    )
    def test_malformed_body_or_wrong_content_type_is_400(
        self, app, people, tokens, client, data, content_type
    ):
        response = client.post(
            API, data=data, content_type=content_type, headers=bearer(tokens["anna"])
        )
        assert response.status_code == 400 and response.is_json
        assert response.json["error"] == "bad_request"

    def test_oversized_body_is_413(self, app, people, tokens, client):
        response = post(client, tokens["anna"], {"first_name": "X", "notes": "n" * 70_000})
        assert response.status_code == 413 and response.json["error"] == "payload_too_large"
        assert contact_count() == 0

    def test_unsupported_method_is_405_json(self, app, people, tokens, client):
        response = client.put(API, json={}, headers=bearer(tokens["anna"]))
        assert response.status_code == 405 and response.is_json

    def test_unknown_api_path_is_404_json(self, app, people, tokens, client):
        response = client.get("/api/v1/nothing", headers=bearer(tokens["anna"]))
        assert response.status_code == 404 and response.is_json


class TestMetBy:
    def test_admin_sets_met_by_by_email_or_id(self, app, people, tokens, client):
        by_email = post(client, tokens["admin"], {"first_name": "A", "met_by": "ANNA@acme.test"})
        by_id = post(client, tokens["admin"], {"first_name": "B", "met_by": people["ben"].id})
        assert by_email.status_code == 201 and by_email.json["met_by"]["id"] == people["anna"].id
        assert by_id.status_code == 201 and by_id.json["met_by"]["id"] == people["ben"].id

    def test_end_user_cannot_set_met_by(self, app, people, tokens, client):
        response = post(client, tokens["anna"], {"first_name": "A", "met_by": people["ben"].id})
        assert response.status_code == 422 and "met_by" in response.json["fields"]

    @pytest.mark.parametrize("who", ["other_admin", "nobody", "inactive", "bool"])
    def test_met_by_must_be_an_active_user_of_the_account(self, app, people, tokens, client, who):
        if who == "inactive":
            users.deactivate(people["ben"])
            db.session.commit()
        value = {
            "other_admin": people["other_admin"].id,
            "nobody": "nobody@acme.test",
            "inactive": people["ben"].email,
            "bool": True,
        }[who]
        response = post(client, tokens["admin"], {"first_name": "A", "met_by": value})
        assert response.status_code == 422 and "met_by" in response.json["fields"]
        assert contact_count() == 0


class TestReadUpdateDelete:
    @pytest.fixture
    def book(self, people):
        return {name: make_contact(user, first_name=name.title()) for name, user in people.items()}

    def test_admin_lists_every_contact_of_the_account(self, app, people, tokens, book, client):
        body = client.get(API, headers=bearer(tokens["admin"])).json
        ids = {c["id"] for c in body["contacts"]}
        assert ids == {book["admin"].id, book["anna"].id, book["ben"].id}
        assert body["total"] == 3 and body["next_cursor"] is None

    def test_end_user_lists_own_contacts(self, app, people, tokens, book, client):
        body = client.get(API, headers=bearer(tokens["anna"])).json
        assert [c["id"] for c in body["contacts"]] == [book["anna"].id]

    def test_search_and_cursor_pages(self, app, people, tokens, client):
        for i in range(55):
            make_contact(
                people["anna"],
                first_name=f"P{i}",
                last_name="MÜLLER",
                met_on=date(2026, 1, 1) + timedelta(days=i),
            )
        make_contact(people["anna"], first_name="Other")
        first = client.get(API, query_string={"q": "müller"}, headers=bearer(tokens["anna"])).json
        assert len(first["contacts"]) == 50 and first["total"] == 55
        assert first["contacts"][0]["first_name"] == "P54"
        second = client.get(
            API,
            query_string={"q": "müller", "after": first["next_cursor"]},
            headers=bearer(tokens["anna"]),
        ).json
        assert len(second["contacts"]) == 5 and second["next_cursor"] is None
        assert second["prev_cursor"]
        oldest = client.get(
            API, query_string={"sort": "oldest", "q": "muller"}, headers=bearer(tokens["anna"])
        ).json
        assert oldest["contacts"][0]["first_name"] == "P0"

    @pytest.mark.parametrize(
        "viewer, owner, visible",
        [
            ("admin", "anna", True),
            ("anna", "anna", True),
            ("anna", "ben", False),
            ("anna", "admin", False),
            ("admin", "other_admin", False),
            ("other_admin", "anna", False),
        ],
    )
    def test_get_patch_delete_follow_visibility(
        self, auth, people, tokens, book, client, viewer, owner, visible
    ):
        url = f"{API}/{book[owner].id}"
        auth = bearer(tokens[viewer])
        got = client.get(url, headers=auth)
        patched = client.patch(url, json={"company": "Changed"}, headers=auth)
        if not visible:
            assert got.status_code == patched.status_code == 404
            assert client.delete(url, headers=auth).status_code == 404
            assert db.session.get(Contact, book[owner].id).company == ""
            return
        assert got.status_code == 200 and got.json["id"] == book[owner].id
        assert patched.status_code == 200 and patched.json["company"] == "Changed"
        deleted = client.delete(url, headers=auth)
        assert deleted.status_code == 204 and deleted.data == b""
        assert client.get(url, headers=auth).status_code == 404

    def test_patch_keeps_untouched_fields_and_validates(self, auth, people, tokens, book, client):
        url = f"{API}/{book['anna'].id}"
        auth = bearer(tokens["anna"])
        response = client.patch(url, json={"email": "e@example.com"}, headers=auth)
        assert response.json["first_name"] == "Anna" and response.json["email"] == "e@example.com"
        bad = client.patch(url, json={"first_name": "", "email": "", "last_name": ""}, headers=auth)
        assert bad.status_code == 422 and "first_name" in bad.json["fields"]
        assert client.patch(url, json={"source": "form"}, headers=auth).status_code == 422
        assert client.patch(url, data="x", headers=auth).status_code == 400
        assert db.session.get(Contact, book["anna"].id).email == "e@example.com"

    def test_patch_calls_the_updated_hook_after_commit(
        self, app, people, tokens, book, client, monkeypatch
    ):
        seen = []
        monkeypatch.setattr(automatic, "contact_updated", lambda c: seen.append((c.id, c.city)))
        url = f"{API}/{book['anna'].id}"
        client.patch(url, json={"city": "Köln"}, headers=bearer(tokens["anna"]))
        client.patch(url, json={"email": "bad"}, headers=bearer(tokens["anna"]))
        assert seen == [(book["anna"].id, "Köln")]

    def test_admin_reassigns_met_by_with_patch(self, app, people, tokens, book, client):
        url = f"{API}/{book['anna'].id}"
        response = client.patch(
            url, json={"met_by": "ben@acme.test"}, headers=bearer(tokens["admin"])
        )
        assert response.status_code == 200 and response.json["met_by"]["id"] == people["ben"].id

    def test_end_user_gets_403_nowhere_but_404_for_others(self, app, people, tokens, book, client):
        # The API has no admin-only endpoint: other people's contacts are simply not there.
        response = client.get(f"{API}/{book['ben'].id}", headers=bearer(tokens["anna"]))
        assert response.status_code == 404 and response.json["error"] == "not_found"


class TestIdempotency:
    KEY = {"Idempotency-Key": "phone-42-attempt"}

    def test_replay_returns_the_same_contact_and_creates_one(
        self, app, people, tokens, client, created_hook
    ):
        body = {"first_name": "Erika", "met_on": "2026-01-15"}
        first = post(client, tokens["anna"], body, **self.KEY)
        again = post(
            client, tokens["anna"], {"met_on": "2026-01-15", "first_name": "Erika"}, **self.KEY
        )
        assert first.status_code == again.status_code == 201
        assert again.json["id"] == first.json["id"]
        assert again.headers["Location"] == first.headers["Location"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert contact_count() == 1
        assert len(created_hook) == 1

    def test_same_key_different_body_is_422(self, app, people, tokens, client):
        post(client, tokens["anna"], {"first_name": "Erika"}, **self.KEY)
        response = post(client, tokens["anna"], {"first_name": "Max"}, **self.KEY)
        assert response.status_code == 422 and response.json["error"] == "idempotency_key_reused"
        assert contact_count() == 1

    def test_keys_are_per_user(self, app, people, tokens, client):
        post(client, tokens["anna"], {"first_name": "Erika"}, **self.KEY)
        other = post(client, tokens["ben"], {"first_name": "Erika"}, **self.KEY)
        assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
        assert contact_count() == 2

    def test_request_in_flight_is_409(self, app, people, tokens, client):
        db.session.add(
            IdempotencyRecord(
                user_id=people["anna"].id,
                key="phone-42-attempt",
                fingerprint=_print({"first_name": "Erika"}),
            )
        )
        db.session.commit()
        response = post(client, tokens["anna"], {"first_name": "Erika"}, **self.KEY)
        assert response.status_code == 409 and response.json["error"] == "idempotency_key_in_use"
        assert contact_count() == 0

    def test_abandoned_in_flight_record_is_taken_over(self, app, people, tokens, client):
        db.session.add(
            IdempotencyRecord(
                user_id=people["anna"].id,
                key="phone-42-attempt",
                fingerprint=_print({"first_name": "Erika"}),
                locked_at=utcnow() - timedelta(minutes=5),
            )
        )
        db.session.commit()
        response = post(client, tokens["anna"], {"first_name": "Erika"}, **self.KEY)
        assert response.status_code == 201 and contact_count() == 1

    def test_validation_failure_frees_the_key(self, app, people, tokens, client):
        bad = post(client, tokens["anna"], {"email": "nope"}, **self.KEY)
        assert bad.status_code == 422
        good = post(client, tokens["anna"], {"email": "ok@example.com"}, **self.KEY)
        assert good.status_code == 201

    def test_expires_after_24_hours_and_is_pruned(self, app, people, tokens, client):
        with time_machine.travel(utcnow(), tick=False) as traveller:
            first = post(client, tokens["anna"], {"first_name": "Erika"}, **self.KEY)
            traveller.shift(timedelta(hours=23, minutes=59))
            assert (
                post(client, tokens["anna"], {"first_name": "Erika"}, **self.KEY).json["id"]
                == first.json["id"]
            )
            traveller.shift(timedelta(minutes=2))
            later = post(client, tokens["anna"], {"first_name": "Erika"}, **self.KEY)
        assert later.status_code == 201 and later.json["id"] != first.json["id"]
        assert contact_count() == 2
        assert db.session.scalar(sa.select(sa.func.count(IdempotencyRecord.id))) == 1

    def test_delete_and_patch_are_idempotent_too(self, auth, people, tokens, client):
        contact = make_contact(people["anna"])
        url = f"{API}/{contact.id}"
        auth = {**bearer(tokens["anna"]), "Idempotency-Key": "del-1"}
        assert client.delete(url, headers=auth).status_code == 204
        replay = client.delete(url, headers=auth)
        assert replay.status_code == 204 and replay.headers["Idempotent-Replayed"] == "true"
        other = make_contact(people["anna"])
        auth["Idempotency-Key"] = "patch-1"
        first = client.patch(f"{API}/{other.id}", json={"city": "Köln"}, headers=auth)
        assert (
            client.patch(f"{API}/{other.id}", json={"city": "Köln"}, headers=auth).json
            == first.json
        )

    @pytest.mark.parametrize("key", ["", "  ", "k" * 256, "schlüssel"])
    def test_bad_keys_are_400(self, app, people, tokens, client, key):
        response = client.post(
            API,
            json={"first_name": "X"},
            headers={**bearer(tokens["anna"]), "Idempotency-Key": key},
        )
        assert response.status_code == 400 and contact_count() == 0


def _print(body):
    import json

    from lemontaps.api.idempotency import fingerprint

    return fingerprint("POST", API, json.dumps(body).encode())


def test_routing_errors_under_the_api_use_word_codes(client):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
