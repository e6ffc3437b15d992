"""Demo data for `make run`: one account, an admin, two end users and about 200 contacts."""

import random
from datetime import date
from datetime import timedelta
from unicodedata import combining
from unicodedata import normalize

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Account
from lemontaps.models import Contact
from lemontaps.models import ContactSource
from lemontaps.models import Role
from lemontaps.models import User
from lemontaps.services import contacts
from lemontaps.services import users
from lemontaps.services.passwords import PasswordService

DEMO_ACCOUNT = "Demo GmbH"
DEMO_PASSWORD = "lemontaps-demo"
# The emulator's demo org has the same people (salesforce_emulator/seed.py): same names and
# e-mails, so a contact's owner in Salesforce is the person who met it.
DEMO_ADMIN = "admin@demo.lemontaps.test"
DEMO_ADMIN_NAME = "Dana Admin"
DEMO_END_USERS = (
    ("anna@demo.lemontaps.test", "Anna Weber"),
    ("ben@demo.lemontaps.test", "Ben Okafor"),
)

DEMO_SEED = 20261128
DEMO_CONTACT_COUNT = 200
DEMO_DAYS_BACK = 548  # about 18 months
# Records that already exist in the emulator's demo org: pushing these fails as "duplicate".
SALESFORCE_DUPLICATE_EMAILS = ("dup.lead@example.com", "dup.contact@example.com")

# fmt: off
FIRST_NAMES = (
    "Jürgen", "Jörg", "Björn", "Sören", "Günther", "Käthe", "Müge", "Lena", "Max", "Sophie",
    "Lukas", "Hannah", "Felix", "Marie", "Paul", "Emma", "Jonas", "Mia", "Léa", "François",
    "José", "Zoë", "Chloé", "Ærin", "Øyvind", "Łukasz", "Agnieszka", "Dmitrij", "Ayşe", "Mehmet",
    "Giulia", "Matteo", "Siobhán", "Seán", "Ngozi", "Chinedu", "Priya", "Arjun", "Yuki", "Hiroshi",
    "Mei", "Wei", "Fatima", "Omar", "Sven", "Ingrid", "Ana", "João", "Nuria", "Xavier",
)
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Groß", "Straßer", "Köhler", "Bäcker",
    "Jäger", "Hoffmann", "Schäfer", "Lefèvre", "Dubois", "Núñez", "García", "Brontë", "Øster",
    "Kowalski", "Żółć", "Iwanow", "Yılmaz", "Öztürk", "Rossi", "Bianchi", "O'Brien",
    "Ó Súilleabháin", "Okafor", "Adeyemi", "Sharma", "Patel", "Tanaka", "Suzuki", "Li",
    "Wang", "Haddad", "Nilsson", "Andersen", "Silva", "Gonçalves", "van der Berg",
    "de la Cruz", "MÜLLER", "STRASSER",
)
COMPANIES = (
    "Lemontaps GmbH", "Müller & Söhne KG", "Bäckerei Groß", "Straßenbau Süd AG", "Café Zoë",
    "Acme Corporation", "Globex Ltd", "Initech Inc.", "Öko-Energie eG",
    "Société Générale des Tests", "Fábrica Núñez S.A.", "Nordlicht ApS", "Żabka Polska",
    "Tanaka Seisakusho 株式会社", "Rossi & Figli S.r.l.", "Lagos Tech Hub",
    "Mumbai Mills Pvt Ltd", "Würth-ähnliche Handels GmbH", "Große Messe 🎪 GmbH",
    "Zitrone 🍋 Events",
)
POSITIONS = (
    "Geschäftsführer", "Geschäftsführerin", "Head of Sales", "Einkaufsleiterin", "CTO",
    "Marketing Manager", "Vertriebsmitarbeiter", "Directeur commercial", "Office Manager",
    "Werkstudent", "Procurement Lead", "CEO & Founder",
)
# fmt: on
DEPARTMENTS = ("Vertrieb", "Einkauf", "Marketing", "IT", "Geschäftsleitung", "Sales", "Finance", "")
ROLES = ("Decision maker", "Influencer", "User", "Entscheider", "")
PREFIXES = ("", "", "", "Herr", "Frau", "Dr.", "Prof. Dr.", "Mr.", "Ms.", "Mx.")
PLACES = (
    ("10115", "Berlin", "Deutschland"),
    ("80331", "München", "Germany"),
    ("50667", "Köln", "DE"),
    ("20095", "Hamburg", "Germany"),
    ("1010", "Wien", "Österreich"),
    ("8001", "Zürich", "Switzerland"),
    ("75001", "Paris", "France"),
    ("28013", "Madrid", "España"),
    ("00-001", "Warszawa", "Poland"),
    ("SW1A 1AA", "London", "United Kingdom"),
    ("100-0001", "Tokyo", "Japan"),
    ("10001", "New York", "United States"),
    ("", "Lagos", "Nigeria"),
    ("", "", ""),
)
STREETS = ("Hauptstraße", "Königsallee", "Bahnhofstr.", "Rue de la Paix", "Calle Mayor", "Main St")
LANGUAGES = ("", "", "de", "en", "fr", "es", "it", "pl")
DOMAINS = ("example.com", "example.org", "example.net")
NOTES = (
    "",
    "",
    "Met at the booth, interested in the Salesforce integration.",
    "Messe Frankfurt – Stand B12. Möchte ein Angebot bis Freitag.",
    "Rückruf vereinbart 📞 – bitte Preisliste schicken.",
    "Line one\nLine two\n\tindented line three",
)


