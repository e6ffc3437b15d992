"""Numbers from the outside world: only ASCII digits that fit a database integer; anything
else is a clear 4xx or is ignored, never a 500."""

import pytest

from lemontaps.params import whole_number
from tests.helpers import admin_of


@pytest.mark.parametrize("value", ["²", "٣", "１２", "-1", "1.0", " 7", "9" * 30, "", None, "0x1"])
def test_anything_but_a_plain_whole_number_is_refused(value):
    assert whole_number(value) is None


def test_plain_whole_numbers_are_read():
    assert whole_number("0") == 0 and whole_number("12345678901") == 12345678901


@pytest.mark.parametrize("up_to", ["²", "٣", "9" * 30, "x"])
def test_dismissing_the_automatic_line_with_a_bad_number_is_a_400(auth, account_a, up_to):
    client = auth.client(admin_of(account_a))
    response = client.post("/exports/pushes/automatic/dismiss", data={"up_to": up_to})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query", ["push=²", "push=" + "9" * 30, "state=failed&push=٣"], ids=["sup", "huge", "arabic"]
)
def test_odd_numbers_in_the_contact_list_are_ignored(auth, account_a, query):
    client = auth.client(admin_of(account_a))
    assert client.get(f"/contacts/?{query}").status_code == 200


@pytest.mark.parametrize("since", ["²", "9" * 30])
def test_the_poll_ignores_odd_numbers(auth, account_a, since):
    client = auth.client(admin_of(account_a))
    response = client.get(f"/exports/poll?since={since}&n=³&c=²:x", headers={"HX-Request": "true"})
    assert response.status_code in (200, 204, 286)
