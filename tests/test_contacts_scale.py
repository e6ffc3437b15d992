"""Pages of 50 by keyset, and a constant number of SQL statements per page at any size."""

import re

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.services import contacts
from tests.helpers import admin_of
from tests.helpers import bulk_insert_contacts
from tests.helpers import counted_statements
from tests.helpers import make_user


def row_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="contact-(\d+)"', response.get_data(as_text=True))]


@pytest.fixture
def setup(app, account_a, account_b):
    admin = admin_of(account_a)
    anna = make_user(app, account_a, "anna@acme.test")
    ben = make_user(app, account_a, "ben@acme.test")
    # Another account's rows must not change anything either.
    bulk_insert_contacts(account_b.id, [admin_of(account_b).id], 200, start=900_000)
    return account_a, admin, anna, ben


def _statements_for(auth, user, path) -> tuple[int, list[int]]:
    client = auth.client(user)
    client.get(path)  # warm up: nothing lazy left for the counted request
    with counted_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements), row_ids(response)


@pytest.mark.parametrize("who", ["admin", "anna"])
@pytest.mark.parametrize("path", ["/contacts/", "/contacts/?q=müller", "/contacts/?sort=oldest"])
def test_same_number_of_queries_for_10_and_10000_contacts(auth, setup, who, path):
    account, admin, anna, ben = setup
    user = {"admin": admin, "anna": anna}[who]
    people = [admin.id, anna.id, ben.id]
    bulk_insert_contacts(account.id, people, 10)
    small, small_rows = _statements_for(auth, user, path)
    bulk_insert_contacts(account.id, people, 9_990, start=10)
    large, large_rows = _statements_for(auth, user, path)
    assert small == large, (small, large)
    # The user, the connection, the page (met_by joined), its export cells, the grouped
    # filter counts, the progress bars, the newest contact id (and the settings for an end
    # user): none of them grows with the account.
    assert small <= 8
    assert 0 < len(small_rows) <= 10
    assert len(large_rows) == 50


def test_page_queries_are_constant_on_later_pages(auth, setup):
    account, admin, anna, ben = setup
    bulk_insert_contacts(account.id, [admin.id, anna.id, ben.id], 10_000)
    client = auth.client(admin)
    first = client.get("/contacts/")
    next_url = re.search(r'rel="next" href="([^"]+)"', first.get_data(as_text=True)).group(1)
    with counted_statements() as on_first:
        client.get("/contacts/")
    with counted_statements() as on_second:
        second = client.get(next_url.replace("&amp;", "&"))
    assert len(on_first) == len(on_second)
    assert len(row_ids(second)) == 50
    assert "More than 10,000 contacts" not in first.get_data(as_text=True)
    assert "10,000 contacts" in first.get_data(as_text=True)


def test_count_is_capped(auth, setup, monkeypatch):
    account, admin, anna, ben = setup
    monkeypatch.setattr(contacts, "COUNT_LIMIT", 100)
    bulk_insert_contacts(account.id, [admin.id], 150)
    client = auth.client(admin)
    assert "More than 100 contacts" in client.get("/contacts/").get_data(as_text=True)


def _walk(client, url, link="next"):
    seen = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        ids = row_ids(response)
        assert len(ids) <= 50
        seen.append(ids)
        pages += 1
        match = re.search(rf'rel="{link}" href="([^"]+)"', response.get_data(as_text=True))
        url = match.group(1).replace("&amp;", "&") if match else None
    return seen


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_pages_of_50_cover_every_contact_once_in_order(auth, setup, sort):
    account, admin, anna, ben = setup
    bulk_insert_contacts(account.id, [admin.id, anna.id], 123)
    client = auth.client(admin)
    pages = _walk(client, f"/contacts/?sort={sort}")
    assert [len(p) for p in pages] == [50, 50, 23]
    rows = db.session.execute(
        sa.select(Contact.id, Contact.met_on).where(Contact.account_id == account.id)
    ).all()
    descending = sort == "newest"
    expected = [r.id for r in sorted(rows, key=lambda r: (r.met_on, r.id), reverse=descending)]
    assert [i for p in pages for i in p] == expected


def test_previous_links_walk_back_the_same_pages(auth, setup):
    account, admin, anna, ben = setup
    bulk_insert_contacts(account.id, [admin.id], 120)
    client = auth.client(admin)
    forward = _walk(client, "/contacts/")
    last_page = client.get("/contacts/")
    url = "/contacts/"
    for _ in range(2):
        html = client.get(url).get_data(as_text=True)
        url = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    last_page = client.get(url)
    assert row_ids(last_page) == forward[-1]
    backward = _walk(client, url, link="prev")
    assert backward == forward[::-1]
    assert 'rel="prev"' not in client.get("/contacts/").get_data(as_text=True)


def test_links_keep_search_and_sort(auth, setup):
    account, admin, anna, ben = setup
    bulk_insert_contacts(account.id, [anna.id], 300)
    client = auth.client(anna)
    html = client.get("/contacts/?q=firma&sort=oldest").get_data(as_text=True)
    next_link = re.search(r'rel="next" href="([^"]+)"', html).group(1)
    assert "q=firma" in next_link and "sort=oldest" in next_link and "after=" in next_link
    pages = _walk(client, "/contacts/?q=VORNAME1&sort=oldest")
    assert [len(p) for p in pages] == [50, 50, 11]
    ids = [i for p in pages for i in p]
    expected = db.session.scalars(
        sa.select(Contact.id)
        .where(Contact.account_id == account.id, Contact.first_name.like("Vorname1%"))
        .order_by(Contact.met_on, Contact.id)
    ).all()
    assert ids == list(expected)


@pytest.mark.parametrize("token", ["garbage", "2025-13-01_4", "_", "2025-01-01_x"])
def test_broken_cursor_shows_the_first_page(auth, setup, token):
    account, admin, anna, ben = setup
    bulk_insert_contacts(account.id, [admin.id], 60)
    client = auth.client(admin)
    first = row_ids(client.get("/contacts/"))
    assert row_ids(client.get("/contacts/", query_string={"after": token})) == first
    assert row_ids(client.get("/contacts/", query_string={"before": token})) == first


def test_service_page_for_end_user_is_scoped(app, setup):
    account, admin, anna, ben = setup
    bulk_insert_contacts(account.id, [admin.id, anna.id, ben.id], 90)
    page = contacts.contact_page(anna)
    assert len(page.contacts) == 30 and page.next_cursor is None and page.total == 30
    assert {c.met_by_id for c in page.contacts} == {anna.id}