def _ascii_slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe"})
    lowered = text.lower().translate(table)
    plain = "".join(c for c in normalize("NFKD", lowered) if not combining(c))
    return "".join(c for c in plain if c.isascii() and (c.isalnum() or c in ".-")) or "contact"


def _tricky_contacts(today: date) -> list[dict]:
    """Hand-written edge cases, first so they are easy to find on the last pages."""
    long_company = ("Internationale Messegesellschaft für Zitrusfrüchte " * 6)[:250]
    return [
        {"first_name": "Cher"},
        {"first_name": "Lena", "last_name": "Vogel", "email": "lena.vogel@example.com"},
        {"first_name": "Ohne", "last_name": "E-Mail", "company": "Keine Adresse AG"},
        {"company": "Nur Firma GmbH", "email": "info@example.org"},
        {"first_name": "Lang", "last_name": "Firmenname", "company": long_company},
        {"first_name": "Hubert", "last_name": ("Wolfeschlegelsteinhausenbergerdorff" * 8)[:255]},
        {"first_name": "Sunny ☀️", "last_name": "Day 🌈", "company": "Zitrone 🍋 Events"},
        {"first_name": "Jürgen", "last_name": "MÜLLER", "company": "Straßenbau Süd AG"},
        {"first_name": "Käthe", "last_name": "Straßer", "city": "Groß-Gerau"},
        {"first_name": "Kaethe", "last_name": "STRASSER", "company": "Grosse Messe GmbH"},
        {"first_name": "François", "last_name": "Lefèvre", "company": "Société Générale des Tests"},
        {"first_name": "Łukasz", "last_name": "Żółć", "language": "pl"},
        {"first_name": "太郎", "last_name": "山田", "company": "Tanaka Seisakusho 株式会社"},
        {"first_name": "Дмитрий", "last_name": "Иванов", "country": "Россия"},
        {"first_name": "Max", "last_name": "Mustermann", "email": "max.mustermann@example.com"},
        {
            "first_name": "Maximilian",
            "last_name": "Mustermann",
            "email": "max.mustermann@example.com",
        },
        {
            "first_name": "Dup",
            "last_name": "Lead",
            "company": "Example Corp",
            "email": SALESFORCE_DUPLICATE_EMAILS[0],
        },
        {"first_name": "Dup", "last_name": "Contact", "email": SALESFORCE_DUPLICATE_EMAILS[1]},
        # Valid here, refused by Salesforce: non-ASCII e-mail, prefix not in the picklist.
        {
            "name_prefix": "Herr Prof. Dr. Dr. h.c.",
            "first_name": "Jörg",
            "last_name": "Ünal",
            "email": "jörg.ünal@example.com",
        },
        {
            "first_name": "<script>alert(1)</script>",
            "last_name": '"><img src=x onerror=alert(1)>',
            "company": "Escaping & Co. <b>KG</b>",
        },
        {"first_name": "Web", "last_name": "Seite", "website": "https://example.com/" + "a" * 1900},
        {
            "first_name": "Zoë",
            "last_name": "Brontë",
            "country": "Narnia",
            "postcode": "X" * 20,
            "work_phone": "+49 (0)30 / 123-456.78",
            "mobile_phone": "+49 170 1234567",
        },
        {
            "first_name": "Notiz",
            "last_name": "Lang",
            "notes": "Lorem ipsum dolor sit amet. " * 1000,
        },
        {"first_name": "Heute", "last_name": "Getroffen", "met_on": today},
    ]


