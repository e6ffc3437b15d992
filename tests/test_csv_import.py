"""CSV import: encodings, delimiters, German headers and dates, limits, preview, error file."""

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import ContactImport
from lemontaps.pushes import automatic
from lemontaps.services import csv_import
from lemontaps.services import users
from tests.helpers import admin_of
from tests.helpers import make_user

URL = "/contacts/import/"


@pytest.fixture
def people(app, account_a, account_b):
    return {
        "admin": admin_of(account_a),
        "anna": make_user(app, account_a, "anna@acme.test"),
        "other_admin": admin_of(account_b),
    }


@pytest.fixture
def admin(auth, people):
    return auth.client(people["admin"])


@pytest.fixture
def created_hook(monkeypatch):
    calls = []
    monkeypatch.setattr(
        automatic, "contacts_created", lambda account_id, ids: calls.append((account_id, ids))
    )
    return calls


BOUNDARY = "----lemontaps-test-boundary"


def upload(client, raw: bytes, name: str = "contacts.csv"):
    # The multipart body is built here, in memory: for large bodies the test client would
    # spool its own to a temporary file that it leaves open when the app refuses early.
    body = (
        (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + raw
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return client.post(URL, data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}")


def upload_ok(client, raw: bytes, name: str = "contacts.csv") -> str:
    response = upload(client, raw, name)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return response.headers["Location"]


def stored_contacts():
    return list(db.session.scalars(sa.select(Contact).order_by(Contact.id)))


ENGLISH = (
    "First name,Last name,Company,E-mail,Position,Phone,Mobile,Street,Postcode,City,Country,"
    "Notes,Met on,Met by\r\n"
    "Jörg,Müller,Bäckerei Süß GmbH,jm@example.com,CEO,+49 30 1234,+49 170 1,Hauptstraße 1,"
    "10115,Berlin,Germany,Nice chat,2026-01-15,anna@acme.test\r\n"
    "Ada,Lovelace,,ada@example.com,,,,,,,,,,\r\n"
)


class TestHappyPath:
    def test_upload_preview_import(self, app, admin, people, created_hook):
        preview_url = upload_ok(admin, ENGLISH.encode())
        page = admin.get(preview_url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "2 rows: 2 valid, 0 with errors." in html and "Import 2 valid rows" in html
        assert stored_contacts() == []  # nothing before the admin confirms
        assert admin.post(preview_url, data={}).status_code == 302
        joerg, ada = stored_contacts()
        assert (joerg.first_name, joerg.last_name, joerg.company) == (
            "Jörg",
            "Müller",
            "Bäckerei Süß GmbH",
        )
        assert (joerg.position, joerg.work_phone, joerg.mobile_phone) == (
            "CEO",
            "+49 30 1234",
            "+49 170 1",
        )
        assert (joerg.address_line1, joerg.postcode, joerg.city, joerg.country) == (
            "Hauptstraße 1",
            "10115",
            "Berlin",
            "Germany",
        )
        assert joerg.notes == "Nice chat" and joerg.met_on == date(2026, 1, 15)
        assert joerg.met_by_id == people["anna"].id and joerg.source == "import"
        assert ada.met_by_id == people["admin"].id and ada.met_on == date.today()
        assert {c.account_id for c in (joerg, ada)} == {people["admin"].account_id}
        assert created_hook == [(people["admin"].account_id, [joerg.id, ada.id])]
        result = admin.get(preview_url).get_data(as_text=True)
        assert "2 contacts imported, 0 invalid rows not imported." in result

    def test_importing_twice_does_nothing(self, app, admin, people):
        preview_url = upload_ok(admin, ENGLISH.encode())
        admin.post(preview_url, data={})
        admin.post(preview_url, data={})
        assert len(stored_contacts()) == 2

    @pytest.mark.parametrize(
        "encoding, prefix",
        [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("utf-16", b"")],
    )
    @pytest.mark.parametrize("delimiter", [",", ";"])
    def test_encodings_and_delimiters(self, app, admin, people, encoding, prefix, delimiter):
        text = (
            f"Vorname{delimiter}Nachname{delimiter}Firma{delimiter}Notizen\r\n"
            f'Jörg{delimiter}Weiß{delimiter}Äpfel & Öl{delimiter}"ß, ü; €"\r\n'
        )
        raw = prefix + text.encode(encoding)
        admin.post(upload_ok(admin, raw), data={})
        (contact,) = stored_contacts()
        assert (contact.first_name, contact.last_name, contact.company, contact.notes) == (
            "Jörg",
            "Weiß",
            "Äpfel & Öl",
            "ß, ü; €",
        )

    def test_cp1252_without_umlauts_in_the_header_is_detected_from_the_rows(self, app, admin):
        raw = "First name;Company\r\nRené;Café Größe\r\n".encode("cp1252")
        admin.post(upload_ok(admin, raw), data={})
        assert [(c.first_name, c.company) for c in stored_contacts()] == [("René", "Café Größe")]

    def test_german_headers_dates_and_consent(self, app, admin, people):
        text = (
            "vorname ; NACHNAME;Unternehmen;E-Mail;Titel;Telefon;Mobil;Straße;PLZ;Ort;Land;"
            "Notizen;Kennengelernt am;Kennengelernt von;DSGVO-Einwilligung\n"
            "Grete;Groß;Firma X;g@example.com;Leiterin;030 1;0170 2;Weg 2;80331;München;"
            "Deutschland;Messe;31.12.2025;ANNA@acme.test;ja\n"
            "Hans;Klein;;;;;;;;Stadt;;;1.2.2026;;nein\n"
        )
        admin.post(upload_ok(admin, text.encode()), data={})
        grete, hans = stored_contacts()
        assert (grete.first_name, grete.last_name, grete.company, grete.email) == (
            "Grete",
            "Groß",
            "Firma X",
            "g@example.com",
        )
        assert (grete.position, grete.work_phone, grete.mobile_phone) == (
            "Leiterin",
            "030 1",
            "0170 2",
        )
        assert (grete.address_line1, grete.postcode, grete.city, grete.country) == (
            "Weg 2",
            "80331",
            "München",
            "Deutschland",
        )
        assert grete.met_on == date(2025, 12, 31) and grete.met_by_id == people["anna"].id
        assert grete.gdpr_consent is True and hans.gdpr_consent is False
        assert hans.met_on == date(2026, 2, 1) and hans.city == "Stadt"

    def test_header_matching_ignores_case_and_whitespace(self):
        for header in ("E-mail", "e-mail", "EMAIL", " E - Mail ", "e_mail", "E-Mail"):
            assert csv_import.HEADER_INDEX[csv_import._header_key(header)] == "email"
        assert csv_import.HEADER_INDEX[csv_import._header_key("STRASSE")] == "address_line1"

    def test_unknown_columns_are_reported_not_imported(self, app, admin):
        preview_url = upload_ok(admin, b"First name,Shoe size\nAda,38\n")
        assert "Columns not imported: Shoe size." in admin.get(preview_url).get_data(as_text=True)

    def test_blank_rows_are_skipped_and_counted(self, app, admin):
        preview_url = upload_ok(admin, b"First name\nAda\n\n,\nBob\n")
        html = admin.get(preview_url).get_data(as_text=True)
        assert "2 rows: 2 valid" in html and "2 empty rows skipped." in html


FORMULAS = ["=1+1", "+49 170", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", '=HYPERLINK("http://x")']


class TestInvalidRows:
    def make_file(self):
        rows = [
            ["First name", "Last name", "E-mail", "Met on", "Met by", "Phone"],
            ["Good", "Row", "good@example.com", "2026-01-02", "", ""],
            ["Bad", "Mail", "not-an-email", "", "", ""],
            ["", "", "", "", "", ""],
            ["=1+1", "", "", "32.13.2026", "", ""],
            ["Stranger", "", "", "", "nobody@acme.test", ""],
            ["Too", "Long", "", "", "", "1" * 41],
            ["", "", "", "2026-01-01", "", ""],
            ["Old", "", "", "1999-12-31", "", ""],
        ]
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode()

    def test_preview_lists_errors_per_row_and_imports_only_valid(self, app, admin, people):
        preview_url = upload_ok(admin, self.make_file(), "fair.csv")
        html = admin.get(preview_url).get_data(as_text=True)
        assert "7 rows: 1 valid, 6 with errors." in html
        assert "E-mail: Invalid email address." in html
        assert "Met on: Enter the date as YYYY-MM-DD or DD.MM.YYYY." in html
        assert "Met by: No active user of your account has this e-mail." in html
        assert "Phone: Field cannot be longer than 40 characters." in html
        assert "Enter at least a name, a company or an e-mail." in html
        assert "Met on: Enter a date between 2000-01-01" in html
        invalid_only = admin.get(preview_url + "?show=invalid").get_data(as_text=True)
        assert 'id="line-2"' not in invalid_only and 'id="line-3"' in invalid_only
        admin.post(preview_url, data={})
        assert [c.first_name for c in stored_contacts()] == ["Good"]
        result = admin.get(preview_url).get_data(as_text=True)
        assert "1 contacts imported, 6 invalid rows not imported." in result
        assert "invalid-rows.csv" in result

    def test_error_file_keeps_rows_adds_reason_and_neutralises_formulas(self, app, admin):
        rows = [["First name", "Notes", "E-mail"]] + [[value, value, "bad"] for value in FORMULAS]
        out = io.StringIO()
        csv.writer(out, delimiter=";").writerows(rows)
        preview_url = upload_ok(admin, out.getvalue().encode("utf-8"), "Messe 2026.csv")
        download = admin.get(preview_url + "/invalid-rows.csv")
        assert download.status_code == 200 and download.mimetype == "text/csv"
        assert 'filename="Messe2026-invalid-rows.csv"' in download.headers["Content-Disposition"]
        text = download.get_data().decode("utf-8")
        assert text.startswith("\ufeff")
        got = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))
        assert got[0] == ["First name", "Notes", "E-mail", "Error"]
        assert len(got) == 1 + len(FORMULAS)
        for value, row in zip(FORMULAS, got[1:], strict=True):
            assert row[0] == row[1] == "'" + value
            assert row[3] == "E-mail: Invalid email address."
        for row in got[1:]:
            for cell in row:
                assert not cell.startswith(csv_import.FORMULA_STARTS), cell

    def test_neutralise(self):
        assert [csv_import.neutralise(v) for v in ("=A1", "+1", "-1", "@x", "\tx", "\rx")] == [
            "'=A1",
            "'+1",
            "'-1",
            "'@x",
            "'\tx",
            "'\rx",
        ]
        assert csv_import.neutralise("Anna =1") == "Anna =1"
        assert csv_import.neutralise("") == ""

    def test_met_by_deactivated_after_the_preview_is_not_dropped_silently(self, app, admin, people):
        preview_url = upload_ok(admin, b"First name,Met by\nAda,anna@acme.test\nBob,\n")
        users.deactivate(people["anna"])
        db.session.commit()
        admin.post(preview_url, data={})
        assert [c.first_name for c in stored_contacts()] == ["Bob"]
        result = admin.get(preview_url).get_data(as_text=True)
        assert "1 contacts imported, 1 invalid rows not imported." in result
        text = admin.get(preview_url + "/invalid-rows.csv").get_data().decode()
        assert "Ada" in text and "This user is deactivated." in text


class TestFileErrors:
    @pytest.mark.parametrize(
        "raw, message",
        [
            (b"", "The file is empty."),
            (b"Shoe size,Hat\n38,L\n", "No known column was found."),
            (b"First name\n", "The file has a header row but no contacts."),
        ],
    )
    def test_unusable_files_get_a_clear_message(self, app, admin, raw, message):
        response = upload(admin, raw)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactImport)) == 0

    def test_no_file(self, app, admin):
        response = admin.post(URL, data={}, content_type="multipart/form-data")
        assert response.status_code == 422 and "Choose a CSV file." in response.get_data(
            as_text=True
        )

    def test_5_mb_limit(self, app, admin):
        line = b"Ada,Lovelace," + b"x" * 200 + b"\n"
        body = b"First name,Last name,Notes\n" + line * (csv_import.MAX_BYTES // len(line))
        assert len(body) <= csv_import.MAX_BYTES
        assert upload(admin, body[: 100 * len(line)]).status_code == 302
        too_big = body + line * 10
        response = upload(admin, too_big)
        assert response.status_code == 413
        assert "The file is larger than 5 MB." in response.get_data(as_text=True)
        far_too_big = upload(admin, too_big * 2)
        assert far_too_big.status_code == 413

    def test_row_limit_10000_ok_10001_refused(self, app, admin, people, created_hook):
        header = b"First name;E-mail\n"
        rows = b"".join(b"P%d;p%d@example.com\n" % (i, i) for i in range(csv_import.MAX_ROWS))
        refused = upload(admin, header + rows + b"One;more@example.com\n")
        assert refused.status_code == 422
        assert "The file has more than 10,000 rows." in refused.get_data(as_text=True)
        preview_url = upload_ok(admin, header + rows)
        html = admin.get(preview_url).get_data(as_text=True)
        assert "10000 rows: 10000 valid, 0 with errors." in html
        assert "Page 1 of 100" in html and len(re.findall(r'<tr id="line-', html)) == 100
        assert admin.post(preview_url, data={}).status_code == 302
        assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == csv_import.MAX_ROWS
        assert len(created_hook) == 1 and len(created_hook[0][1]) == csv_import.MAX_ROWS


class TestAccess:
    def test_end_user_gets_403(self, auth, people):
        client = auth.client(people["anna"])
        assert client.get(URL).status_code == 403
        assert upload(client, ENGLISH.encode()).status_code == 403
        assert stored_contacts() == []

    def test_upload_belongs_to_its_importer(self, auth, app, admin, people):
        preview_url = upload_ok(admin, ENGLISH.encode())
        second_admin = make_user(app, people["admin"].account, "admin2@acme.test", role="admin")
        other = auth.client(second_admin)
        assert other.get(preview_url).status_code == 404
        assert other.post(preview_url, data={}).status_code == 404
        assert other.get(preview_url + "/invalid-rows.csv").status_code == 404
        foreign = auth.client(people["other_admin"])
        assert foreign.get(preview_url).status_code == 404
        assert stored_contacts() == []

    def test_nav_shows_import_to_admins_only(self, auth, admin, people):
        assert URL in admin.get("/contacts/").get_data(as_text=True)
        client = auth.client(people["anna"])
        assert URL not in client.get("/contacts/").get_data(as_text=True)