def _website(company: str) -> str:
    return "https://www." + _ascii_slug(company).replace(".", "")[:40] + ".example.com"


def _random_contact(rng: random.Random) -> dict:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    company = rng.choice(COMPANIES) if rng.random() > 0.15 else ""
    domain = rng.choice(DOMAINS)
    email = f"{_ascii_slug(first)}.{_ascii_slug(last)}@{domain}" if rng.random() > 0.12 else ""
    postcode, city, country = rng.choice(PLACES)
    has_address = bool(city) and rng.random() > 0.3
    return {
        "name_prefix": rng.choice(PREFIXES),
        "first_name": first,
        "last_name": last,
        "position": rng.choice(POSITIONS) if rng.random() > 0.2 else "",
        "role": rng.choice(ROLES),
        "department": rng.choice(DEPARTMENTS),
        "company": company,
        "email": email,
        "work_email": f"{_ascii_slug(last)}@{domain}" if email and rng.random() > 0.7 else "",
        "work_phone": f"+49 {rng.randint(30, 999)} {rng.randint(100000, 9999999)}"
        if rng.random() > 0.4
        else "",
        "mobile_phone": f"+49 1{rng.randint(50, 79)} {rng.randint(1000000, 99999999)}"
        if rng.random() > 0.5
        else "",
        "website": _website(company) if company and rng.random() > 0.6 else "",
        "addressee": f"{first} {last}" if has_address and rng.random() > 0.7 else "",
        "address_line1": f"{rng.choice(STREETS)} {rng.randint(1, 200)}" if has_address else "",
        "address_line2": rng.choice(("", "", "", "2. OG", "c/o Empfang", "Gebäude B"))
        if has_address
        else "",
        "postcode": postcode if has_address else "",
        "city": city if has_address else "",
        "country": country if has_address else "",
        "gdpr_consent": rng.random() > 0.4,
        "language": rng.choice(LANGUAGES),
        "notes": rng.choice(NOTES),
    }


def demo_contacts(today: date, seed: int = DEMO_SEED) -> list[dict]:
    """The same list for the same day: deterministic, spread over the last ~18 months."""
    rng = random.Random(seed)
    rows = _tricky_contacts(today)
    while len(rows) < DEMO_CONTACT_COUNT:
        rows.append(_random_contact(rng))
    for row in rows:
        row.setdefault("met_on", today - timedelta(days=rng.randrange(DEMO_DAYS_BACK)))
    return rows


def _seed_demo_contacts(account: Account, people: list[User], today: date) -> None:
    rng = random.Random(DEMO_SEED + 1)
    for data in demo_contacts(today):
        contacts.create_contact(account.id, rng.choice(people), data, ContactSource.FORM)


def seed_demo(passwords: PasswordService, today: date | None = None) -> bool:
    """Create what is missing; True when anything was created."""
    created = False
    admin = users.find_user_by_email(DEMO_ADMIN)
    if admin is None:
        _account, admin = users.create_account(
            passwords, DEMO_ACCOUNT, DEMO_ADMIN, DEMO_ADMIN_NAME, DEMO_PASSWORD
        )
        password_hash = passwords.hash(DEMO_PASSWORD)
        for email, name in DEMO_END_USERS:
            user = users.invite_user(admin.account, email, name, Role.USER.value)
            user.password_hash = password_hash
        db.session.flush()
        created = True
    account = admin.account
    has_contacts = db.session.scalar(sa.select(sa.exists().where(Contact.account_id == account.id)))
    if not has_contacts:
        people = [admin] + [
            u for email, _ in DEMO_END_USERS if (u := users.find_user_by_email(email))
        ]
        _seed_demo_contacts(account, people, today or date.today())
        created = True
    return created


def demo_logins() -> list[tuple[str, str, str]]:
    return [(DEMO_ADMIN, DEMO_PASSWORD, "admin")] + [
        (email, DEMO_PASSWORD, "end user") for email, _ in DEMO_END_USERS
    ]
